import Foundation
import GDArchiveModel
import GDArchiveJSON
import GRDB

/// What `gdarchive check` found.
public struct CheckReport: Sendable, Equatable {
    /// Every problem, one sentence each; empty when the archive is sound.
    public var problems: [String]
    public var findings: Int
    public var versions: Int
    public var isOK: Bool { problems.isEmpty }
    /// What is sound but worth knowing (versions from the future), one sentence each.
    public var notices: [String] = []
}

/// What `gdarchive prune` removed (or would remove, in a dry run).
public struct PruneReport: Sendable, Equatable {
    public var cutoff: String
    public var findings: Int
    public var versions: Int
    public var bytesBefore: Int64
    public var bytesAfter: Int64
}

/// What `gdarchive compact` did.
///
/// ```swift
/// let report = try archive.compact()
/// if report.trained { print("trained a dictionary") }
/// print("\(report.recompressed) first versions recompressed")
/// ```
public struct CompactReport: Sendable, Equatable {
    /// A dictionary was trained on stored bases (the archive had none).
    public var trained: Bool
    /// The archive has a dictionary for bases (trained now or before).
    public var hasDictionary: Bool
    /// Bases now compressed with the dictionary that were not.
    public var recompressed: Int
    public var bytesBefore: Int64
    public var bytesAfter: Int64
}

extension Archive {
    /// Compresses the bases (first versions) stored without the archive's dictionary, as
    /// archives made before migration 13 and the bases a dictionary was trained on are,
    /// training one on the stored bases first when the archive has none and at least
    /// `trainingSamples` bases; then VACUUM returns the space (also what migrations freed).
    /// Every new frame is decompressed and compared with the body before it replaces the old
    /// one. Batches of 2,000 bases, each its own transaction: an interrupted compact leaves
    /// every body readable and can simply run again.
    ///
    /// ```swift
    /// let report = try archive.compact()
    /// print(report.recompressed, report.bytesBefore, report.bytesAfter)
    /// ```
    public func compact(trainingSamples: Int = 1000) throws -> CompactReport {
        let before = try settledBytes()
        let codec = BodyCodec(trainingSamples: trainingSamples)
        var report = CompactReport(trained: false, hasDictionary: false, recompressed: 0, bytesBefore: before, bytesAfter: before)
        try database.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try codec.loadDictionaries(db)
                if codec.activeDictionary == nil {
                    let frames = try Data.fetchAll(db, sql: "SELECT data FROM version_blobs WHERE base_version_id IS NULL ORDER BY version_id LIMIT ?",
                                                   arguments: [trainingSamples])
                    for frame in frames {
                        if let dictionary = codec.trainingSample(try codec.decompress(frame, base: nil)) {
                            try ArchiveWriter.storeDictionary(dictionary, in: db, codec: codec)
                            report.trained = codec.activeDictionary != nil
                        }
                    }
                }
                return .commit
            }
            let active = codec.activeDictionary
            report.hasDictionary = active != nil
            var last: Int64 = 0
            var done = active == nil
            while !done {
                try db.inTransaction(.immediate) {
                    let rows = try Row.fetchAll(db, sql: """
                        SELECT version_id, data FROM version_blobs
                        WHERE base_version_id IS NULL AND version_id > ? ORDER BY version_id LIMIT 2000
                        """, arguments: [last])
                    done = rows.isEmpty
                    for row in rows {
                        last = row["version_id"]
                        let frame: Data = row["data"]
                        guard BodyCodec.dictionary(of: frame) != active else { continue }
                        let text = try codec.decompress(frame, base: nil)
                        let smaller = try codec.compress(text, base: nil)
                        guard smaller.count < frame.count else { continue }
                        guard try codec.decompress(smaller, base: nil) == text else {
                            throw StoreError.bodyCodec("version \(last) does not read back the same once recompressed; left as it was")
                        }
                        try db.execute(sql: "UPDATE version_blobs SET data = ? WHERE version_id = ?", arguments: [smaller, last])
                        report.recompressed += 1
                    }
                    return .commit
                }
            }
            try db.execute(sql: "VACUUM")
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        report.bytesAfter = fileBytes()
        return report
    }

    /// Checks SQLite's integrity and the archive's own invariants: every finding has a latest
    /// version and it is the right one (greatest updated_at, then count, then import order),
    /// its copy of that version's columns matches, version counts and stored occurrences are
    /// right, every version's hash is the SHA-256 of its body, every
    /// version was seen somewhere, provenance and indicators point at what exists. (Migration
    /// checksums were checked when the archive was opened.)
    ///
    /// ```swift
    /// let report = try archive.check()
    /// if !report.isOK { report.problems.forEach { print($0) } }
    /// ```
    public func check() throws -> CheckReport {
        try database.read { db in
            var problems: [String] = []
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            if integrity != ["ok"] { problems += integrity.prefix(20).map { "SQLite integrity: \($0)" } }
            let foreign = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            for row in foreign.prefix(20) {
                problems.append("a row of \(row[0] as String? ?? "?") (rowid \(row[1] as Int64? ?? -1)) points at a missing row of \(row[2] as String? ?? "?")")
            }
            func report(_ sql: String, arguments: StatementArguments = [], _ describe: (Row) -> String) throws {
                for row in try Row.fetchAll(db, sql: sql + " LIMIT 20", arguments: arguments) { problems.append(describe(row)) }
            }
            try report("""
                SELECT f.id, f.account_id, f.region FROM findings f
                LEFT JOIN versions v ON v.version_id = f.latest_version_id AND v.finding_key = f.finding_key
                WHERE v.version_id IS NULL
                """) { "finding \($0["id"] as String) (\($0["account_id"] as String), \($0["region"] as String)) has no latest version" }
            try report("""
                SELECT f.id, f.latest_version_id, \(Self.latestVersionSQL(of: "f.finding_key")) AS expected
                FROM findings f WHERE f.latest_version_id != expected
                """, arguments: [ArchiveWriter.horizon()]) { "finding \($0["id"] as String): the latest version should be \($0["expected"] as Int64), not \($0["latest_version_id"] as Int64)" }
            try report("""
                SELECT x.version_id, x.id, x.occurrences, x.expected FROM (
                    SELECT version_id, id, occurrences,
                           CASE WHEN lag(count) OVER w IS NULL OR count < lag(count) OVER w THEN coalesce(count, 0)
                                ELSE count - lag(count) OVER w END AS expected
                    FROM versions
                    WINDOW w AS (PARTITION BY finding_key ORDER BY updated_at, count, coalesce(archived, 0), version_id)
                ) x WHERE x.occurrences IS NOT x.expected
                """) { row in
                let stored = (row["occurrences"] as Int64?).map(String.init) ?? "none"
                let expected = (row["expected"] as Int64?).map(String.init) ?? "none"
                return "version \(row["version_id"] as Int64) of finding \(row["id"] as String) records \(stored) occurrences; its count growth says \(expected)"
            }
            // Each finding's copy of its latest version's columns (migration 9; arn, partition
            // and detector_id are kept only in findings since migration 11).
            let copied = ["type", "title", "severity", "severity_label", "confidence", "created_at", "updated_at",
                          "first_seen", "last_seen", "count", "archived", "sample", "resource_type", "resource_role", "action_type",
                          "feature_name"]
            try report("""
                SELECT f.id, f.latest_version_id, \(copied.map { "f.\($0) IS NOT v.\($0) AS \($0)" }.joined(separator: ", "))
                FROM findings f JOIN versions v ON v.version_id = f.latest_version_id
                WHERE \(copied.map { "f.\($0) IS NOT v.\($0)" }.joined(separator: " OR "))
                """) { row in
                let differ = copied.filter { row[$0] as Bool }
                return "finding \(row["id"] as String): \(differ.joined(separator: ", ")) should be as in its latest version \(row["latest_version_id"] as Int64)"
            }
            try report("""
                SELECT f.id, f.version_count, (SELECT count(*) FROM versions v WHERE v.finding_key = f.finding_key) AS actual
                FROM findings f WHERE f.version_count != actual
                """) { "finding \($0["id"] as String) records \($0["version_count"] as Int) versions but has \($0["actual"] as Int)" }
            try report("""
                SELECT v.version_id, v.id FROM versions v WHERE NOT EXISTS (SELECT 1 FROM sightings s WHERE s.version_id = v.version_id)
                """) { "version \($0["version_id"] as Int64) of finding \($0["id"] as String) was never seen in any file (no provenance)" }
            try report("""
                SELECT v.version_id FROM versions v LEFT JOIN findings f ON f.finding_key = v.finding_key
                WHERE f.finding_key IS NULL OR f.id != v.id OR f.account_id != v.account_id OR f.region != v.region
                """) { "version \($0["version_id"] as Int64) belongs to no finding, or to another finding than its id says" }
            try report("SELECT s.version_id, s.file_id FROM sightings s LEFT JOIN source_files f ON f.id = s.file_id WHERE f.id IS NULL") {
                "a sighting of version \($0["version_id"] as Int64) points at unknown file \($0["file_id"] as Int64)"
            }
            try report("""
                SELECT vi.version_id, vi.value_id FROM version_indicators vi
                LEFT JOIN versions v ON v.version_id = vi.version_id WHERE v.version_id IS NULL
                """) {
                "an indicator (value \($0["value_id"] as Int64)) points at missing version \($0["version_id"] as Int64)"
            }
            try report("""
                SELECT vi.version_id, vi.value_id FROM version_indicators vi
                LEFT JOIN indicator_values iv ON iv.value_id = vi.value_id WHERE iv.kind_id IS NOT vi.kind_id
                """) {
                "an indicator of version \($0["version_id"] as Int64) points at value \($0["value_id"] as Int64), which is missing or of another kind"
            }
            // Bodies are decompressed here rather than through gdarchive_body, so that one
            // damaged frame is reported and the check goes on.
            var badBodies = 0
            let codec = BodyCodec()
            try codec.loadDictionaries(db)
            /// What is wrong with a stored body (a version's, or another form's): it does not
            /// decompress, does not match its hash, or names another finding; nil if nothing.
            func bodyProblem(_ row: Row) -> String? {
                do {
                    // Bases are decompressed once for all their versions (the codec's cache).
                    let base = try (row["base_version_id"] as Int64?).flatMap { id in try codec.base(id) { row["base_data"] as Data? } }
                    let body = try codec.decompress(row["data"], base: base)
                    if Array(row["hash"] as Data) != SHA256.hash(body) {
                        return "its body does not match its SHA-256 (altered after it was stored?)"
                    }
                    return Self.identityMismatch(body: body, accountId: row["account_id"], region: row["region"], id: row["id"])
                } catch StoreError.missingDictionary(let id) {
                    return "its body needs dictionary \(id), which the archive does not have (body_dictionaries)"
                } catch {
                    return "its body does not decompress (damaged data, or a damaged base)"
                }
            }
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT v.version_id, v.hash, d.data, d.base_version_id, d.version_id IS NOT NULL AS stored,
                       base.data AS base_data, base.base_version_id AS base_of_base,
                       f.account_id, f.region, f.id
                FROM versions v
                LEFT JOIN findings f ON f.finding_key = v.finding_key
                LEFT JOIN version_blobs d ON d.version_id = v.version_id
                LEFT JOIN version_blobs base ON base.version_id = d.base_version_id
                """)
            while let row = try cursor.next() {
                let version: Int64 = row["version_id"]
                var problem: String?
                if !(row["stored"] as Bool) {
                    problem = "its body is missing"
                } else if let baseID = row["base_version_id"] as Int64?, row["base_data"] as Data? == nil {
                    problem = "the base version \(baseID) its body was compressed against is missing"
                } else if row["base_of_base"] as Int64? != nil {
                    problem = "its base version has a base of its own (bases are stored alone)"
                } else {
                    problem = bodyProblem(row)
                }
                if let problem {
                    badBodies += 1
                    if badBodies <= 20 { problems.append("version \(version): \(problem)") }
                }
            }
            // The other forms of versions (migration 14): each matches its hash and names the
            // version's finding; a sighting of a form points at one of the version's forms.
            let forms = try Row.fetchCursor(db, sql: """
                SELECT o.form_id, o.version_id, o.hash, o.data, o.base_version_id, base.data AS base_data,
                       f.account_id, f.region, f.id
                FROM version_forms o
                LEFT JOIN versions v ON v.version_id = o.version_id
                LEFT JOIN findings f ON f.finding_key = v.finding_key
                LEFT JOIN version_blobs base ON base.version_id = o.base_version_id
                """)
            while let row = try forms.next() {
                let version: Int64 = row["version_id"]
                var problem: String?
                if let baseID = row["base_version_id"] as Int64?, row["base_data"] as Data? == nil {
                    problem = "the base version \(baseID) it was compressed against is missing"
                } else {
                    problem = bodyProblem(row)
                }
                if let problem {
                    badBodies += 1
                    if badBodies <= 20 { problems.append("version \(version), form \(row["form_id"] as Int64): \(problem)") }
                }
            }
            if badBodies > 20 { problems.append("… and \(badBodies - 20) more versions with damaged bodies") }
            try report("""
                SELECT s.version_id, s.form_id FROM sightings s LEFT JOIN version_forms o ON o.form_id = s.form_id
                WHERE s.form_id IS NOT NULL AND o.version_id IS NOT s.version_id
                """) { "a sighting of version \($0["version_id"] as Int64) points at form \($0["form_id"] as Int64), which is not one of its forms" }
            try report("SELECT version_id, id, count FROM versions WHERE count NOT BETWEEN \(VersionRecord.plausibleCounts.lowerBound) AND \(VersionRecord.plausibleCounts.upperBound)") {
                "version \($0["version_id"] as Int64) of finding \($0["id"] as String) has count \($0["count"] as Int64), outside 0…10^12 (a forged or broken record; imports store such a count as unknown): gdarchive check --repair does too"
            }
            try report("SELECT version_id FROM version_forms GROUP BY version_id HAVING sum(shown) > 1") {
                "version \($0["version_id"] as Int64) has more than one form marked as shown"
            }
            let findings = try Int.fetchOne(db, sql: "SELECT count(*) FROM findings") ?? 0
            let versions = try Int.fetchOne(db, sql: "SELECT count(*) FROM versions") ?? 0
            var notices: [String] = []
            let horizon = ArchiveWriter.horizon()
            let future = try Row.fetchAll(db, sql: """
                SELECT v.version_id, v.id, v.updated_at, (v.version_id = f.latest_version_id) AS latest
                FROM versions v JOIN findings f ON f.finding_key = v.finding_key WHERE v.updated_at > ? ORDER BY v.version_id LIMIT 21
                """, arguments: [horizon])
            for row in future.prefix(20) {
                let latest: Bool = row["latest"]
                notices.append("version \(row["version_id"] as Int64) of finding \(row["id"] as String) is dated \(row["updated_at"] as String), more than a day ahead of this machine's clock (a forged or broken record?): " + (latest ? "the finding has no other version, so it is the latest" : "it is not taken as the finding's latest version"))
            }
            if future.count > 20 {
                let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM versions WHERE updated_at > ?", arguments: [horizon]) ?? 0
                notices.append("… and \(total - 20) more versions from the future")
            }
            return CheckReport(problems: problems, findings: findings, versions: versions, notices: notices)
        }
    }

    /// Whether a version's body names the finding it is stored under: its `accountId`,
    /// `region` and `id`, compared exactly (a body decoded from an API page in PascalCase is
    /// stored in camelCase, so the camelCase names are the ones to read).
    static func identityMismatch(body: [UInt8], accountId: String?, region: String?, id: String?) -> String? {
        guard let accountId, let region, let id else { return "it belongs to no finding (findings has no row for its finding_key)" }
        guard let value = try? JSONParser.parse(body) else { return "its body is not valid JSON" }
        let named = (value["accountId"]?.stringValue, value["region"]?.stringValue, value["id"]?.stringValue)
        guard named.0 == accountId && named.1 == region && named.2 == id else {
            return "its body names another finding than the one it is stored under (accountId, region and id differ)"
        }
        return nil
    }

    /// Removes whole findings whose latest version was last updated before `cutoff`
    /// (milliseconds): every version, sighting and indicator of each; never part of a
    /// finding's history. Then returns the space to the file system with VACUUM. Findings
    /// without `updated_at` are kept.
    public func prune(before cutoff: Int64, dryRun: Bool) throws -> PruneReport {
        let cutoffText = Timestamp.format(epochMilliseconds: cutoff)
        let before = try settledBytes()
        let counts = try database.writeWithoutTransaction { db -> (Int, Int) in
            var result = (0, 0)
            try db.inTransaction(.immediate) {
                let selection = """
                    SELECT finding_key FROM findings WHERE updated_at IS NOT NULL AND updated_at < ?
                    """
                result.0 = try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(selection))", arguments: [cutoffText]) ?? 0
                result.1 = try Int.fetchOne(db, sql: "SELECT count(*) FROM versions WHERE finding_key IN (\(selection))", arguments: [cutoffText]) ?? 0
                if dryRun || result.0 == 0 { return .rollback }
                try db.execute(sql: "CREATE TEMP TABLE doomed AS \(selection)", arguments: [cutoffText])
                try db.execute(sql: "DELETE FROM version_indicators WHERE version_id IN (SELECT version_id FROM versions WHERE finding_key IN (SELECT finding_key FROM temp.doomed))")
                try db.execute(sql: "DELETE FROM sightings WHERE version_id IN (SELECT version_id FROM versions WHERE finding_key IN (SELECT finding_key FROM temp.doomed))")
                try db.execute(sql: "DELETE FROM version_forms WHERE version_id IN (SELECT version_id FROM versions WHERE finding_key IN (SELECT finding_key FROM temp.doomed))")
                try db.execute(sql: "DELETE FROM version_blobs WHERE version_id IN (SELECT version_id FROM versions WHERE finding_key IN (SELECT finding_key FROM temp.doomed))")
                try db.execute(sql: "DELETE FROM finding_changes WHERE version_id IN (SELECT version_id FROM versions WHERE finding_key IN (SELECT finding_key FROM temp.doomed))")
                try db.execute(sql: "DELETE FROM versions WHERE finding_key IN (SELECT finding_key FROM temp.doomed)")
                try db.execute(sql: "DELETE FROM findings WHERE finding_key IN (SELECT finding_key FROM temp.doomed)")
                try ArchiveWriter.deleteUnusedIndicatorValues(db)
                try db.execute(sql: "DROP TABLE temp.doomed")
                return .commit
            }
            if !dryRun && result.0 > 0 {
                try db.execute(sql: "VACUUM")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
            return result
        }
        return PruneReport(cutoff: cutoffText, findings: counts.0, versions: counts.1, bytesBefore: before, bytesAfter: dryRun ? before : fileBytes())
    }

    /// Bytes on disk once the WAL is copied into the database and emptied: the size to
    /// compare with after a VACUUM. (Opening an archive writes a few pages to the WAL, which
    /// would otherwise count as space a prune or compact returned.)
    func settledBytes() throws -> Int64 {
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        return fileBytes()
    }

    /// Bytes on disk: the database and its WAL.
    public func fileBytes() -> Int64 {
        var size: Int64 = 0
        for suffix in ["", "-wal"] {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix), let bytes = attributes[.size] as? NSNumber {
                size += bytes.int64Value
            }
        }
        return size
    }

    /// A consistent copy of the archive at `destination` (which must not exist), made with
    /// SQLite's online backup API while imports and queries may run. The copy is created 0600
    /// and is a complete archive on its own.
    public func backup(to destination: String) throws {
        let target = Archive.expandTilde(destination)
        var existing = stat()
        if lstat(target, &existing) == 0 {
            throw StoreError.cannotCreate(path: target, reason: "the file exists; choose a new path (a backup never overwrites)")
        }
        // Written beside the destination, checked, then linked into place: a killed backup
        // leaves only a hidden `.NAME.partial-…` file, never a partial backup at NAME.
        let (temporary, fd) = try Archive.temporaryFile(beside: target)
        close(fd)
        do {
            let copy = try DatabaseQueue(path: temporary)
            try database.backup(to: copy)
            try copy.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                let integrity = try String.fetchOne(db, sql: "PRAGMA quick_check")
                guard integrity == "ok" else {
                    throw StoreError.cannotCreate(path: target, reason: "the copy does not pass SQLite's check (\(integrity ?? "no answer")); nothing was written at \(target)")
                }
            }
            try copy.close()
            let synced = Foundation.open(temporary, O_RDONLY | O_CLOEXEC)
            if synced >= 0 { fsync(synced); close(synced) }
            try Archive.moveIntoPlace(temporary, to: target, replacing: false)
        } catch {
            unlink(temporary)
            throw error
        }
    }
}

/// What ``Archive/foldForms(rule:extract:dryRun:)`` did.
public struct FoldReport: Sendable, Equatable {
    /// Versions that were forms of another version of their finding, now folded into it.
    public var folded: Int
    /// Findings that had such versions.
    public var findings: Int

    public init(folded: Int, findings: Int) {
        self.folded = folded
        self.findings = findings
    }
}

extension Archive {
    /// Folds the versions that an older gdarchive stored for one real change seen through two
    /// channels (the S3 export's body and the CLI's `get-findings` body of it, before migration
    /// 14) into one version: of the versions of a finding with the same `updated_at` whose
    /// bodies `rule` says are one, the first stored is kept, and each other one becomes a form
    /// of it, with its body, its sightings (pointing at that form), its other forms and its
    /// indicators; the richest form is shown, and the version's columns, the finding's latest
    /// version, version count and the occurrences follow. Nothing else is deleted: a folded
    /// version's body is a form of the version kept. Each finding is folded in its own
    /// transaction, so an interrupted fold leaves a consistent archive and the next run
    /// completes it; folding twice changes nothing the second time.
    ///
    /// `extract` turns a shown body into the columns and indicators the importer would store
    /// for it (nil: keep the version's columns).
    public func foldForms(rule: FormRule, extract: (String) -> VersionRecord?, dryRun: Bool = false) throws -> FoldReport {
        var report = FoldReport(folded: 0, findings: 0)
        // Findings with more than one version at one updated_at: the only ones that can fold.
        let candidates = try database.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT DISTINCT finding_key FROM versions WHERE updated_at IS NOT NULL
                GROUP BY finding_key, updated_at HAVING count(*) > 1 ORDER BY finding_key
                """)
        }
        for finding in candidates {
            let folded = try database.writeWithoutTransaction { db -> Int in
                var folded = 0
                try db.inTransaction(.immediate) {
                    folded = try Self.fold(finding: finding, rule: rule, extract: extract, in: db)
                    return dryRun ? .rollback : .commit
                }
                return folded
            }
            if folded > 0 {
                report.folded += folded
                report.findings += 1
            }
        }
        return report
    }

    private static func fold(finding: Int64, rule: FormRule, extract: (String) -> VersionRecord?, in db: Database) throws -> Int {
        // Each version's first body (its own blob), grouped by updated_at.
        let rows = try Row.fetchAll(db, sql: """
            SELECT v.version_id, v.updated_at, v.hash, v.import_run_id, b.body,
                   EXISTS (SELECT 1 FROM version_blobs x WHERE x.base_version_id = v.version_id)
                   OR EXISTS (SELECT 1 FROM version_forms x WHERE x.base_version_id = v.version_id) AS is_base
            FROM versions v JOIN version_form_bodies b ON b.version_id = v.version_id AND b.form_id IS NULL
            WHERE v.finding_key = ? AND v.updated_at IN (
                SELECT updated_at FROM versions WHERE finding_key = ? GROUP BY updated_at HAVING count(*) > 1)
            ORDER BY v.updated_at, v.version_id
            """, arguments: [finding, finding])
        var groups: [[UInt8]: [Row]] = [:]
        var order: [[UInt8]] = []
        for row in rows {
            guard let key = rule.key(row["body"]) else { continue }
            let group = Array((row["updated_at"] as String).utf8) + [0] + key.projection
            if groups[group] == nil { order.append(group) }
            groups[group, default: []].append(row)
        }
        var folded = 0
        for group in order {
            guard let members = groups[group], members.count > 1 else { continue }
            // Keep the version that is a base of others (the finding's first), else the first stored.
            let keeper = members.first { $0["is_base"] as Bool } ?? members[0]
            let kept: Int64 = keeper["version_id"]
            for member in members where (member["version_id"] as Int64) != kept {
                let version: Int64 = member["version_id"]
                if member["is_base"] as Bool { continue }  // another version's base: left as it is
                try db.execute(sql: """
                    INSERT INTO version_forms (version_id, hash, base_version_id, data, shown, import_run_id)
                    SELECT ?, v.hash, b.base_version_id, b.data, 0, v.import_run_id
                    FROM versions v JOIN version_blobs b ON b.version_id = v.version_id WHERE v.version_id = ?
                    """, arguments: [kept, version])
                let form = db.lastInsertedRowID
                try db.execute(sql: "UPDATE OR IGNORE sightings SET version_id = ?, form_id = ? WHERE version_id = ? AND form_id IS NULL",
                               arguments: [kept, form, version])
                try db.execute(sql: "UPDATE OR IGNORE sightings SET version_id = ? WHERE version_id = ?", arguments: [kept, version])
                try db.execute(sql: "DELETE FROM sightings WHERE version_id = ?", arguments: [version])
                try db.execute(sql: "UPDATE version_forms SET version_id = ?, shown = 0 WHERE version_id = ?", arguments: [kept, version])
                try db.execute(sql: """
                    INSERT OR IGNORE INTO version_indicators (value_id, version_id, kind_id)
                    SELECT value_id, ?, kind_id FROM version_indicators WHERE version_id = ?
                    """, arguments: [kept, version])
                try db.execute(sql: "DELETE FROM version_indicators WHERE version_id = ?", arguments: [version])
                try db.execute(sql: "DELETE FROM version_blobs WHERE version_id = ?", arguments: [version])
                // A phantom version's changes were the kept one's again.
                try db.execute(sql: "DELETE FROM finding_changes WHERE version_id = ?", arguments: [version])
                try db.execute(sql: "DELETE FROM versions WHERE version_id = ?", arguments: [version])
                folded += 1
            }
            // The richest form is shown (on a tie, the one shown so far).
            let forms = try Row.fetchAll(db, sql: "SELECT form_id, shown, body FROM version_form_bodies WHERE version_id = ? ORDER BY shown DESC, form_id IS NOT NULL, form_id",
                                         arguments: [kept])
            var best: (form: Int64?, richness: Int, body: String)?
            for form in forms {
                let body: String = form["body"]
                guard let richness = rule.key(body)?.richness else { continue }
                if best == nil || richness > best!.richness { best = (form["form_id"], richness, body) }
            }
            guard let best else { continue }
            try db.execute(sql: "UPDATE version_forms SET shown = (form_id IS ?) WHERE version_id = ?", arguments: [best.form, kept])
            if let record = extract(best.body) {
                try db.execute(sql: """
                    UPDATE versions SET type = ?, title = ?, severity = ?, severity_label = ?, confidence = ?, created_at = ?,
                        first_seen = ?, last_seen = ?, count = ?, archived = ?, sample = ?, resource_type = ?, resource_role = ?,
                        action_type = ?, feature_name = ?
                    WHERE version_id = ?
                    """, arguments: [record.type, record.title, record.severity, record.severityLabel, record.confidence, record.createdAt,
                                     record.firstSeen, record.lastSeen, record.count, record.archived, record.sample, record.resourceType,
                                     record.resourceRole, record.actionType, record.featureName, kept])
                try ArchiveWriter(db: db, runID: 0).insertIndicators(record.indicators, version: kept)
            }
        }
        guard folded > 0 else { return 0 }
        try refresh(finding: finding, in: db)
        return folded
    }

    /// Counts outside ``VersionRecord/plausibleCounts`` that an older gdarchive stored (a sum
    /// of them could overflow, a negative one made negative occurrences) become unknown, as an
    /// import stores them now; each finding's latest version and occurrences follow. Returns
    /// how many versions changed.
    public func forgetImplausibleCounts() throws -> Int {
        try database.writeWithoutTransaction { db -> Int in
            var changed = 0
            try db.inTransaction(.immediate) {
                let range = VersionRecord.plausibleCounts
                let findings = try Int64.fetchAll(db, sql: "SELECT DISTINCT finding_key FROM versions WHERE count NOT BETWEEN ? AND ?",
                                                  arguments: [range.lowerBound, range.upperBound])
                try db.execute(sql: "UPDATE versions SET count = NULL WHERE count NOT BETWEEN ? AND ?", arguments: [range.lowerBound, range.upperBound])
                changed = db.changesCount
                for finding in findings { try Self.refresh(finding: finding, in: db) }
                return .commit
            }
            return changed
        }
    }

    /// Findings whose latest version is not the one the latest-version order picks today (a
    /// version that was from the future when it was stored and is no longer, say) get it,
    /// with its columns. Returns how many changed.
    public func refreshLatestVersions() throws -> Int {
        try database.writeWithoutTransaction { db -> Int in
            var changed = 0
            try db.inTransaction(.immediate) {
                let stale = try Int64.fetchAll(db, sql: """
                    SELECT f.finding_key FROM findings f WHERE f.latest_version_id != \(Self.latestVersionSQL(of: "f.finding_key"))
                    """, arguments: [ArchiveWriter.horizon()])
                for finding in stale { try Self.refresh(finding: finding, in: db) }
                changed = stale.count
                return .commit
            }
            return changed
        }
    }

    /// The latest version of the finding whose key is the SQL expression `findingKey`: the
    /// latest-version order (``ArchiveWriter/isAtLeastAsRecent(updatedAt:count:archived:thanUpdatedAt:count:archived:)``:
    /// `updated_at`, `count`, archived, import order), a version from the future last. Its one
    /// binding is ``ArchiveWriter/horizon(now:)``.
    static func latestVersionSQL(of findingKey: String) -> String {
        """
        (SELECT v.version_id FROM versions v WHERE v.finding_key = \(findingKey)
         ORDER BY coalesce(v.updated_at, '') > ?, coalesce(v.updated_at, '') DESC, coalesce(v.count, -9223372036854775808) DESC,
                  coalesce(v.archived, 0) DESC, v.version_id DESC LIMIT 1)
        """
    }

    /// After a finding's versions changed: its latest version (the latest-version order), its
    /// copy of that version's columns, its version count, and each version's occurrences.
    static func refresh(finding: Int64, in db: Database) throws {
        try db.execute(sql: """
            UPDATE findings SET latest_version_id = \(latestVersionSQL(of: "findings.finding_key")),
                version_count = (SELECT count(*) FROM versions v WHERE v.finding_key = findings.finding_key)
            WHERE finding_key = ?
            """, arguments: [ArchiveWriter.horizon(), finding])
        try db.execute(sql: """
            UPDATE findings SET (type, title, severity, severity_label, confidence, created_at, updated_at, first_seen, last_seen,
                                 count, archived, sample, resource_type, resource_role, action_type, feature_name) =
                (SELECT type, title, severity, severity_label, confidence, created_at, updated_at, first_seen, last_seen,
                        count, archived, sample, resource_type, resource_role, action_type, feature_name
                 FROM versions v WHERE v.version_id = findings.latest_version_id)
            WHERE finding_key = ?
            """, arguments: [finding])
        try db.execute(sql: """
            UPDATE versions SET occurrences = x.expected FROM (
                SELECT version_id,
                       CASE WHEN lag(count) OVER w IS NULL OR count < lag(count) OVER w THEN coalesce(count, 0)
                            ELSE count - lag(count) OVER w END AS expected
                FROM versions WHERE finding_key = ?
                WINDOW w AS (ORDER BY updated_at, count, coalesce(archived, 0), version_id)
            ) x WHERE versions.version_id = x.version_id
            """, arguments: [finding])
    }
}
