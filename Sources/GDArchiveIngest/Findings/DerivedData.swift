import GDArchiveJSON
import GDArchiveStore
import GRDB

/// Keeps data derived from stored bodies (the indicators: `version_indicators` and
/// `indicator_values`) in step with the code that
/// derives it. Archives made before a kind of indicator existed, or by an older extractor, are
/// re-derived in batches the first time a newer gdarchive opens them for import or query.
///
/// ```swift
/// let updated = try DerivedData.refreshIfNeeded(archive)   // number of versions re-derived
/// ```
///
/// Each batch is its own transaction and the recorded version moves only at the end, so an
/// interrupted refresh simply starts again; rewriting a version's indicators is idempotent.
public enum DerivedData {
    static let name = "indicators"

    /// Whether the archive's indicators were made by this extractor.
    public static func isUpToDate(_ archive: Archive) throws -> Bool {
        try archive.database.read { db in
            try Int.fetchOne(db, sql: "SELECT version FROM derived_state WHERE name = ?", arguments: [name])
        } == IndicatorExtractor.version
    }

    /// Re-derives indicators if the archive's were made by an older extractor. Returns how many
    /// versions were processed (0 when up to date, and on an archive opened read-only, which
    /// keeps what it has: see ``isUpToDate(_:)``).
    @discardableResult
    public static func refreshIfNeeded(_ archive: Archive, batchSize: Int = 2000) throws -> Int {
        if try archive.isReadOnly || isUpToDate(archive) { return 0 }
        var last: Int64 = 0
        var processed = 0
        while true {
            let done = try archive.database.write { db -> Bool in
                let rows = try Row.fetchAll(db, sql: "SELECT version_id, body FROM version_bodies WHERE version_id > ? ORDER BY version_id LIMIT ?", arguments: [last, batchSize])
                guard !rows.isEmpty else { return true }
                let writer = try ArchiveWriter(db: db, runID: 0)
                for row in rows {
                    let id: Int64 = row["version_id"]
                    let body: String = row["body"]
                    try db.execute(sql: "DELETE FROM version_indicators WHERE version_id = ?", arguments: [id])
                    if let value = try? JSONParser.parse(Array(body.utf8)) {
                        try writer.insertIndicators(IndicatorExtractor.indicators(in: value), version: id)
                    }
                    last = id
                    processed += 1
                }
                return false
            }
            if done { break }
        }
        try archive.database.write { db in
            try ArchiveWriter.deleteUnusedIndicatorValues(db)
            try db.execute(sql: "INSERT OR REPLACE INTO derived_state (name, version) VALUES (?, ?)", arguments: [name, IndicatorExtractor.version])
        }
        return processed
    }
}
