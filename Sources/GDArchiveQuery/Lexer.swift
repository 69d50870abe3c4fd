import GDArchiveModel

/// A token of the filter language, with its position in the filter text.
public struct Token: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case identifier(String)          // a field name segment or a keyword
        case string(String)              // 'text' ('' escapes a quote)
        case number(String)
        case relativeTime(String)        // -7d, +30m, -24h, -2w, -90s
        case symbol(String)              // = != <> < <= > >= ( ) , .
        case end
    }
    public var kind: Kind
    /// 0-based character offset.
    public var position: Int
    public var length: Int
}

/// Splits a filter into tokens.
///
/// ```swift
/// try Lexer.tokens("severity >= 7")   // identifier, symbol(">="), number("7"), end
/// ```
enum Lexer {
    static func tokens(_ text: String) throws(QueryError) -> [Token] {
        let chars = Array(text)
        var i = 0
        var out: [Token] = []
        func isIdentStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
        func isIdent(_ c: Character) -> Bool { isIdentStart(c) || (c.isASCII && c.isNumber) }
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            let start = i
            if c == "'" {
                var value = ""
                i += 1
                while true {
                    guard i < chars.count else {
                        throw QueryError(position: start, length: chars.count - start, message: "this string is not closed", hint: "end it with ' (write '' for a quote inside a string)")
                    }
                    if chars[i] == "'" {
                        if i + 1 < chars.count && chars[i + 1] == "'" { value.append("'"); i += 2; continue }
                        i += 1
                        break
                    }
                    value.append(chars[i])
                    i += 1
                }
                out.append(Token(kind: .string(value), position: start, length: i - start))
                continue
            }
            if c == "\"" || c == "`" {
                throw QueryError(position: start, message: "\(c) is not a string quote here", hint: "write strings in single quotes: 'value'")
            }
            if c.isASCII && c.isNumber || ((c == "-" || c == "+") && i + 1 < chars.count && chars[i + 1].isASCII && chars[i + 1].isNumber) {
                i += 1
                while i < chars.count && chars[i].isASCII && chars[i].isNumber { i += 1 }
                // A relative time: -7d, +30m (the units of Timestamp.durationUnits).
                if i < chars.count, Timestamp.durationUnits[chars[i]] != nil, i + 1 == chars.count || !(chars[i + 1].isLetter || chars[i + 1].isNumber) {
                    i += 1
                    out.append(Token(kind: .relativeTime(String(chars[start..<i])), position: start, length: i - start))
                    continue
                }
                if i < chars.count && chars[i] == "." {
                    i += 1
                    guard i < chars.count && chars[i].isASCII && chars[i].isNumber else {
                        throw QueryError(position: start, length: i - start, message: "invalid number", hint: "write numbers like 7 or 7.5")
                    }
                    while i < chars.count && chars[i].isASCII && chars[i].isNumber { i += 1 }
                }
                if i < chars.count && (chars[i].isLetter || chars[i] == "_") {
                    throw QueryError(position: start, length: i - start + 1, message: "invalid number or time", hint: "relative times are like -30m, -24h, -7d or -2w; text goes in single quotes")
                }
                out.append(Token(kind: .number(String(chars[start..<i])), position: start, length: i - start))
                continue
            }
            if isIdentStart(c) {
                i += 1
                while i < chars.count && isIdent(chars[i]) { i += 1 }
                out.append(Token(kind: .identifier(String(chars[start..<i])), position: start, length: i - start))
                continue
            }
            let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
            if ["!=", "<>", "<=", ">=", "=="].contains(two) {
                out.append(Token(kind: .symbol(two == "==" ? "=" : two == "<>" ? "!=" : two), position: start, length: 2))
                i += 2
                continue
            }
            if "=<>(),.".contains(c) {
                out.append(Token(kind: .symbol(String(c)), position: start, length: 1))
                i += 1
                continue
            }
            let shown = c.unicodeScalars.allSatisfy { $0.value < 0x20 || $0.value == 0x7f } ? "a control character" : "'\(c)'"
            throw QueryError(position: start, message: "unexpected \(shown)", hint: c == ";" ? "a filter is one expression; combine conditions with and / or" : "text values go in single quotes")
        }
        out.append(Token(kind: .end, position: chars.count, length: 1))
        return out
    }
}
