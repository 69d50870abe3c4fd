/// The output formats every command that prints rows offers (`--format`).
///
/// ```swift
/// let text = RowRenderer.render(rows, as: .csv)
/// ```
public enum OutputFormat: String, CaseIterable, Sendable {
    /// Aligned columns for people; control characters in values are made visible.
    case table
    /// One JSON array of objects (or one object for a single record).
    case json
    /// One JSON object per line.
    case jsonl
    /// RFC 4180 CSV with a header row.
    case csv
    /// Tab-separated values with a header row; tabs and newlines in values are escaped.
    case tsv
}

/// How CSV and TSV write text cells.
public enum CellEscaping: Sendable {
    /// Safe to open in a spreadsheet (the default): a cell starting with `=`, `+`, `-`, `@`,
    /// a tab or a carriage return gets a `'` in front (OWASP's rule against formula
    /// injection: finding text is attacker-influenced), and control, bidirectional-override
    /// and zero-width characters are shown escaped, as in tables.
    case spreadsheetSafe
    /// Exactly as stored (`--raw-cells`), for programs that read the file.
    case raw
}

/// One value in a row.
public enum Cell: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case text(String)
    /// A list: a JSON array; in the other formats its elements joined by ", ".
    case list([Cell])

    /// The integer, or 0 for anything else (for sizing bars).
    var integerValue: Int64 {
        if case .int(let i) = self { return i }
        return 0
    }

    var isNumeric: Bool {
        switch self {
        case .int, .double: return true
        default: return false
        }
    }
}

/// Named columns and their rows.
///
/// ```swift
/// let rows = RowSet(columns: ["type", "findings"], rows: [[.text("Recon:EC2/PortProbeUnprotectedPort"), .int(3)]])
/// ```
public struct RowSet: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[Cell]]
    public init(columns: [String], rows: [[Cell]]) {
        self.columns = columns
        self.rows = rows
    }
}
