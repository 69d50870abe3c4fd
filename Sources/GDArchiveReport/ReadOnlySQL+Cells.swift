import GDArchiveStore

extension ReadOnlySQL {
    /// Runs the statement and returns every row (for small answers and tests).
    public static func run(_ sql: String, archivePath: String, location: String? = nil, limits: Limits = Limits()) throws -> RowSet {
        var set = RowSet(columns: [], rows: [])
        try stream(sql, archivePath: archivePath, location: location, limits: limits, columns: { set.columns = $0 }) { set.rows.append($0) }
        return set
    }

    /// ``stream(_:archivePath:location:limits:columns:values:)`` with each row as cells.
    public static func stream(_ sql: String, archivePath: String, location: String? = nil, limits: Limits = Limits(),
                              columns: ([String]) throws -> Void, row: ([Cell]) throws -> Void) throws {
        try stream(sql, archivePath: archivePath, location: location, limits: limits, columns: columns, values: { try row($0.map(Cell.init)) })
    }
}

extension Cell {
    /// A stored value as a cell: a blob as hexadecimal text.
    init(_ value: StoredValue) {
        switch value {
        case .null: self = .null
        case .integer(let i): self = .int(i)
        case .real(let d): self = .double(d)
        case .text(let s): self = .text(s)
        case .blob(let bytes): self = .text(bytes.map { String(format: "%02x", $0) }.joined())
        }
    }
}
