import Foundation
import GDArchiveJSON
import GRDB

/// One read transaction on the archive. Every answer reads through one reader (a report, an
/// HTML page, `status`, `show`), so its numbers are one snapshot even while an import commits.
///
/// ```swift
/// let (status, history) = try archive.read { reader in
///     (try reader.status(), try reader.storedFindings(id: "6ab2…"))
/// }
/// ```
///
/// A reader is only valid inside the `read` that made it, and reads cannot be nested (GRDB's
/// database methods are not reentrant): inside one, call the `in reader:` forms.
public struct ArchiveReader {
    let db: Database
    public let archive: Archive

    /// The reader's connection, for the scans that move into the Store in later steps of the
    /// renovation (the query, `report by` and the timeline).
    package func withDatabase<T>(_ body: (Database) throws -> T) rethrows -> T {
        try body(db)
    }
}

extension Archive {
    /// Runs `body` with a reader of one read transaction (one snapshot).
    public func read<T>(_ body: (ArchiveReader) throws -> T) throws -> T {
        try database.read { db in try body(ArchiveReader(db: db, archive: self)) }
    }
}

/// A finding as the archive keys it.
public struct StoredFinding: Sendable, Equatable {
    public var key: Int64
    public var accountId: String
    public var region: String
    public var id: String
    public var latestVersionID: Int64
}

/// One stored version of a finding, for its history.
public struct HistoryVersion: Sendable, Equatable {
    public var versionID: Int64
    public var updatedAt: String?
    public var count: Int64?
    public var lastSeen: String?
    public var severity: Double?
    public var archived: Bool?
    /// The version's shown body.
    public var body: String
    /// Where it was first seen (`path:line`).
    public var firstSeenIn: String?
}

/// One stored form (body) of a version (migration 14).
public struct StoredForm: Sendable, Equatable {
    public var sha256: [UInt8]
    public var shown: Bool
    public var body: String
    /// Where this form was seen (`path:line`), in order.
    public var seenIn: [String]
}

extension ArchiveReader {
    /// The versions of a finding in history order: oldest first, those without `updated_at`
    /// before all, ties by count, archived last, then import order.
    static let historyOrder = "updated_at IS NULL DESC, updated_at, count, coalesce(archived, 0), version_id"

    /// Every finding with exactly this id (one per account and Region it appears in).
    public func storedFindings(id: String) throws -> [StoredFinding] {
        try Row.fetchAll(db, sql: "SELECT finding_key, account_id, region, id, latest_version_id FROM findings WHERE id = ? ORDER BY account_id, region", arguments: [id])
            .map { StoredFinding(key: $0["finding_key"], accountId: $0["account_id"], region: $0["region"], id: $0["id"], latestVersionID: $0["latest_version_id"]) }
    }

    /// A finding's versions, in history order.
    public func storedVersions(ofFinding key: Int64) throws -> [HistoryVersion] {
        try Row.fetchAll(db, sql: """
            SELECT v.version_id, v.updated_at, v.count, v.last_seen, v.severity, v.archived,
                   (SELECT b.body FROM version_bodies b WHERE b.version_id = v.version_id) AS body,
                   (SELECT s.path || ':' || g.line FROM sightings g JOIN source_files s ON s.id = g.file_id
                    WHERE g.version_id = v.version_id ORDER BY g.import_run_id, g.file_id, g.line LIMIT 1) AS first_seen_in
            FROM versions v WHERE v.finding_key = ?
            ORDER BY \(Self.historyOrder)
            """, arguments: [key]).map { row in
            HistoryVersion(versionID: row["version_id"], updatedAt: row["updated_at"], count: row["count"], lastSeen: row["last_seen"],
                          severity: row["severity"], archived: row["archived"], body: row["body"], firstSeenIn: row["first_seen_in"])
        }
    }

    /// The forms of each of a finding's versions (history order), the first stored first.
    public func storedForms(ofFinding key: Int64) throws -> [[StoredForm]] {
        let versions = try Int64.fetchAll(db, sql: "SELECT version_id FROM versions WHERE finding_key = ? ORDER BY \(Self.historyOrder)", arguments: [key])
        return try versions.map { version in
            try Row.fetchAll(db, sql: """
                SELECT b.form_id, b.hash, b.shown, b.body,
                       (SELECT json_group_array(p) FROM (SELECT s.path || ':' || g.line AS p FROM sightings g JOIN source_files s ON s.id = g.file_id
                        WHERE g.version_id = b.version_id AND g.form_id IS b.form_id ORDER BY g.import_run_id, g.file_id, g.line)) AS seen_in
                FROM version_form_bodies b WHERE b.version_id = ? ORDER BY b.form_id IS NOT NULL, b.form_id
                """, arguments: [version]).map { form in
                var seen: [String] = []
                if case .array(let paths)? = try? JSONParser.parse(Array((form["seen_in"] as String? ?? "[]").utf8)) {
                    seen = paths.compactMap { if case .string(let path) = $0 { return path } else { return nil } }
                }
                return StoredForm(sha256: Array(form["hash"] as Data), shown: form["shown"], body: form["body"], seenIn: seen)
            }
        }
    }

    /// Ids that start with `prefix` (no LIKE wildcards), for "did you mean".
    public func findingIDs(withPrefix prefix: String, limit: Int = 10) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT DISTINCT id FROM findings WHERE substr(id, 1, length(?)) = ? ORDER BY id LIMIT ?",
                            arguments: [prefix, prefix, limit])
    }
}
