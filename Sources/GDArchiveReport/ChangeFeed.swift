import Foundation
import GDArchiveModel
import GDArchiveQuery
import GDArchiveStore
import GRDB

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
    public static let columns = ["kind", "id", "account_id", "region", "type", "title", "severity", "severity_label", "updated_at", "import",
                                 "count", "previous_count", "count_increase", "previous_severity", "previous_severity_label",
                                 "indicator_kind", "value"]

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
        let runCondition: String
        var runBindings: [DatabaseValue] = []
        switch selection {
        case .run(let id):
            runCondition = "c.import_run_id = ?"
            runBindings = [id.databaseValue]
        case .lastRun:
            runCondition = "c.import_run_id = (SELECT max(id) FROM import_runs WHERE status = 'completed')"
        case .since(let text):
            guard let ms = FilterCompiler.time(text, now: now) else {
                throw QueryRequestError.filter(QueryError(position: 0, length: text.count, message: "not a timestamp or relative time (-7d, -24h, …)", hint: nil),
                                               text: text, option: "--since")
            }
            runCondition = "c.import_run_id IN (SELECT id FROM import_runs WHERE started_at >= ?)"
            runBindings = [Timestamp.format(epochMilliseconds: ms).databaseValue]
        }
        let sql = """
            SELECT c.kind, f.id, f.account_id, f.region, f.type, f.title, f.severity, f.severity_label, f.updated_at, c.import_run_id,
                   CASE WHEN c.kind = 'recurred' THEN f.count END, c.previous_count, CASE WHEN c.kind = 'recurred' THEN f.count - c.previous_count END,
                   c.previous_severity, c.indicator_kind, c.indicator_value
            FROM finding_changes c CROSS JOIN finding_versions f ON f.version_id = c.version_id
            WHERE \(runCondition) AND (\(conditions.sql))\(samples)
            ORDER BY c.change_id
            """
        try reader.withDatabase { db in
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(runBindings + conditions.bindings.map(\.databaseValue)))
            while let row = try cursor.next() {
                var cells = Array(row.databaseValues.map(Cell.init))
                // previous_severity_label after previous_severity.
                let previous: Double? = row[13]
                cells.insert(previous.map { .text(VersionRecord.severityLabel(for: $0)) } ?? .null, at: 14)
                try body(cells)
            }
        }
    }
}
