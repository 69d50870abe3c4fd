/// A field as written in a filter: a short field from ``FieldCatalog`` or a dotted path into the
/// finding's JSON (`service.action.awsApiCallAction.api`).
public enum FieldReference: Equatable, Sendable {
    case short(String)
    case path([String])

    public var text: String {
        switch self {
        case .short(let name): return name
        case .path(let segments): return segments.joined(separator: ".")
        }
    }
}

/// A literal value as written.
public enum Literal: Equatable, Sendable {
    case string(String)
    case number(String)
    case bool(Bool)
    /// A relative time (`-7d`) or `now`.
    case relativeTime(String)
    /// A bare word such as `critical`.
    case word(String)

    /// The literal as it would be written in a filter.
    public var text: String {
        switch self {
        case .string(let s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .relativeTime(let r): return r
        case .word(let w): return w
        }
    }
}

public enum ComparisonOperator: String, Sendable, CaseIterable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

/// A parsed filter. Positions (character offsets) are kept for error messages.
public indirect enum FilterExpression: Equatable, Sendable {
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)
    case compare(FieldReference, ComparisonOperator, Literal, position: Int)
    case like(FieldReference, Literal, negated: Bool, position: Int)
    case isIn(FieldReference, [Literal], negated: Bool, position: Int)
    case between(FieldReference, Literal, Literal, negated: Bool, position: Int)
    case isNull(FieldReference, negated: Bool, position: Int)

    /// Every field the filter names, with where it is written, in order.
    public var fieldReferences: [(field: FieldReference, position: Int)] {
        switch self {
        case .and(let a, let b), .or(let a, let b): return a.fieldReferences + b.fieldReferences
        case .not(let e): return e.fieldReferences
        case .compare(let f, _, _, let p), .like(let f, _, _, let p), .isIn(let f, _, _, let p),
             .between(let f, _, _, _, let p), .isNull(let f, _, let p):
            return [(f, p)]
        }
    }

    /// The filter written back as text (normalised spacing and keywords, fully parenthesised
    /// where precedence needs it). Parsing it gives the same expression, positions aside.
    public var text: String {
        switch self {
        case .and(let a, let b): return "\(a.operandText(of: "and")) and \(b.operandText(of: "and"))"
        case .or(let a, let b): return "\(a.text) or \(b.text)"
        case .not(let e): return "not \(e.atomText)"
        case .compare(let f, let op, let v, _): return "\(f.text) \(op.rawValue) \(v.text)"
        case .like(let f, let v, let n, _): return "\(f.text) \(n ? "not like" : "like") \(v.text)"
        case .isIn(let f, let vs, let n, _): return "\(f.text) \(n ? "not in" : "in") (\(vs.map(\.text).joined(separator: ", ")))"
        case .between(let f, let a, let b, let n, _): return "\(f.text) \(n ? "not between" : "between") \(a.text) and \(b.text)"
        case .isNull(let f, let n, _): return "\(f.text) is \(n ? "not null" : "null")"
        }
    }

    private func operandText(of op: String) -> String {
        if case .or = self { return "(\(text))" }
        return text
    }

    private var atomText: String {
        switch self {
        case .and, .or, .not: return "(\(text))"
        default: return text
        }
    }
}

extension FilterExpression {
    /// Whether the expression tests the short field `name` anywhere.
    public func mentions(field name: String) -> Bool {
        switch self {
        case .and(let a, let b), .or(let a, let b): return a.mentions(field: name) || b.mentions(field: name)
        case .not(let e): return e.mentions(field: name)
        case .compare(let f, _, _, _), .like(let f, _, _, _), .isIn(let f, _, _, _), .between(let f, _, _, _, _), .isNull(let f, _, _):
            return f == .short(name)
        }
    }
}
