/// A filter that cannot be compiled: what is wrong, where (a column of the filter text), and
/// what to do instead.
///
/// ```swift
/// do { _ = try Filter.compile("severty >= 7", context: .init(now: 0)) }
/// catch let error as QueryError { print(error.rendered(filter: "severty >= 7")) }
/// // error: unknown field 'severty'
/// //   severty >= 7
/// //   ^~~~~~~
/// // hint: did you mean 'severity'?
/// ```
public struct QueryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 0-based offset (in characters) into the filter where the problem starts.
    public var position: Int
    /// How many characters the problem spans (at least 1).
    public var length: Int
    public var message: String
    public var hint: String?

    public init(position: Int, length: Int = 1, message: String, hint: String? = nil) {
        self.position = position
        self.length = max(1, length)
        self.message = message
        self.hint = hint
    }

    public var description: String { message }

    /// The message, the filter with a caret under the problem, and the hint.
    public func rendered(filter: String) -> String {
        let visible = filter.map { $0 == "\n" || $0 == "\t" ? " " : String($0) }.joined()
        var lines = ["error: \(message)", "  " + visible, "  " + String(repeating: " ", count: position) + "^" + String(repeating: "~", count: length - 1)]
        if let hint { lines.append("hint: \(hint)") }
        return lines.joined(separator: "\n")
    }
}

extension QueryError {
    static let expectedValue = "expected a value"
    static let expectedOperator = "expected an operator (=, !=, <, <=, >, >=, like, not like, in, not in, between, is null, is not null)"
}
