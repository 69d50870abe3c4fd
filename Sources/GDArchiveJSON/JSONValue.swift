/// A JSON value as read, with nothing lost: object members keep their order and any
/// duplicate keys, and numbers keep their literal text (so `1.639010703E9` or a number too
/// large for a `Double` survives exactly).
///
/// ```swift
/// let value = try JSONParser.parse(Array(#"{"id":"abc","service":{"count":3}}"#.utf8))
/// value["service"]?["count"]?.int64Value   // 3
/// ```
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, exactly as written.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The value of the member `key` (the last one, if the key is repeated).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members.reversed() where member.key == key { return member.value }
        return nil
    }

    /// Follows a dotted path of object keys: `value[path: "service.action.actionType"]`.
    public subscript(path path: String) -> JSONValue? {
        var current: JSONValue? = self
        for key in path.split(separator: ".") {
            current = current?[String(key)]
        }
        return current
    }

    public var isNull: Bool { self == .null }

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A number, or a string holding a number (GuardDuty sometimes writes `"5"`), as a Double.
    public var doubleValue: Double? {
        switch self {
        case .number(let text): return Double(text)
        case .string(let s): return Double(s.trimmingSpaces).flatMap { $0.isFinite ? $0 : nil }
        default: return nil
        }
    }

    /// A whole number (or a string or a number like `3.0` holding one) as an Int64.
    public var int64Value: Int64? {
        switch self {
        case .number(let text):
            if let v = Int64(text) { return v }
            if let d = Double(text), d.rounded() == d, abs(d) < 9.0e18 { return Int64(d) }
            return nil
        case .string(let s):
            return JSONValue.number(s.trimmingSpaces).int64Value
        default: return nil
        }
    }

    /// `true`/`false`, or the strings "true"/"false".
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s) where s.lowercased() == "true": return true
        case .string(let s) where s.lowercased() == "false": return false
        default: return nil
        }
    }

    public var objectMembers: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var arrayElements: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}

/// One `"key": value` of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue
    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
