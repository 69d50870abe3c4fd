/// Parses the filter language into a ``FilterExpression``.
///
/// ```swift
/// let expression = try FilterParser.parse("severity >= 7 and resource_type = 'Instance'")
/// ```
///
/// Grammar (keywords case-insensitive):
///
///     filter     := or
///     or         := and ("or" and)*
///     and        := not ("and" not)*
///     not        := "not" not | "(" filter ")" | predicate
///     predicate  := field ( op value | ["not"] "like" value | ["not"] "in" "(" value ("," value)* ")"
///                         | ["not"] "between" value "and" value | "is" ["not"] "null" )
///     field      := name ("." name)*
///     value      := 'string' | number | true | false | now | -7d | word
public enum FilterParser {
    /// How deep parentheses and `not` may nest: far more than a person writes, and little
    /// enough that neither this parser nor SQLite's runs out of stack on a hostile filter.
    public static let maximumDepth = 32
    /// How many conditions one filter may hold (a long list of values belongs in `in (…)`).
    public static let maximumConditions = 1000

    static let keywords: Set<String> = ["and", "or", "not", "like", "in", "between", "is", "null", "true", "false"]

    public static func parse(_ text: String) throws(QueryError) -> FilterExpression {
        var parser = Parser(tokens: try Lexer.tokens(text))
        if case .end = parser.peek.kind {
            throw QueryError(position: 0, message: "the filter is empty", hint: "for example: severity >= 7 and resource_type = 'Instance'")
        }
        let expression = try parser.parseOr()
        guard case .end = parser.peek.kind else {
            throw QueryError(position: parser.peek.position, length: parser.peek.length,
                             message: "unexpected \(Parser.describe(parser.peek)) after a complete condition",
                             hint: "combine conditions with and / or")
        }
        return expression
    }
}

private struct Parser {
    let tokens: [Token]
    var index = 0
    var depth = 0
    var conditions = 0

    var peek: Token { tokens[index] }

    mutating func advance() -> Token {
        defer { if index < tokens.count - 1 { index += 1 } }
        return tokens[index]
    }

    func isKeyword(_ word: String, _ token: Token? = nil) -> Bool {
        if case .identifier(let name) = (token ?? peek).kind { return name.lowercased() == word }
        return false
    }

    func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let s) = peek.kind { return s == symbol }
        return false
    }

    static func describe(_ token: Token) -> String {
        switch token.kind {
        case .identifier(let s): return "'\(s)'"
        case .string(let s): return "string '\(s)'"
        case .number(let s), .relativeTime(let s): return "'\(s)'"
        case .symbol(let s): return "'\(s)'"
        case .end: return "end of filter"
        }
    }

    mutating func parseOr() throws(QueryError) -> FilterExpression {
        var left = try parseAnd()
        while isKeyword("or") {
            _ = advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws(QueryError) -> FilterExpression {
        var left = try parseNot()
        while isKeyword("and") {
            _ = advance()
            left = .and(left, try parseNot())
        }
        return left
    }

    /// Enters one level of `not` or parentheses at `token`.
    mutating func descend(at token: Token) throws(QueryError) {
        depth += 1
        if depth > FilterParser.maximumDepth {
            throw QueryError(position: token.position, length: token.length,
                             message: "the filter nests parentheses and not more than \(FilterParser.maximumDepth) deep",
                             hint: "write it with fewer levels; a list of values goes in in (…)")
        }
    }

    mutating func parseNot() throws(QueryError) -> FilterExpression {
        if isKeyword("not") {
            try descend(at: advance())
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        if isSymbol("(") {
            let open = advance()
            try descend(at: open)
            defer { depth -= 1 }
            let inner = try parseOr()
            guard isSymbol(")") else {
                throw QueryError(position: peek.position, length: peek.length, message: "expected ')' to close the '(' at column \(open.position + 1), found \(Parser.describe(peek))")
            }
            _ = advance()
            return inner
        }
        return try parsePredicate()
    }

    mutating func parseField() throws(QueryError) -> (FieldReference, Int) {
        let first = advance()
        guard case .identifier(let name) = first.kind, !FilterParser.keywords.contains(name.lowercased()) else {
            throw QueryError(position: first.position, length: first.length, message: "expected a field name, found \(Parser.describe(first))",
                             hint: "run `gdarchive fields` to list the fields; any dotted path into the finding works too")
        }
        var segments = [name]
        var end = first.position + first.length
        while isSymbol(".") {
            _ = advance()
            let next = advance()
            guard case .identifier(let segment) = next.kind else {
                throw QueryError(position: next.position, length: next.length, message: "expected a name after '.', found \(Parser.describe(next))")
            }
            segments.append(segment)
            end = next.position + next.length
        }
        if segments.count > 1 { return (.path(segments), first.position) }
        if FieldCatalog.field(named: name) != nil { return (.short(name.lowercased()), first.position) }
        if FieldCatalog.topLevelMembers.contains(name) { return (.path([name]), first.position) }
        let suggestions = FieldCatalog.suggestions(for: name)
        throw QueryError(position: first.position, length: end - first.position, message: "unknown field '\(name)'",
                         hint: suggestions.isEmpty ? "run `gdarchive fields` to list the fields, or use a dotted path such as service.action.actionType"
                             : "did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?")
    }

    mutating func parsePredicate() throws(QueryError) -> FilterExpression {
        conditions += 1
        if conditions > FilterParser.maximumConditions {
            throw QueryError(position: peek.position, length: peek.length,
                             message: "the filter has more than \(FilterParser.maximumConditions) conditions",
                             hint: "a list of values goes in one condition: field in ('a', 'b', …)")
        }
        let (field, position) = try parseField()
        var negated = false
        if isKeyword("not") {
            _ = advance()
            negated = true
            guard isKeyword("like") || isKeyword("in") || isKeyword("between") else {
                throw QueryError(position: peek.position, length: peek.length, message: "expected like, in or between after 'not'")
            }
        }
        if isKeyword("like") {
            _ = advance()
            return .like(field, try parseValue(), negated: negated, position: position)
        }
        if isKeyword("in") {
            _ = advance()
            guard isSymbol("(") else {
                throw QueryError(position: peek.position, length: peek.length, message: "expected '(' after in", hint: "write in ('a', 'b')")
            }
            _ = advance()
            var values = [try parseValue()]
            while isSymbol(",") {
                _ = advance()
                values.append(try parseValue())
            }
            guard isSymbol(")") else {
                throw QueryError(position: peek.position, length: peek.length, message: "expected ',' or ')' in the list, found \(Parser.describe(peek))")
            }
            _ = advance()
            return .isIn(field, values, negated: negated, position: position)
        }
        if isKeyword("between") {
            _ = advance()
            let low = try parseValue()
            guard isKeyword("and") else {
                throw QueryError(position: peek.position, length: peek.length, message: "expected 'and' in between … and …")
            }
            _ = advance()
            return .between(field, low, try parseValue(), negated: negated, position: position)
        }
        if isKeyword("is") {
            _ = advance()
            var notNull = false
            if isKeyword("not") { _ = advance(); notNull = true }
            guard isKeyword("null") else {
                throw QueryError(position: peek.position, length: peek.length, message: "expected null after is", hint: "write is null or is not null")
            }
            _ = advance()
            return .isNull(field, negated: notNull, position: position)
        }
        guard case .symbol(let s) = peek.kind, let op = ComparisonOperator(rawValue: s) else {
            throw QueryError(position: peek.position, length: peek.length, message: "\(QueryError.expectedOperator) after \(field.text), found \(Parser.describe(peek))")
        }
        _ = advance()
        return .compare(field, op, try parseValue(), position: position)
    }

    mutating func parseValue() throws(QueryError) -> Literal {
        let token = advance()
        switch token.kind {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .relativeTime(let r): return .relativeTime(r)
        case .identifier(let word):
            switch word.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "now": return .relativeTime("now")
            case "null":
                throw QueryError(position: token.position, length: token.length, message: "null is not a value here", hint: "write is null or is not null")
            case let w where FilterParser.keywords.contains(w):
                throw QueryError(position: token.position, length: token.length, message: "\(QueryError.expectedValue), found the keyword '\(word)'")
            default:
                return .word(word)
            }
        case .symbol, .end:
            throw QueryError(position: token.position, length: token.length, message: "\(QueryError.expectedValue), found \(Parser.describe(token))",
                             hint: "text goes in single quotes: 'value'")
        }
    }
}
