import GDArchiveBasics
import Foundation
import GRDB

/// The write path of one import run. All methods run inside the caller's transaction, so a
/// file's records, provenance, errors and the run's counters commit together or not at all.
///
/// ```swift
/// let run = try ArchiveWriter.beginRun(in: archive, command: "gdarchive import x")
/// try archive.database.writeWithoutTransaction { db in
///     try db.inTransaction(.immediate) {
///         let writer = ArchiveWriter(db: db, runID: run)
///         let file = try writer.sourceFile(path: "/data/x.jsonl")
///         _ = try writer.store(record, file: file, line: 1, recordIndex: 0)
///         return .commit
///     }
/// }
/// ```
public struct ArchiveWriter {
    /// What storing one record did.
    public enum Outcome: Sendable, Equatable {
        /// The finding was new, and so was its version.
        case newFinding
        /// A new version of a finding already in the archive.
        case newVersion
        /// This exact version was already stored (a new sighting may have been added).
        case known
    }

    /// Counters of one run, added to `import_runs` as each file commits.
    public struct Counts: Sendable, Equatable {
        public var files = 0
        public var records = 0
        public var newFindings = 0
        public var newVersions = 0
        public var knownVersions = 0
        public var skipped = 0
        public var errors = 0
        public init() {}

        public static func += (lhs: inout Counts, rhs: Counts) {
            lhs.files += rhs.files; lhs.records += rhs.records; lhs.newFindings += rhs.newFindings
            lhs.newVersions += rhs.newVersions; lhs.knownVersions += rhs.knownVersions
            lhs.skipped += rhs.skipped; lhs.errors += rhs.errors
        }
    }

    public let db: Database
    public let runID: Int64
    /// Compresses bodies, and caches the bases that new versions are compressed against.
    /// Share one across the transactions of a run; call ``BodyCodec/forgetCachedBases()``
    /// after a transaction rolls back.
    public let bodies: BodyCodec

    public init(db: Database, runID: Int64, bodies: BodyCodec = BodyCodec()) {
        self.db = db
        self.runID = runID
        self.bodies = bodies
    }

    /// Records the start of an import run (committed at once) and returns its id.
    public static func beginRun(in archive: Archive, command: String) throws -> Int64 {
        try archive.database.write { db in
            try db.execute(
                sql: "INSERT INTO import_runs (started_at, command) VALUES (?, ?)",
                arguments: [Timestamp.now(), command])
            return db.lastInsertedRowID
        }
    }

    /// Records the end of a run.
    public static func finishRun(in archive: Archive, runID: Int64, status: String, unchangedFiles: Int = 0) throws {
        try archive.database.write { db in
            try db.execute(
                sql: "UPDATE import_runs SET finished_at = ?, status = ?, unchanged_files = ? WHERE id = ?",
                arguments: [Timestamp.now(), status, unchangedFiles, runID])
        }
    }

    /// Records what an input file looked like when it was read completely (call inside the
    /// file's transaction).
    public func recordFileState(file: Int64, size: Int64, mtimeNanoseconds: Int64, sha256: String) throws {
        try db.cachedStatement(sql: "UPDATE source_files SET size = ?, mtime_ns = ?, content_sha256 = ? WHERE id = ?")
            .execute(arguments: [size, mtimeNanoseconds, sha256, file])
    }

    /// Records a file's new size and modification time when its content is unchanged (call
    /// inside a transaction).
    public func recordFileState(path: String, size: Int64, mtimeNanoseconds: Int64, sha256: String) throws {
        try db.cachedStatement(sql: "UPDATE source_files SET size = ?, mtime_ns = ?, content_sha256 = ?, last_run_id = ? WHERE path = ?")
            .execute(arguments: [size, mtimeNanoseconds, sha256, runID, path])
    }

    /// Adds `counts` to the run's counters (call inside the file's transaction).
    public func add(_ counts: Counts) throws {
        try db.cachedStatement(sql: """
            UPDATE import_runs SET files = files + ?, records = records + ?,
                new_findings = new_findings + ?, new_versions = new_versions + ?,
                known_versions = known_versions + ?, skipped = skipped + ?, errors = errors + ?
            WHERE id = ?
            """).execute(arguments: [
                counts.files, counts.records, counts.newFindings, counts.newVersions,
                counts.knownVersions, counts.skipped, counts.errors, runID,
            ])
    }

    /// The id of the source file at `path`, created on first sight.
    public func sourceFile(path: String) throws -> Int64 {
        if let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM source_files WHERE path = ?"), arguments: [path]) {
            try db.cachedStatement(sql: "UPDATE source_files SET last_run_id = ? WHERE id = ?").execute(arguments: [runID, id])
            return id
        }
        try db.cachedStatement(sql: "INSERT INTO source_files (path, first_run_id, last_run_id) VALUES (?, ?, ?)")
            .execute(arguments: [path, runID, runID])
        return db.lastInsertedRowID
    }

    /// Stores `record` unless its version is already there, records where it was seen, and
    /// keeps the finding's latest version up to date.
    public func store(_ record: VersionRecord, file: Int64, line: Int, recordIndex: Int) throws -> Outcome {
        let hash = Data(record.hash)
        if let existing = try Int64.fetchOne(db.cachedStatement(sql: "SELECT version_id FROM versions WHERE hash = ?"), arguments: [hash]) {
            try addSighting(version: existing, file: file, line: line, recordIndex: recordIndex)
            return .known
        }
        let finding = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT f.finding_key, v.updated_at, v.count,
                       coalesce(b.base_version_id, b.version_id) AS base_version_id
                FROM findings f JOIN versions v ON v.version_id = f.latest_version_id
                LEFT JOIN version_blobs b ON b.version_id = f.latest_version_id
                WHERE f.account_id = ? AND f.region = ? AND f.id = ?
                """),
            arguments: [record.accountId, record.region, record.id])
        let findingKey: Int64
        if let finding {
            findingKey = finding["finding_key"]
        } else {
            try db.cachedStatement(sql: """
                INSERT INTO findings (account_id, region, id, latest_version_id, version_count)
                VALUES (?, ?, ?, 0, 0)
                """).execute(arguments: [record.accountId, record.region, record.id])
            findingKey = db.lastInsertedRowID
        }
        let becomesLatest: Bool
        if let finding {
            becomesLatest = Self.isAtLeastAsRecent(
                updatedAt: record.updatedAt, count: record.count,
                thanUpdatedAt: finding["updated_at"], count: finding["count"])
        } else {
            becomesLatest = true
        }
        // In order (the usual case), the predecessor is the current latest version.
        let occurrences: Int64?
        switch (finding, becomesLatest) {
        case (nil, _): occurrences = Self.occurrences(count: record.count, previous: nil)
        case (let finding?, true): occurrences = Self.occurrences(count: record.count, previous: finding["count"])
        case (_, false): occurrences = Self.occurrences(count: record.count, previous: try predecessorCount(finding: findingKey, updatedAt: record.updatedAt, count: record.count))
        }
        try db.cachedStatement(sql: """
            INSERT INTO versions (finding_key, hash, import_run_id, id, arn, account_id, region,
                partition, type, title, severity, severity_label, confidence, created_at,
                updated_at, first_seen, last_seen, count, archived, sample, resource_type,
                resource_role, action_type, detector_id, feature_name, occurrences)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                findingKey, hash, runID, record.id, record.arn, record.accountId, record.region,
                record.partition, record.type, record.title, record.severity, record.severityLabel,
                record.confidence, record.createdAt, record.updatedAt, record.firstSeen,
                record.lastSeen, record.count, record.archived, record.sample, record.resourceType,
                record.resourceRole, record.actionType, record.detectorId, record.featureName, occurrences,
            ])
        let versionID = db.lastInsertedRowID
        try storeBody(record.body, version: versionID, findingBase: finding?["base_version_id"])
        try insertIndicators(record.indicators, version: versionID)
        if !becomesLatest {
            try updateSuccessor(finding: findingKey, updatedAt: record.updatedAt, count: record.count)
        }
        if becomesLatest {
            try db.cachedStatement(sql: "UPDATE findings SET latest_version_id = ?, version_count = version_count + 1 WHERE finding_key = ?")
                .execute(arguments: [versionID, findingKey])
        } else {
            try db.cachedStatement(sql: "UPDATE findings SET version_count = version_count + 1 WHERE finding_key = ?")
                .execute(arguments: [findingKey])
        }
        try addSighting(version: versionID, file: file, line: line, recordIndex: recordIndex)
        return finding == nil ? .newFinding : .newVersion
    }

    /// Stores a body compressed against its finding's base (see ``BodyCodec``); the first
    /// version of a finding becomes its base.
    private func storeBody(_ body: String, version: Int64, findingBase: Int64?) throws {
        let text = Array(body.utf8)
        var baseID = findingBase
        var baseText: [UInt8]?
        if let id = baseID {
            baseText = try bodies.base(id) {
                try Data.fetchOne(db.cachedStatement(sql: "SELECT data FROM version_blobs WHERE version_id = ? AND base_version_id IS NULL"), arguments: [id])
            }
            if baseText == nil { baseID = nil }
        }
        let data = try bodies.compress(text, base: baseText)
        try db.cachedStatement(sql: "INSERT INTO version_blobs (version_id, base_version_id, data) VALUES (?, ?, ?)")
            .execute(arguments: [version, baseID, data])
        if baseID == nil { bodies.remember(version, text) }
    }

    /// The count of the version that precedes a new one in the latest-version order (the new
    /// one is imported last, so it follows every version with the same updated_at and count).
    private func predecessorCount(finding: Int64, updatedAt: String?, count: Int64?) throws -> Int64? {
        try Int64?.fetchOne(db.cachedStatement(sql: """
            SELECT count FROM versions
            WHERE finding_key = ? AND (coalesce(updated_at, ''), coalesce(count, -9223372036854775808)) <= (?, ?)
            ORDER BY coalesce(updated_at, '') DESC, coalesce(count, -9223372036854775808) DESC, version_id DESC LIMIT 1
            """), arguments: [finding, updatedAt ?? "", count ?? Int64.min]) ?? nil
    }

    /// A version that arrived out of order changes what its successor added.
    private func updateSuccessor(finding: Int64, updatedAt: String?, count: Int64?) throws {
        guard let successor = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT version_id, count FROM versions
            WHERE finding_key = ? AND (coalesce(updated_at, ''), coalesce(count, -9223372036854775808)) > (?, ?)
            ORDER BY coalesce(updated_at, ''), coalesce(count, -9223372036854775808), version_id LIMIT 1
            """), arguments: [finding, updatedAt ?? "", count ?? Int64.min]) else { return }
        try db.cachedStatement(sql: "UPDATE versions SET occurrences = ? WHERE version_id = ?")
            .execute(arguments: [Self.occurrences(count: successor["count"], previous: count), successor["version_id"] as Int64])
    }

    /// What a version with `count` adds to one with `previous`: the difference, or the whole
    /// count for a first version (or one after a version without a count) and after a reset.
    public static func occurrences(count: Int64?, previous: Int64?) -> Int64? {
        guard let previous else { return count ?? 0 }
        guard let count else { return nil }
        return count < previous ? count : count - previous
    }

    /// The latest-version order: greater `updated_at` wins, then greater `count`; on a tie the
    /// version imported later wins (so the newcomer, which is compared here, wins ties).
    /// A missing value sorts before any present one.
    public static func isAtLeastAsRecent(updatedAt: String?, count: Int64?, thanUpdatedAt other: String?, count otherCount: Int64?) -> Bool {
        let a = updatedAt ?? "", b = other ?? ""
        if a != b { return a > b }
        return (count ?? Int64.min) >= (otherCount ?? Int64.min)
    }

    /// Stores the indicators of one version.
    public func insertIndicators(_ indicators: [Indicator], version: Int64) throws {
        let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO indicators (kind, value, version_id) VALUES (?, ?, ?)")
        for indicator in indicators {
            try statement.execute(arguments: [indicator.kind, indicator.value, version])
        }
    }

    private func addSighting(version: Int64, file: Int64, line: Int, recordIndex: Int) throws {
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO sightings (version_id, file_id, line, record_index, import_run_id)
            VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [version, file, line, recordIndex, runID])
    }

    /// Records rejected input. The same problem at the same place is kept once.
    public func recordError(file: Int64, line: Int, recordIndex: Int, kind: String, message: String, excerpt: String?) throws {
        try db.cachedStatement(sql: """
            INSERT INTO import_errors (file_id, line, record_index, kind, message, excerpt, first_run_id, last_run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (file_id, line, record_index, kind, message) DO UPDATE SET last_run_id = excluded.last_run_id
            """).execute(arguments: [file, line, recordIndex, kind, message, excerpt, runID, runID])
    }
}
