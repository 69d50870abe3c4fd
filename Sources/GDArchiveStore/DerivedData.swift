import GDArchiveModel
import GRDB

/// Data derived from stored bodies (the indicators: `version_indicators` and
/// `indicator_values`), kept in step with the code that derives it (`derived_state`). Each
/// batch is its own transaction and the recorded version moves only at the end, so an
/// interrupted refresh simply starts again; rewriting a version's indicators is idempotent.
/// The extractor is the caller's (Ingest's `IndicatorExtractor`).
extension Archive {
    static let derivedIndicatorsName = "indicators"

    /// Whether the archive's indicators were made by extractor `version`.
    public func derivedIndicatorsAreCurrent(version: Int) throws -> Bool {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT version FROM derived_state WHERE name = ?", arguments: [Self.derivedIndicatorsName])
        } == version
    }

    /// Re-derives every version's indicators with `extract` (nil: a body it cannot read,
    /// which gets none), in batches of `batchSize`, then records `version`. Returns how many
    /// versions were processed.
    public func refreshDerivedIndicators(version: Int, batchSize: Int = 2000, extract: (String) -> [Indicator]?) throws -> Int {
        var last: Int64 = 0
        var processed = 0
        while true {
            let done = try database.write { db -> Bool in
                let rows = try Row.fetchAll(db, sql: "SELECT version_id, body FROM version_bodies WHERE version_id > ? ORDER BY version_id LIMIT ?", arguments: [last, batchSize])
                guard !rows.isEmpty else { return true }
                let writer = try ArchiveWriter(db: db, runID: 0)
                for row in rows {
                    let id: Int64 = row["version_id"]
                    let body: String = row["body"]
                    try db.execute(sql: "DELETE FROM version_indicators WHERE version_id = ?", arguments: [id])
                    if let indicators = extract(body) {
                        try writer.insertIndicators(indicators, version: id)
                    }
                    last = id
                    processed += 1
                }
                return false
            }
            if done { break }
        }
        try database.write { db in
            try ArchiveWriter.deleteUnusedIndicatorValues(db)
            try db.execute(sql: "INSERT OR REPLACE INTO derived_state (name, version) VALUES (?, ?)", arguments: [Self.derivedIndicatorsName, version])
        }
        return processed
    }
}
