import Foundation
import GDArchiveModel
import GDArchiveQuery
import GDArchiveStore

/// What imports changed (migration 16): the rows of `gdarchive changes` and of
/// `import --emit-changes`, in the order they were stored.
///
/// ```swift
/// let feed = try ChangeFeed.run(.lastRun, on: archive)   // RowSet of ChangeFeed.columns
/// ```
public enum ChangeFeed {
    /// Which imports' changes.
    public enum Selection: Sendable, Equatable {
        /// One import run, by its number (`status`, `--log-format json`'s `run_id`).
        case run(Int64)
        /// The last import run that completed.
        case lastRun
        /// The runs started at or after an instant (a timestamp or -7d, -24h, …).
        case since(String)
    }

    /// Every line's fields; a kind's own fields are null on the lines of other kinds.
    public static let columns: [String] = {
        var columns = ArchiveReader.changeColumns
        columns.insert("previous_severity_label", at: previousSeverityColumn + 1)
        return columns
    }()

    /// Where the Store's rows carry `previous_severity`.
    static let previousSeverityColumn = ArchiveReader.changeColumns.firstIndex(of: "previous_severity")!

    public static func run(_ selection: Selection, filter: String? = nil, on archive: Archive,
                           now: Int64 = Timestamp.nowMilliseconds()) throws -> RowSet {
        var rows: [[Cell]] = []
        try archive.read { try stream(selection, request: QueryRequest(filter: filter), in: $0, now: now) { rows.append($0) } }
        return RowSet(columns: columns, rows: rows)
    }

    /// Hands each change to `body`, oldest first. `request`'s filter (over the changed
    /// version's fields) narrows them: `severity >= high and account_id = '…'`; sample
    /// findings are left out unless it includes them (``SampleScope``).
    public static func stream(_ selection: Selection, request: QueryRequest, in reader: ArchiveReader, now: Int64 = Timestamp.nowMilliseconds(),
                              _ body: ([Cell]) throws -> Void) throws {
        var plain = request
        plain.since = nil
        plain.until = nil
        let (conditions, mentionsSample) = try FindingQuery.compileConditions(plain, now: now, rowsAreFindings: false)
        // The one sample scope: a sample finding's changes are left out with it.
        let samples = SampleScope.leaveOut(!request.includeSamples && !mentionsSample, rowsAreFindings: false)
        let runs: ChangeRuns
        switch selection {
        case .run(let id): runs = .run(id)
        case .lastRun: runs = .lastCompleted
        case .since(let text):
            guard let ms = FilterCompiler.time(text, now: now) else {
                throw QueryRequestError.filter(QueryError(position: 0, length: text.count, message: "not a timestamp or relative time (-7d, -24h, …)", hint: nil),
                                               text: text, option: "--since")
            }
            runs = .startedSince(Timestamp.format(epochMilliseconds: ms))
        }
        let values = conditions.bindings.map { value -> StoredValue in
            switch value {
            case .text(let s): return .text(s)
            case .integer(let i): return .integer(i)
            case .real(let d): return .real(d)
            }
        }
        try reader.forEachChange(in: runs, where: SQLCondition(sql: "(\(conditions.sql))\(samples)", values: values)) { row in
            var cells = row.map(Cell.init)
            // previous_severity_label after previous_severity (a REAL column).
            var label = Cell.null
            if case .real(let previous) = row[Self.previousSeverityColumn] { label = .text(VersionRecord.severityLabel(for: previous)) }
            cells.insert(label, at: Self.previousSeverityColumn + 1)
            try body(cells)
        }
    }
}
