import GDArchiveModel
import Foundation
import GRDB

/// The write path of one import run. All methods run inside the caller's transaction, so a
/// file's records, provenance, errors and the run's counters commit together or not at all.
///
/// ```swift
/// let run = try ArchiveWriter.beginRun(in: archive, command: "gdarchive import x")
/// try archive.database.writeWithoutTransaction { db in
///     try db.inTransaction(.immediate) {
///         let writer = try ArchiveWriter(db: db, runID: run)
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

        public static func - (lhs: Counts, rhs: Counts) -> Counts {
            var d = Counts()
            d.files = lhs.files - rhs.files; d.records = lhs.records - rhs.records; d.newFindings = lhs.newFindings - rhs.newFindings
            d.newVersions = lhs.newVersions - rhs.newVersions; d.knownVersions = lhs.knownVersions - rhs.knownVersions
            d.skipped = lhs.skipped - rhs.skipped; d.errors = lhs.errors - rhs.errors
            return d
        }
    }

    public let db: Database
    public let runID: Int64
    /// Compresses bodies, and caches the bases that new versions are compressed against.
    /// Share one across the transactions of a run; call ``BodyCodec/forgetCachedBases()``
    /// after a transaction rolls back.
    public let bodies: BodyCodec
    /// The write path's prepared statements (made for `db` when not given).
    public let statements: WriteStatements
    /// When two bodies are one version (see ``FormRule``); nil: only identical bodies are.
    public let forms: FormRule?
    /// `updated_at` beyond this (this machine's clock plus ``futureSkewMilliseconds``) is from
    /// the future: such a version is stored but not taken as its finding's latest while the
    /// finding has a version that is not (a forged copy dated 2099 must not hide the real one).
    public let horizon: String

    /// How far ahead of this machine's clock an `updatedAt` may be and still be taken as a
    /// finding's latest version (clocks differ; GuardDuty's do not run a day ahead).
    public static let futureSkewMilliseconds: Int64 = 86_400_000

    /// The horizon for a clock reading `now` (see ``horizon``).
    public static func horizon(now: Int64 = Timestamp.nowMilliseconds()) -> String {
        Timestamp.format(epochMilliseconds: now + futureSkewMilliseconds)
    }

    public init(db: Database, runID: Int64, bodies: BodyCodec = BodyCodec(), statements: WriteStatements? = nil, forms: FormRule? = nil) throws {
        precondition(statements == nil || statements!.db === db, "statements prepared for another connection")
        self.db = db
        self.runID = runID
        self.bodies = bodies
        self.forms = forms
        self.horizon = Self.horizon()
        self.statements = try statements ?? WriteStatements(db)
        try bodies.loadDictionaries(db)
    }

    /// After other writers had the archive (between two transactions of this one): forgets
    /// what it may have changed: cached bases (a prune may have removed them), the dictionaries
    /// in use, whether other forms exist.
    public func afterOtherWriters() throws {
        bodies.forgetCachedBases()
        try bodies.loadDictionaries(db)
        statements.formsExist = try WriteStatements.anyFormExists(db)
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
        // Not into a file that is no longer the archive (see Archive.stopIfReplaced).
        try archive.ensureNotReplaced()
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
        let s = statements
        let hash = record.hash
        if let existing = try s.versionByHash.query({ $0.bind(1, blob: hash) }, { $0.int64(0) }) ?? nil {
            try addSighting(version: existing, file: file, line: line, recordIndex: recordIndex)
            return .known
        }
        if s.formsExist, let form = try s.formByHash.query({ $0.bind(1, blob: hash) }, { (form: $0.int64(0)!, version: $0.int64(1)!) }) {
            try addSighting(version: form.version, form: form.form, file: file, line: line, recordIndex: recordIndex)
            return .known
        }
        // The finding: its key, its latest version's (updated_at, count), and its body base.
        let finding = try s.finding.query({
            $0.bind(1, record.accountId); $0.bind(2, record.region); $0.bind(3, record.id)
        }, { row in (key: row.int64(0)!, updatedAt: row.text(1), count: row.int64(2), base: row.int64(3),
                     indexed: IndexedColumns(type: row.text(4), resourceType: row.text(5), severity: row.double(6), sample: row.int64(7) == 1),
                     archived: row.int64(8).map { $0 == 1 }) })
        let findingKey: Int64
        if let finding {
            findingKey = finding.key
            if let forms, try storeAsForm(record, finding: finding.key, base: finding.base, rule: forms, file: file, line: line, recordIndex: recordIndex) {
                return .known
            }
        } else {
            try s.insertFinding.run { $0.bind(1, record.accountId); $0.bind(2, record.region); $0.bind(3, record.id) }
            findingKey = db.lastInsertedRowID
        }
        // The latest version: the latest-version order, except that a version from the future
        // (beyond ``horizon``) never displaces one that is not.
        // `inOrder`: the new version follows every stored one in the latest-version order (for
        // occurrences, which follow that order whatever the clock says).
        let recordIsFuture = (record.updatedAt ?? "") > horizon
        let inOrder = finding.map {
            Self.isAtLeastAsRecent(updatedAt: record.updatedAt, count: record.count, archived: record.archived,
                                   thanUpdatedAt: $0.updatedAt, count: $0.count, archived: $0.archived)
        } ?? true
        let becomesLatest = finding.map {
            let latestIsFuture = ($0.updatedAt ?? "") > horizon
            return recordIsFuture != latestIsFuture ? latestIsFuture : inOrder
        } ?? true
        // A finding that had a version that was not a sample does not become one: GuardDuty's
        // sample findings are samples from their first version on (a forged copy with
        // `sample: true` would hide a real finding from every default answer).
        var record = record
        if let finding, record.sample, !finding.indexed.sample {
            record.sample = false
            statements.notes.append("its sample flag is set, but the finding was not a sample before: it stays a real finding (see gdarchive check)")
        }
        if recordIsFuture {
            statements.notes.append("its updatedAt \(record.updatedAt ?? "") is more than a day ahead of this machine's clock: stored, but \(becomesLatest ? "the finding has no version that is not from the future, so it is the latest until one comes" : "not taken as the finding's latest version") (see gdarchive check)")
        }
        // In order (the usual case), the predecessor is the current latest version.
        let occurrences: Int64?
        if let finding {
            let previous = inOrder ? finding.count : try s.predecessorCount.query({
                $0.bind(1, findingKey); $0.bind(2, record.updatedAt ?? ""); $0.bind(3, record.count ?? Int64.min); $0.bind(4, record.archived ?? false)
            }, { $0.int64(0) }) ?? nil
            occurrences = Self.occurrences(count: record.count, previous: previous)
        } else {
            occurrences = Self.occurrences(count: record.count, previous: nil)
        }
        try s.insertVersion.run { v in
            v.bind(1, findingKey); v.bind(2, blob: hash); v.bind(3, runID); v.bind(4, record.id)
            v.bind(5, record.accountId); v.bind(6, record.region); v.bind(7, record.type)
            v.bind(8, record.title); v.bind(9, record.severity); v.bind(10, record.severityLabel); v.bind(11, record.confidence)
            v.bind(12, record.createdAt); v.bind(13, record.updatedAt); v.bind(14, record.firstSeen); v.bind(15, record.lastSeen)
            v.bind(16, record.count); v.bind(17, record.archived); v.bind(18, record.sample); v.bind(19, record.resourceType)
            v.bind(20, record.resourceRole); v.bind(21, record.actionType); v.bind(22, record.featureName)
            v.bind(23, occurrences)
        }
        let versionID = db.lastInsertedRowID
        try storeBody(record.body, version: versionID, findingBase: finding?.base)
        let freshValues = try insertIndicators(record.indicators, version: versionID)
        if becomesLatest && inOrder {
            try recordChanges(of: record, version: versionID, previous: finding.map { ($0.count, $0.indexed.severity, $0.archived) },
                              freshValues: freshValues)
        }
        if becomesLatest {
            // Usually a new version keeps the type, resource type, severity and sample flag:
            // then the statement that leaves them (and their indexes) alone.
            let indexed = IndexedColumns(type: record.type, resourceType: record.resourceType, severity: record.severity, sample: record.sample)
            let keepsIndexed = finding?.indexed == indexed
            try (keepsIndexed ? s.updateLatestKeepingIndexed : s.updateLatest).run { v in
                v.bind(1, versionID); v.bind(2, record.arn); v.bind(3, record.partition); v.bind(4, record.title)
                v.bind(5, record.severityLabel); v.bind(6, record.confidence); v.bind(7, record.createdAt); v.bind(8, record.updatedAt)
                v.bind(9, record.firstSeen); v.bind(10, record.lastSeen); v.bind(11, record.count); v.bind(12, record.archived)
                v.bind(13, record.resourceRole); v.bind(14, record.actionType); v.bind(15, record.detectorId); v.bind(16, record.featureName)
                v.bind(17, findingKey)
                if !keepsIndexed {
                    v.bind(18, record.type); v.bind(19, record.resourceType); v.bind(20, record.severity); v.bind(21, record.sample)
                }
            }
        } else {
            try s.updateCount.run { $0.bind(1, findingKey) }
        }
        if !inOrder {
            try updateSuccessor(finding: findingKey, updatedAt: record.updatedAt, count: record.count, archived: record.archived)
        }
        try addSighting(version: versionID, file: file, line: line, recordIndex: recordIndex)
        return finding == nil ? .newFinding : .newVersion
    }

    /// Stores `record` as another form of a version of the finding with the same `updated_at`
    /// whose body has the same projection, if there is one (migration 14): its body and
    /// sighting are kept, and if it is richer than the form shown so far it becomes the one
    /// shown, and the version's columns, indicators and (if it is the latest) the finding's
    /// row follow it. Returns false when no stored version is one with it.
    private func storeAsForm(_ record: VersionRecord, finding: Int64, base: Int64?, rule: FormRule,
                             file: Int64, line: Int, recordIndex: Int) throws -> Bool {
        var candidates: [(version: Int64, body: String)] = []
        try statements.sameUpdatedAt.forEachRow(arguments: [finding, record.updatedAt]) { row in
            if let body = row.text(1) { candidates.append((row.int64(0)!, body)) }
        }
        guard !candidates.isEmpty, let key = rule.key(record.body) else { return false }
        for candidate in candidates {
            guard let stored = rule.key(candidate.body), stored.projection == key.projection else { continue }
            let shown = key.richness > stored.richness
            if shown {
                try db.cachedStatement(sql: "UPDATE version_forms SET shown = 0 WHERE version_id = ? AND shown = 1").execute(arguments: [candidate.version])
            }
            let text = Array(record.body.utf8)
            var baseID = base
            var baseText: [UInt8]?
            if let id = baseID {
                baseText = try bodies.base(id) { try statements.baseData.query({ $0.bind(1, id) }, { $0.blob(0) }) ?? nil }
                if baseText == nil { baseID = nil }
            }
            let data = try bodies.compress(text, base: baseText)
            try db.cachedStatement(sql: """
                INSERT INTO version_forms (version_id, hash, base_version_id, data, shown, import_run_id) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [candidate.version, Data(record.hash), baseID, data, shown, runID])
            let form = db.lastInsertedRowID
            statements.formsExist = true
            if shown {
                try db.cachedStatement(sql: """
                    UPDATE versions SET type = ?, title = ?, severity = ?, severity_label = ?, confidence = ?, created_at = ?,
                        first_seen = ?, last_seen = ?, archived = ?, sample = ?, resource_type = ?, resource_role = ?,
                        action_type = ?, feature_name = ?
                    WHERE version_id = ?
                    """).execute(arguments: [record.type, record.title, record.severity, record.severityLabel, record.confidence, record.createdAt,
                                             record.firstSeen, record.lastSeen, record.archived, record.sample, record.resourceType, record.resourceRole,
                                             record.actionType, record.featureName, candidate.version])
                try insertIndicators(record.indicators, version: candidate.version)
                try db.cachedStatement(sql: """
                    UPDATE findings SET arn = ?, partition = ?, type = ?, title = ?, severity = ?, severity_label = ?, confidence = ?,
                        created_at = ?, first_seen = ?, last_seen = ?, archived = ?, sample = ?, resource_type = ?,
                        resource_role = ?, action_type = ?, detector_id = ?, feature_name = ?
                    WHERE finding_key = ? AND latest_version_id = ?
                    """).execute(arguments: [record.arn, record.partition, record.type, record.title, record.severity, record.severityLabel,
                                             record.confidence, record.createdAt, record.firstSeen, record.lastSeen, record.archived, record.sample,
                                             record.resourceType, record.resourceRole, record.actionType, record.detectorId, record.featureName,
                                             finding, candidate.version])
            }
            try addSighting(version: candidate.version, form: form, file: file, line: line, recordIndex: recordIndex)
            return true
        }
        return false
    }

    /// Stores a body compressed against its finding's base (see ``BodyCodec``); the first
    /// version of a finding becomes its base.
    private func storeBody(_ body: String, version: Int64, findingBase: Int64?) throws {
        let text = Array(body.utf8)
        var baseID = findingBase
        var baseText: [UInt8]?
        if let id = baseID {
            baseText = try bodies.base(id) {
                try statements.baseData.query({ $0.bind(1, id) }, { $0.blob(0) }) ?? nil
            }
            if baseText == nil { baseID = nil }
        }
        let data = try bodies.compress(text, base: baseText)
        try statements.insertBlob.run { $0.bind(1, version); $0.bind(2, baseID); $0.bind(3, blob: data) }
        if baseID == nil {
            bodies.remember(version, text)
            if let dictionary = bodies.trainingSample(text) { try storeDictionary(dictionary) }
        }
    }

    /// Keeps a dictionary trained on the first bases (migration 13) and compresses the next
    /// bases with it. The ones it was trained on stay as they are (`gdarchive compact`
    /// recompresses them).
    private func storeDictionary(_ dictionary: Data) throws {
        try Self.storeDictionary(dictionary, in: db, codec: bodies)
    }

    /// Stores a dictionary `codec` trained in `body_dictionaries` and makes it the one new
    /// bases are compressed with.
    static func storeDictionary(_ dictionary: Data, in db: Database, codec: BodyCodec) throws {
        let id = try codec.addDictionary(dictionary)
        if let stored = try Data.fetchOne(db, sql: "SELECT data FROM body_dictionaries WHERE dictionary_id = ?", arguments: [Int64(id)]) {
            // The same id for another dictionary (ids are random): keep compressing without.
            if stored == dictionary { try codec.useDictionary(id) }
            return
        }
        try db.execute(sql: "INSERT INTO body_dictionaries (dictionary_id, data, trained_at, samples) VALUES (?, ?, ?, ?)",
                       arguments: [Int64(id), dictionary, Timestamp.now(), codec.trainingSamples])
        try codec.useDictionary(id)
    }

    /// A version that arrived out of order changes what its successor added.
    private func updateSuccessor(finding: Int64, updatedAt: String?, count: Int64?, archived: Bool?) throws {
        guard let successor = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT version_id, count FROM versions
            WHERE finding_key = ? AND (coalesce(updated_at, ''), coalesce(count, -9223372036854775808), coalesce(archived, 0)) > (?, ?, ?)
            ORDER BY coalesce(updated_at, ''), coalesce(count, -9223372036854775808), coalesce(archived, 0), version_id LIMIT 1
            """), arguments: [finding, updatedAt ?? "", count ?? Int64.min, archived ?? false]) else { return }
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

    /// The latest-version order: greater `updated_at` wins, then greater `count`, then an
    /// archived version over one that is not (archiving a finding changes neither
    /// `updatedAt` nor `count`: the export's copy from before and the API's copy from after
    /// are one moment apart, and the archived one is the later, whichever arrived last); on a
    /// full tie the version imported later wins (so the newcomer, which is compared here, wins
    /// ties). A missing value sorts before any present one.
    public static func isAtLeastAsRecent(updatedAt: String?, count: Int64?, archived: Bool?,
                                         thanUpdatedAt other: String?, count otherCount: Int64?, archived otherArchived: Bool?) -> Bool {
        let a = updatedAt ?? "", b = other ?? ""
        if a != b { return a > b }
        let c = count ?? Int64.min, d = otherCount ?? Int64.min
        if c != d { return c > d }
        return (archived ?? false) || !(otherArchived ?? false)
    }

    /// Stores the indicators of one version: each (kind, value) once in `indicator_values`
    /// (migration 12), and the version's link to it.
    /// Returns the indicators whose value the archive did not hold before (in any finding).
    @discardableResult
    public func insertIndicators(_ indicators: [Indicator], version: Int64) throws -> [Indicator] {
        let s = statements
        var fresh: [Indicator] = []
        for indicator in indicators {
            let kindID = try s.knownKinds[indicator.kind] ?? kindID(indicator.kind)
            var valueID = try s.indicatorValueID.query({ $0.bind(1, kindID); $0.bind(2, indicator.value) }, { $0.int64(0) }) ?? nil
            if valueID == nil {
                try s.insertIndicatorValue.run { $0.bind(1, kindID); $0.bind(2, indicator.value) }
                valueID = db.lastInsertedRowID
                fresh.append(indicator)
            }
            try s.insertIndicator.run { $0.bind(1, valueID); $0.bind(2, version); $0.bind(3, kindID) }
        }
        return fresh
    }

    /// Records what a version that becomes its finding's latest in the latest-version order
    /// changed (migration 16), against the finding's latest before it (`previous`: count,
    /// severity, archived; nil for a new finding), and the indicator values it brought that
    /// the archive never held.
    private func recordChanges(of record: VersionRecord, version: Int64, previous: (count: Int64?, severity: Double?, archived: Bool?)?,
                               freshValues: [Indicator]) throws {
        var changes: [(kind: String, count: Int64?, severity: Double?, indicator: Indicator?)] = []
        if let previous {
            if let count = record.count, let before = previous.count, count > before { changes.append(("recurred", before, nil, nil)) }
            if let severity = record.severity, let before = previous.severity, severity != before {
                changes.append((severity > before ? "escalated" : "deescalated", nil, before, nil))
            }
            if let archived = record.archived, let before = previous.archived, archived != before {
                changes.append((archived ? "archived" : "unarchived", nil, nil, nil))
            }
        } else {
            changes.append(("new", nil, nil, nil))
        }
        for indicator in freshValues { changes.append(("new_indicator", nil, nil, indicator)) }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO finding_changes (import_run_id, version_id, kind, previous_count, previous_severity, indicator_kind, indicator_value)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for change in changes {
            try insert.execute(arguments: [runID, version, change.kind, change.count, change.severity, change.indicator?.kind, change.indicator?.value])
        }
    }

    /// The id of a kind the archive did not have when the statements were prepared (added
    /// here; not cached, since a rollback may take it away again).
    private func kindID(_ kind: String) throws -> Int64 {
        try db.execute(sql: "INSERT OR IGNORE INTO indicator_kinds (kind) VALUES (?)", arguments: [kind])
        return try Int64.fetchOne(db, sql: "SELECT kind_id FROM indicator_kinds WHERE kind = ?", arguments: [kind])!
    }

    /// Deletes the indicator values no version carries any more (after a prune or a refresh
    /// of derived data).
    public static func deleteUnusedIndicatorValues(_ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM indicator_values
            WHERE NOT EXISTS (SELECT 1 FROM version_indicators vi WHERE vi.value_id = indicator_values.value_id)
            """)
    }

    private func addSighting(version: Int64, form: Int64? = nil, file: Int64, line: Int, recordIndex: Int) throws {
        try statements.insertSighting.run {
            $0.bind(1, version); $0.bind(2, file); $0.bind(3, line); $0.bind(4, recordIndex); $0.bind(5, runID); $0.bind(6, form)
        }
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

/// When two different bodies of one finding are one version: the same ``key`` projection
/// (``GDArchiveIngest``'s `GuardDutyModel.formKey`: what survives GuardDuty's API model) and
/// the same `updated_at`. The store never parses JSON; the rule comes from the caller.
public struct FormRule: Sendable {
    /// The projection's digest and the body's richness (the richer form is the one shown),
    /// or nil for a body that is not JSON.
    public var key: @Sendable (String) -> (projection: [UInt8], richness: Int)?
    public init(key: @escaping @Sendable (String) -> (projection: [UInt8], richness: Int)?) { self.key = key }
}

/// The columns of a finding's row that its indexes cover, besides `updated_at`.
struct IndexedColumns: Equatable {
    var type: String?
    var resourceType: String?
    var severity: Double?
    var sample: Bool
}

/// The prepared statements of ``ArchiveWriter/store(_:file:line:recordIndex:)``, for one
/// connection. Share one across the transactions of a run: preparing them per file costs
/// more than a small file's records.
public final class WriteStatements {
    let db: Database
    let versionByHash: RawStatement
    let finding: RawStatement
    let insertFinding: RawStatement
    let insertVersion: RawStatement
    let predecessorCount: RawStatement
    let baseData: RawStatement
    let insertBlob: RawStatement
    /// The indicator kinds the archive had when these statements were prepared, by name.
    let knownKinds: [String: Int64]
    let indicatorValueID: RawStatement
    let insertIndicatorValue: RawStatement
    let insertIndicator: RawStatement
    let updateLatest: RawStatement
    let updateLatestKeepingIndexed: RawStatement
    let updateCount: RawStatement
    let insertSighting: RawStatement
    let formByHash: RawStatement
    /// Whether the archive holds any other form of a version (then a body's hash is looked
    /// up there too); set when this run stores the first.
    var formsExist: Bool
    /// What the last ``ArchiveWriter/store(_:file:line:recordIndex:)`` has to say about the
    /// version it stored (a version from the future, a sample flag it did not take), for the
    /// importer to print as notes; the caller empties it.
    public var notes: [String] = []
    let sameUpdatedAt: RawStatement

    /// Whether the archive holds any other form of a version (migration 14).
    static func anyFormExists(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM version_forms)") ?? false
    }

    public init(_ db: Database) throws {
        self.db = db
        versionByHash = try RawStatement(db, "SELECT version_id FROM versions WHERE hash = ?")
        finding = try RawStatement(db, """
            SELECT f.finding_key, f.updated_at, f.count, coalesce(b.base_version_id, b.version_id),
                   f.type, f.resource_type, f.severity, f.sample, f.archived
            FROM findings f LEFT JOIN version_blobs b ON b.version_id = f.latest_version_id
            WHERE f.account_id = ? AND f.region = ? AND f.id = ?
            """)
        insertFinding = try RawStatement(db, "INSERT INTO findings (account_id, region, id, latest_version_id, version_count) VALUES (?, ?, ?, 0, 0)")
        insertVersion = try RawStatement(db, """
            INSERT INTO versions (finding_key, hash, import_run_id, id, account_id, region,
                type, title, severity, severity_label, confidence, created_at,
                updated_at, first_seen, last_seen, count, archived, sample, resource_type,
                resource_role, action_type, feature_name, occurrences)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // The version that precedes a new one in the latest-version order (the new one is
        // imported last, so it follows every version with the same updated_at and count).
        predecessorCount = try RawStatement(db, """
            SELECT count FROM versions
            WHERE finding_key = ? AND (coalesce(updated_at, ''), coalesce(count, -9223372036854775808), coalesce(archived, 0)) <= (?, ?, ?)
            ORDER BY coalesce(updated_at, '') DESC, coalesce(count, -9223372036854775808) DESC, coalesce(archived, 0) DESC, version_id DESC LIMIT 1
            """)
        baseData = try RawStatement(db, "SELECT data FROM version_blobs WHERE version_id = ? AND base_version_id IS NULL")
        insertBlob = try RawStatement(db, "INSERT INTO version_blobs (version_id, base_version_id, data) VALUES (?, ?, ?)")
        knownKinds = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT kind, kind_id FROM indicator_kinds").map { ($0[0], $0[1]) })
        indicatorValueID = try RawStatement(db, "SELECT value_id FROM indicator_values WHERE kind_id = ? AND value = ?")
        insertIndicatorValue = try RawStatement(db, "INSERT INTO indicator_values (kind_id, value) VALUES (?, ?)")
        insertIndicator = try RawStatement(db, "INSERT OR IGNORE INTO version_indicators (value_id, version_id, kind_id) VALUES (?, ?, ?)")
        // The finding's row carries a copy of its latest version's columns (migration 9).
        // SQLite rewrites the entries of every index whose columns an UPDATE assigns, changed
        // or not; the second statement leaves the indexed columns that rarely change alone.
        let volatile = """
            latest_version_id = ?1, version_count = version_count + 1, arn = ?2, partition = ?3,
            title = ?4, severity_label = ?5, confidence = ?6, created_at = ?7, updated_at = ?8,
            first_seen = ?9, last_seen = ?10, count = ?11, archived = ?12, resource_role = ?13,
            action_type = ?14, detector_id = ?15, feature_name = ?16
            """
        updateLatest = try RawStatement(db, """
            UPDATE findings SET \(volatile), type = ?18, resource_type = ?19, severity = ?20, sample = ?21
            WHERE finding_key = ?17
            """)
        updateLatestKeepingIndexed = try RawStatement(db, "UPDATE findings SET \(volatile) WHERE finding_key = ?17")
        updateCount = try RawStatement(db, "UPDATE findings SET version_count = version_count + 1 WHERE finding_key = ?")
        insertSighting = try RawStatement(db, """
            INSERT OR IGNORE INTO sightings (version_id, file_id, line, record_index, import_run_id, form_id)
            VALUES (?, ?, ?, ?, ?, ?)
            """)
        formByHash = try RawStatement(db, "SELECT form_id, version_id FROM version_forms WHERE hash = ?")
        formsExist = try Self.anyFormExists(db)
        sameUpdatedAt = try RawStatement(db, """
            SELECT v.version_id, (SELECT b.body FROM version_bodies b WHERE b.version_id = v.version_id)
            FROM versions v WHERE v.finding_key = ? AND v.updated_at IS ? ORDER BY v.version_id
            """)
    }
}

