import GDArchiveModel

/// A message about the input, located like a compiler's: `path:line:column: error: message`.
///
/// ```swift
/// let d = Diagnostic(severity: .error, path: "x.jsonl", line: 7, column: 12, message: "unexpected character ','")
/// d.description   // "x.jsonl:7:12: error: unexpected character ','"
/// ```
public struct Diagnostic: Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error, warning, note
    }

    public var severity: Severity
    /// The input as the user named it (`-` for standard input).
    public var path: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(severity: Severity, path: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.severity = severity
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    /// The diagnostic as one line, with control characters made visible (`\u{1b}`), so that
    /// text taken from a finding can never drive the terminal.
    public var description: String {
        var location = Self.visible(path)
        if let line { location += ":\(line)" }
        if let line = line, line > 0, let column { location += ":\(column)" }
        return "\(location): \(severity.rawValue): \(Self.visible(message))"
    }

    static func visible(_ s: String) -> String { VisibleText.escaped(s) }
}
