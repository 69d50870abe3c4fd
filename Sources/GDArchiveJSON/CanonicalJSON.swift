/// Writes a ``JSONValue`` in gdarchive's canonical form, the form every version is stored and
/// hashed in:
///
/// - no insignificant whitespace;
/// - object members sorted by the UTF-8 bytes of their keys (stable, so repeated keys keep
///   their order and both survive);
/// - strings escaped minimally: `\"`, `\\`, and control characters (`\n`, `\u001b`, …); every
///   other character is written as UTF-8;
/// - numbers written as exact decimals with the same value: no exponent unless the number is
///   very large or small, no trailing fraction zeros (`1.639010703E9` → `1639010703`,
///   `5.0` → `5`, `1e400` → `1e400`). Never through `Double`, so no digit is lost.
///
/// ```swift
/// let value = try JSONParser.parse(Array(#"{ "b": 1.50, "a": [true, null] }"#.utf8))
/// CanonicalJSON.string(value)   // {"a":[true,null],"b":1.5}
/// ```
public enum CanonicalJSON {
    /// The canonical text of `value`.
    public static func string(_ value: JSONValue) -> String {
        string(value, capacity: 4096)
    }

    /// - Parameter capacity: the expected size (the text it was parsed from): reserved at
    ///   once, so that a large text is not copied each time the buffer doubles.
    public static func string(_ value: JSONValue, capacity: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        write(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the canonical bytes of `value` to `out`.
    public static func write(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: [0x6e, 0x75, 0x6c, 0x6c])
        case .bool(true): out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        case .bool(false): out.append(contentsOf: [0x66, 0x61, 0x6c, 0x73, 0x65])
        case .number(let text): out.append(contentsOf: normalizeNumber(text).utf8)
        case .string(let s): writeString(s, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let sorted = isSorted(members) ? members : sortedMembers(members)
            for (i, member) in sorted.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func keyPrecedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private static func isSorted(_ members: [JSONMember]) -> Bool {
        var i = 1
        while i < members.count {
            if keyPrecedes(members[i].key, members[i - 1].key) { return false }
            i += 1
        }
        return true
    }

    private static func sortedMembers(_ members: [JSONMember]) -> [JSONMember] {
        // Stable: ties (repeated keys) keep their input order.
        members.enumerated().sorted { lhs, rhs in
            if lhs.element.key.utf8.elementsEqual(rhs.element.key.utf8) { return lhs.offset < rhs.offset }
            return keyPrecedes(lhs.element.key, rhs.element.key)
        }.map(\.element)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `s` as a JSON string literal.
    public static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        var text = s
        // Most strings need no escape: copied whole.
        let copied = text.withUTF8 { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied {
            out.append(0x22)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(0x5c); out.append(0x22)
            case 0x5c: out.append(0x5c); out.append(0x5c)
            case 0x0a: out.append(0x5c); out.append(UInt8(ascii: "n"))
            case 0x0d: out.append(0x5c); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5c); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(0x5c); out.append(UInt8(ascii: "b"))
            case 0x0c: out.append(0x5c); out.append(UInt8(ascii: "f"))
            case 0..<0x20:
                out.append(contentsOf: [0x5c, UInt8(ascii: "u"), 0x30, 0x30])
                out.append(hexDigits[Int(byte >> 4)]); out.append(hexDigits[Int(byte & 0xf)])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    /// The canonical text of a JSON number literal (see the type's documentation).
    public static func normalizeNumber(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var i = 0
        var negative = false
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var digits: [UInt8] = []
        var pointPosition = 0  // digits before the decimal point
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { digits.append(bytes[i]); i += 1 }
        pointPosition = digits.count
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { digits.append(bytes[i]); i += 1 }
        }
        var exponent = 0
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) {
                expNegative = bytes[i] == UInt8(ascii: "-"); i += 1
            }
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                // Clamp absurd exponents; the value is then written with its exponent anyway.
                if exponent < 100_000_000 { exponent = exponent * 10 + Int(bytes[i] - 0x30) }
                i += 1
            }
            if expNegative { exponent = -exponent }
        }
        guard i == bytes.count, !digits.isEmpty else { return text }  // not a number literal: keep
        // Strip leading zeros (moving the point) and trailing zeros.
        var lead = 0
        while lead < digits.count && digits[lead] == 0x30 { lead += 1 }
        if lead == digits.count { return "0" }
        var trail = digits.count
        while digits[trail - 1] == 0x30 { trail -= 1 }
        let significant = Array(digits[lead..<trail])
        // value = 0.significant × 10^point
        let point = pointPosition - lead + exponent
        let n = significant.count
        var out = negative ? "-" : ""
        let sig = String(decoding: significant, as: UTF8.self)
        if point >= n && point <= 21 {
            out += sig + String(repeating: "0", count: point - n)
        } else if point > 0 && point <= 21 {
            let split = sig.index(sig.startIndex, offsetBy: point)
            out += sig[..<split] + "." + sig[split...]
        } else if point <= 0 && point > -6 {
            out += "0." + String(repeating: "0", count: -point) + sig
        } else {
            let first = sig.prefix(1), rest = sig.dropFirst()
            out += first + (rest.isEmpty ? "" : "." + rest) + "e" + String(point - 1)
        }
        return out
    }
}
