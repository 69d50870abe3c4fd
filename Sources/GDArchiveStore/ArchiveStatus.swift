import GDArchiveModel
import Foundation
import GRDB

/// What an archive holds, for `gdarchive status`.
///
/// ```swift
/// let status = try archive.status()
/// print("\(status.findings) findings in \(status.versions) versions")
/// ```
public struct ArchiveStatus: Sendable, Equatable, Codable {
    /// The archive file.
    public var path: String
    public var findings: Int
    public var versions: Int
    /// Input files (and stdin) that anything was read from.
    public var files: Int
    /// Places versions were seen (a version seen in two files counts twice).
    public var sightings: Int
    public var importRuns: Int
    /// Distinct rejected inputs recorded in `import_errors`.
    public var errors: Int
    /// Bytes on disk: the database file plus its WAL.
    public var sizeBytes: Int64
    /// Schema version (the last migration applied).
    public var schemaVersion: Int
    /// When the last import run started, if any.
    public var lastImportStartedAt: String?
    /// The last import that completed without errors: when it finished, its files (read and
    /// unchanged) and new versions.
    public var lastSuccessfulImportAt: String?
    public var lastSuccessfulImportFiles: Int?
    public var lastSuccessfulImportNewVersions: Int?
    /// Imports since then that had errors, failed or were stopped.
    public var troubledImportsSince: Int
    /// Versions dated more than a day ahead of this machine's clock (see
    /// ``ArchiveWriter/horizon``): a forged or broken record, never a finding's latest
    /// version while it has another.
    public var versionsFromTheFuture: Int = 0
    /// The number of the last import run (what `gdarchive changes --import N` takes), if any.
    public var lastImportRun: Int64? = nil

    enum CodingKeys: String, CodingKey {
        case path, findings, versions, files, sightings, errors
        case importRuns = "import_runs"
        case sizeBytes = "size_bytes"
        case schemaVersion = "schema_version"
        case lastImportStartedAt = "last_import_started_at"
        case lastSuccessfulImportAt = "last_successful_import_at"
        case lastSuccessfulImportFiles = "last_successful_import_files"
        case lastSuccessfulImportNewVersions = "last_successful_import_new_versions"
        case troubledImportsSince = "imports_with_problems_since"
        case versionsFromTheFuture = "versions_from_the_future"
        case lastImportRun = "last_import_run"
    }
}

extension Archive {
    /// Counts what the archive holds, in one read transaction.
    public func status() throws -> ArchiveStatus {
        try read { try $0.status() }
    }
}

extension ArchiveReader {
    /// Counts what the archive holds, in this reader's snapshot: the counts, the last success
    /// and the troubled runs since it are one snapshot, even while an import commits.
    public func status() throws -> ArchiveStatus {
        let path = archive.path
        let (counts, success, troubled, future) = try { () throws -> (Row, Row?, Int, Int) in
            let counts = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM findings) AS findings,
                       (SELECT count(*) FROM versions) AS versions,
                       (SELECT count(*) FROM source_files) AS files,
                       (SELECT count(*) FROM sightings) AS sightings,
                       (SELECT count(*) FROM import_runs) AS runs,
                       (SELECT count(*) FROM import_errors) AS errors,
                       (SELECT max(version) FROM schema_migrations) AS schema_version,
                       (SELECT max(started_at) FROM import_runs) AS last_import,
                       (SELECT max(id) FROM import_runs) AS last_run
                """)!
            let success = try Row.fetchOne(db, sql: """
                SELECT id, finished_at, files + unchanged_files AS files, new_versions FROM import_runs
                WHERE status = 'completed' AND errors = 0 ORDER BY id DESC LIMIT 1
                """)
            let troubled = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM import_runs WHERE id > ? AND (errors > 0 OR status IN ('failed', 'interrupted')
                    OR (status = 'running' AND finished_at IS NULL AND id < (SELECT max(id) FROM import_runs)))
                """, arguments: [success?["id"] as Int64? ?? 0]) ?? 0
            let future = try Int.fetchOne(db, sql: "SELECT count(*) FROM versions WHERE updated_at > ?", arguments: [ArchiveWriter.horizon()]) ?? 0
            return (counts, success, troubled, future)
        }()
        let size = archive.fileBytes()
        return ArchiveStatus(
            path: path, findings: counts["findings"], versions: counts["versions"],
            files: counts["files"], sightings: counts["sightings"], importRuns: counts["runs"],
            errors: counts["errors"], sizeBytes: size, schemaVersion: counts["schema_version"] ?? 0,
            lastImportStartedAt: counts["last_import"], lastSuccessfulImportAt: success?["finished_at"],
            lastSuccessfulImportFiles: success?["files"], lastSuccessfulImportNewVersions: success?["new_versions"],
            troubledImportsSince: troubled, versionsFromTheFuture: future, lastImportRun: counts["last_run"])
    }
}

extension Archive {
    /// Whether any of the `recent` most recently stored bodies has a value at the dotted path
    /// (through arrays at any depth): for a path that GuardDuty's API model does not know (a
    /// member only the S3 export carries, a field newer than the model), whether it is a typo.
    public func recentBodiesHavePath(_ segments: [String], recent: Int = 2000) throws -> Bool {
        guard let first = segments.first else { return false }
        // Asked while a filter compiles, which may be inside a reader's snapshot (an HTML page
        // reads in one): then on that connection, as one more query of the snapshot.
        return try database.unsafeReentrantRead { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM (SELECT version_id FROM versions ORDER BY version_id DESC LIMIT ?) r
                               JOIN version_bodies b ON b.version_id = r.version_id, json_tree(b.body, ?) t
                               WHERE gdarchive_path(t.fullkey) = ?)
                """, arguments: [recent, "$." + first, "$." + segments.joined(separator: ".")]) ?? false
        }
    }
}

/// A stored version as `check --deep` compares it with its body: its columns (as a
/// ``VersionRecord`` whose `body` is the body it shows) and its indicators.
public struct StoredVersion: Sendable {
    public var versionID: Int64
    public var columns: VersionRecord
    public var indicators: Set<Indicator>
}

extension Archive {
    /// Every stored version in order, in one read transaction; `formBodies` gives the bodies
    /// of all of a version's forms (migration 14), for the caller that needs them.
    public func forEachStoredVersion(_ body: (_ version: StoredVersion, _ formBodies: () throws -> [String]) throws -> Void) throws {
        try database.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT v.version_id, v.id, v.account_id, v.region, v.type, v.title, v.severity, v.severity_label, v.confidence,
                       v.created_at, v.updated_at, v.first_seen, v.last_seen, v.count, v.archived, v.sample, v.resource_type,
                       v.resource_role, v.action_type, v.feature_name, b.body
                FROM versions v JOIN version_bodies b ON b.version_id = v.version_id ORDER BY v.version_id
                """)
            let indicators = try db.cachedStatement(sql: "SELECT kind, value FROM indicators WHERE version_id = ?")
            let forms = try db.cachedStatement(sql: "SELECT body FROM version_form_bodies WHERE version_id = ?")
            while let row = try rows.next() {
                let id: Int64 = row["version_id"]
                var record = VersionRecord(id: row["id"], accountId: row["account_id"], region: row["region"], body: row["body"])
                record.type = row["type"]; record.title = row["title"]; record.severity = row["severity"]
                record.severityLabel = row["severity_label"]; record.confidence = row["confidence"]
                record.createdAt = row["created_at"]; record.updatedAt = row["updated_at"]
                record.firstSeen = row["first_seen"]; record.lastSeen = row["last_seen"]; record.count = row["count"]
                record.archived = row["archived"]; record.sample = row["sample"] ?? false; record.resourceType = row["resource_type"]
                record.resourceRole = row["resource_role"]; record.actionType = row["action_type"]; record.featureName = row["feature_name"]
                let stored = Set(try Row.fetchAll(indicators, arguments: [id]).map { Indicator(kind: $0["kind"], value: $0["value"]) })
                try body(StoredVersion(versionID: id, columns: record, indicators: stored), { try String.fetchAll(forms, arguments: [id]) })
            }
        }
    }
}
