import Foundation
import GRDB

/// Which import runs' changes (migration 16) to read.
package enum ChangeRuns: Sendable, Equatable {
    case run(Int64)
    /// The last run that completed.
    case lastCompleted
    /// The runs started at or after an instant (`YYYY-MM-DDTHH:MM:SS.sssZ`).
    case startedSince(String)
}

extension SQLCondition {
    /// A condition whose bindings are stored values (for callers that do not speak GRDB).
    package init(sql: String, values: [StoredValue]) {
        self.init(sql: sql, bindings: values.map(\.databaseValue))
    }
}

extension StoredValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let i): return i.databaseValue
        case .real(let d): return d.databaseValue
        case .text(let s): return s.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        }
    }

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let data): self = .blob(Array(data))
        }
    }
}

extension ArchiveReader {
    /// The columns ``forEachChange(in:where:_:)`` hands over, in order.
    package static let changeColumns = ["kind", "id", "account_id", "region", "type", "title", "severity", "severity_label", "updated_at", "import",
                                        "count", "previous_count", "count_increase", "previous_severity", "indicator_kind", "value"]

    /// The changes of `runs` whose changed version (the row `f` of `finding_versions`)
    /// `condition` selects, in the order they were stored; a kind's own fields are null on the
    /// rows of other kinds.
    package func forEachChange(in runs: ChangeRuns, where condition: SQLCondition, _ body: ([StoredValue]) throws -> Void) throws {
        let runCondition: String
        var runBindings: [DatabaseValue] = []
        switch runs {
        case .run(let id):
            runCondition = "c.import_run_id = ?"
            runBindings = [id.databaseValue]
        case .lastCompleted:
            runCondition = "c.import_run_id = (SELECT max(id) FROM import_runs WHERE status = 'completed')"
        case .startedSince(let instant):
            runCondition = "c.import_run_id IN (SELECT id FROM import_runs WHERE started_at >= ?)"
            runBindings = [instant.databaseValue]
        }
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT c.kind, f.id, f.account_id, f.region, f.type, f.title, f.severity, f.severity_label, f.updated_at, c.import_run_id,
                   CASE WHEN c.kind = 'recurred' THEN f.count END, c.previous_count, CASE WHEN c.kind = 'recurred' THEN f.count - c.previous_count END,
                   c.previous_severity, c.indicator_kind, c.indicator_value
            FROM finding_changes c CROSS JOIN finding_versions f ON f.version_id = c.version_id
            WHERE \(runCondition) AND (\(condition.sql))
            ORDER BY c.change_id
            """, arguments: StatementArguments(runBindings + condition.bindings))
        while let row = try cursor.next() {
            try body(row.databaseValues.map(StoredValue.init))
        }
    }
}
