import Foundation
import GDArchiveModel
@testable import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

@Suite struct WriterTests {
    @Test(arguments: [
        // (new updatedAt, new count, new archived, current updatedAt, current count, current archived, new becomes latest)
        ("2025-01-02T00:00:00.000Z", 1, false, "2025-01-01T00:00:00.000Z", 9, true, true),   // newer time wins over count and archived
        ("2025-01-01T00:00:00.000Z", 9, true, "2025-01-02T00:00:00.000Z", 1, false, false),  // an older version never wins
        ("2025-01-01T00:00:00.000Z", 5, false, "2025-01-01T00:00:00.000Z", 4, true, true),   // same time: greater count
        ("2025-01-01T00:00:00.000Z", 4, true, "2025-01-01T00:00:00.000Z", 5, false, false),
        ("2025-01-01T00:00:00.000Z", 4, true, "2025-01-01T00:00:00.000Z", 4, false, true),   // same time and count: archived is later
        ("2025-01-01T00:00:00.000Z", 4, false, "2025-01-01T00:00:00.000Z", 4, true, false),  // whichever arrived last
        ("2025-01-01T00:00:00.000Z", 4, false, "2025-01-01T00:00:00.000Z", 4, false, true),  // full tie: the later import
        ("2025-01-01T00:00:00.000Z", 4, true, "2025-01-01T00:00:00.000Z", 4, true, true),
    ] as [(String, Int64, Bool, String, Int64, Bool, Bool)])
    func latestOrderIsUpdatedAtThenCountThenArchivedThenImportOrder(new: String, newCount: Int64, newArchived: Bool,
                                                                   current: String, currentCount: Int64, currentArchived: Bool, wins: Bool) {
        #expect(ArchiveWriter.isAtLeastAsRecent(updatedAt: new, count: newCount, archived: newArchived,
                                                thanUpdatedAt: current, count: currentCount, archived: currentArchived) == wins)
    }

    @Test func aMissingUpdatedAtSortsFirst() {
        #expect(ArchiveWriter.isAtLeastAsRecent(updatedAt: "2020-01-01T00:00:00.000Z", count: nil, archived: nil, thanUpdatedAt: nil, count: 7, archived: true))
        #expect(!ArchiveWriter.isAtLeastAsRecent(updatedAt: nil, count: 7, archived: true, thanUpdatedAt: "2020-01-01T00:00:00.000Z", count: nil, archived: nil))
    }

    @Test(arguments: [(1.0, "low"), (3.9, "low"), (4.0, "medium"), (6.9, "medium"), (7.0, "high"), (8.9, "high"), (9.0, "critical"), (10.0, "critical")])
    func severityBandsFollowGuardDuty(severity: Double, label: String) {
        #expect(VersionRecord.severityLabel(for: severity) == label)
    }

    @Test func storingTheSameVersionTwiceKeepsOneRowAndBothSightings() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        var record = VersionRecord(id: "f1", accountId: "1", region: "r", body: #"{"accountId":"1","id":"f1","region":"r"}"#)
        record.updatedAt = "2025-01-01T00:00:00.000Z"
        let outcomes = try archive.database.write { db -> [ArchiveWriter.Outcome] in
            let writer = try ArchiveWriter(db: db, runID: run)
            let a = try writer.sourceFile(path: "/a"), b = try writer.sourceFile(path: "/b")
            return [try writer.store(record, file: a, line: 1, recordIndex: 0),
                    try writer.store(record, file: b, line: 4, recordIndex: 0),
                    try writer.store(record, file: b, line: 4, recordIndex: 0)]
        }
        #expect(outcomes == [.newFinding, .known, .known])
        let counts = try archive.database.read { db in
            [try Int.fetchOne(db, sql: "SELECT count(*) FROM versions")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM sightings")!]
        }
        #expect(counts == [1, 2])
    }
}

@Suite struct OccurrencesTests {
    /// The window the timeline used before occurrences were stored: the reference.
    static let windowSQL = """
        SELECT version_id,
               CASE WHEN lag(count) OVER w IS NULL OR count < lag(count) OVER w THEN coalesce(count, 0)
                    ELSE count - lag(count) OVER w END AS o
        FROM versions WINDOW w AS (PARTITION BY finding_key ORDER BY updated_at, count, version_id)
        ORDER BY version_id
        """

    @Test func storedOccurrencesMatchTheWindowWhateverTheOrderOfArrival() throws {
        // Versions of two findings with growing counts, a reset, ties, and missing values.
        let versions: [(String, String?, Int64?)] = [
            ("a", "2025-01-01T00:00:00.000Z", 1), ("a", "2025-01-02T00:00:00.000Z", 4), ("a", "2025-01-03T00:00:00.000Z", 9),
            ("a", "2025-01-04T00:00:00.000Z", 2), ("a", "2025-01-04T00:00:00.000Z", 5), ("a", "2025-01-04T00:00:00.000Z", 5),
            ("a", nil, 3), ("a", "2025-01-05T00:00:00.000Z", nil), ("a", "2025-01-06T00:00:00.000Z", 12),
            ("b", "2025-01-01T00:00:00.000Z", 7), ("b", "2025-01-01T00:00:00.000Z", nil), ("b", "2025-01-02T00:00:00.000Z", 8),
        ]
        var generator = SeededGenerator(seed: 1005)
        for round in 0..<25 {
            let order = round == 0 ? Array(versions.indices) : versions.indices.shuffled(using: &generator)
            let tmp = try TemporaryDirectory()
            let archive = try makeArchive(in: tmp, storing: order.map { index in
                let (id, updated, count) = versions[index]
                // Distinct bodies: the index makes each version its own.
                var record = VersionRecord(id: id, accountId: "1", region: "r", body: #"{"accountId":"1","id":"\#(id)","n":\#(index),"region":"r"}"#)
                record.updatedAt = updated
                record.count = count
                return record
            })
            let (stored, expected) = try archive.database.read { db in
                (try Row.fetchAll(db, sql: "SELECT version_id, occurrences AS o FROM versions ORDER BY version_id").map { $0["o"] as Int64? },
                 try Row.fetchAll(db, sql: Self.windowSQL).map { $0["o"] as Int64? })
            }
            #expect(stored == expected, "arrival order \(order)")
        }
    }

    @Test func migrationSixFillsOccurrencesForAnOlderArchive() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("old.sqlite")
        try makeOlderArchive(at: path, migrations: 5) { db in
            try db.execute(sql: "INSERT INTO findings (finding_key, account_id, region, id, latest_version_id, version_count) VALUES (1, '1', 'r', 'a', 2, 3)")
            // Imported out of order: counts 10, then 1 (older), then 5 (between).
            for (version, updated, count) in [(1, "2025-01-03T00:00:00.000Z", 10), (2, "2025-01-01T00:00:00.000Z", 1), (3, "2025-01-02T00:00:00.000Z", 5)] {
                try db.execute(sql: "INSERT INTO versions (version_id, finding_key, hash, import_run_id, id, account_id, region, updated_at, count) VALUES (?, 1, ?, 1, 'a', '1', 'r', ?, ?)",
                               arguments: [version, Data([UInt8(version)]), updated, count])
            }
        }
        let archive = try Archive.open(path: path)
        let occurrences = try archive.database.read { db in
            try Int64.fetchAll(db, sql: "SELECT occurrences FROM finding_versions ORDER BY version_id")
        }
        #expect(occurrences == [5, 1, 4])
    }
}

@Suite struct LatestColumnsTests {
    /// The columns a finding's row copies from its latest version (migration 9).
    static let copied = ["arn", "partition", "type", "title", "severity", "severity_label", "confidence", "created_at", "updated_at",
                         "first_seen", "last_seen", "count", "archived", "sample", "resource_type", "resource_role", "action_type",
                         "detector_id", "feature_name"]

    static func record(_ n: Int, updatedAt: String?, count: Int64?) -> VersionRecord {
        var record = VersionRecord(id: "a", accountId: "1", region: "r", body: #"{"accountId":"1","id":"a","n":\#(n),"region":"r"}"#)
        record.updatedAt = updatedAt
        record.count = count
        record.arn = "arn:\(n)"
        record.partition = n % 2 == 0 ? "aws" : nil
        record.type = "Type\(n)"
        record.title = "title \(n)"
        record.severity = Double(n) + 0.5
        record.severityLabel = VersionRecord.severityLabel(for: Double(n) + 0.5)
        record.confidence = Double(n)
        record.createdAt = "2024-12-0\(n + 1)T00:00:00.000Z"
        record.firstSeen = "2024-12-1\(n)T00:00:00.000Z"
        record.lastSeen = "2024-12-2\(n)T00:00:00.000Z"
        record.archived = n % 2 == 1
        record.sample = true  // a sample finding's versions are all samples (a real one never becomes one)
        record.resourceType = "Resource\(n)"
        record.resourceRole = n % 2 == 0 ? "TARGET" : "ACTOR"
        record.actionType = "ACTION_\(n)"
        record.detectorId = "d\(n)"
        record.featureName = "Feature\(n)"
        return record
    }

    @Test func aFindingCarriesItsLatestVersionsColumnsWhateverTheOrderOfArrival() throws {
        let versions: [(String?, Int64?)] = [
            ("2025-01-01T00:00:00.000Z", 1), ("2025-01-03T00:00:00.000Z", 2), ("2025-01-02T00:00:00.000Z", 9),
            ("2025-01-03T00:00:00.000Z", 7), (nil, 30), ("2025-01-03T00:00:00.000Z", 7), ("2025-01-03T00:00:00.000Z", 7),
        ]
        var generator = SeededGenerator(seed: 1006)
        for round in 0..<12 {
            let order = round == 0 ? Array(versions.indices) : versions.indices.shuffled(using: &generator)
            let tmp = try TemporaryDirectory()
            let archive = try makeArchive(in: tmp, storing: order.map { Self.record($0, updatedAt: versions[$0].0, count: versions[$0].1) })
            // The latest: greatest updated_at, then count, then archived, then the later import
            // (3, 5 and 6 tie on updated_at and count; 6 is not archived, so it never wins; of
            // the two full ties, 3 and 5, the one that arrived last).
            let tied = [3, 5].max { order.firstIndex(of: $0)! < order.firstIndex(of: $1)! }!
            let expected = Self.record(tied, updatedAt: versions[tied].0, count: versions[tied].1)
            let row = try archive.database.read { db in
                try Row.fetchOne(db, sql: "SELECT \(Self.copied.joined(separator: ", ")), version_count FROM findings")!
            }
            #expect(row["title"] as String? == expected.title, "arrival order \(order)")
            #expect(row["type"] as String? == expected.type)
            #expect(row["severity"] as Double? == expected.severity)
            #expect(row["updated_at"] as String? == expected.updatedAt)
            #expect(row["count"] as Int64? == expected.count)
            #expect(row["archived"] as Bool? == expected.archived)
            #expect(row["sample"] as Bool == expected.sample)
            #expect(row["partition"] as String? == expected.partition)
            #expect(row["feature_name"] as String? == expected.featureName)
            #expect(row["version_count"] as Int == versions.count)
            // Every copied column, against the latest version's own row.
            #expect(try archive.check().problems == [])
        }
    }

    @Test func theCopyFollowsBothWaysOfUpdatingIt() throws {
        // The writer leaves type, resource type, severity and sample alone when a new latest
        // version keeps them, and sets them when one changes.
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        var steps = [Self.record(1, updatedAt: "2025-01-01T00:00:00.000Z", count: 1)]
        var same = Self.record(2, updatedAt: "2025-01-02T00:00:00.000Z", count: 2)
        (same.type, same.resourceType, same.severity, same.sample) = (steps[0].type, steps[0].resourceType, steps[0].severity, steps[0].sample)
        steps.append(same)
        var severer = same
        severer.body = #"{"accountId":"1","id":"a","n":3,"region":"r"}"#
        severer.hash = SHA256.hash(Array(severer.body.utf8))
        severer.updatedAt = "2025-01-03T00:00:00.000Z"
        severer.severity = 9.5
        steps.append(severer)
        var sample = severer
        sample.body = #"{"accountId":"1","id":"a","n":4,"region":"r"}"#
        sample.hash = SHA256.hash(Array(sample.body.utf8))
        sample.updatedAt = "2025-01-04T00:00:00.000Z"
        sample.type = "Another:Type/Now"
        sample.title = "now another type"
        steps.append(sample)
        for (line, record) in steps.enumerated() {
            try archive.database.write { db in
                let writer = try ArchiveWriter(db: db, runID: run)
                _ = try writer.store(record, file: try writer.sourceFile(path: "/x"), line: line + 1, recordIndex: 0)
            }
            let row = try archive.database.read { db in try Row.fetchOne(db, sql: "SELECT title, type, resource_type, severity, sample, updated_at FROM findings")! }
            #expect(row["title"] as String? == record.title, "step \(line)")
            #expect(row["type"] as String? == record.type)
            #expect(row["resource_type"] as String? == record.resourceType)
            #expect(row["severity"] as Double? == record.severity)
            #expect(row["sample"] as Bool == record.sample)
            #expect(row["updated_at"] as String? == record.updatedAt)
            #expect(try archive.check().problems == [])
        }
    }

    @Test func checkReportsACopyThatDrifted() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        try archive.database.write { db in
            let writer = try ArchiveWriter(db: db, runID: run)
            _ = try writer.store(Self.record(1, updatedAt: "2025-01-01T00:00:00.000Z", count: 1), file: try writer.sourceFile(path: "/x"), line: 1, recordIndex: 0)
            try db.execute(sql: "UPDATE findings SET severity = 1, resource_type = NULL")
        }
        #expect(try archive.check().problems == ["finding a: severity, resource_type should be as in its latest version 1"])
    }

    @Test func migrationNineCopiesTheLatestColumnsOfAnOlderArchive() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("old.sqlite")
        try makeOlderArchive(at: path, migrations: 8) { db in
            try db.execute(sql: "INSERT INTO findings (finding_key, account_id, region, id, latest_version_id, version_count) VALUES (1, '1', 'r', 'a', 2, 2), (2, '1', 'r', 'b', 3, 1)")
            for (version, finding, id, severity, type, sample) in [(1, 1, "a", 2.0, "Old", 0), (2, 1, "a", 8.0, "New", 0), (3, 2, "b", 5.0, "Other", 1)] {
                try db.execute(sql: """
                    INSERT INTO versions (version_id, finding_key, hash, import_run_id, id, account_id, region, severity, type, resource_type, sample, updated_at, count)
                    VALUES (?, ?, ?, 1, ?, '1', 'r', ?, ?, 'Instance', ?, '2025-01-0\(version)T00:00:00.000Z', ?)
                    """, arguments: [version, finding, Data([UInt8(version)]), id, severity, type, sample, version])
            }
        }
        let archive = try Archive.open(path: path)
        let rows = try archive.database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, type, severity, sample, updated_at, count, latest_version_id AS version_id, version_count FROM findings ORDER BY id")
        }
        // The view reads the copy.
        let view = try archive.database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, type, severity, sample, updated_at, count, version_id, version_count FROM latest_findings ORDER BY id")
        }
        #expect(view == rows)
        #expect(rows.map { $0["type"] as String } == ["New", "Other"])
        #expect(rows.map { $0["severity"] as Double } == [8, 5])
        #expect(rows.map { $0["sample"] as Int } == [0, 1])
        #expect(rows.map { $0["updated_at"] as String } == ["2025-01-02T00:00:00.000Z", "2025-01-03T00:00:00.000Z"])
        #expect(rows.map { $0["version_id"] as Int64 } == [2, 3])
        #expect(rows.map { $0["version_count"] as Int } == [2, 1])
    }

    @Test func migrationElevenKeepsArnPartitionAndDetectorOncePerFinding() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("old.sqlite")
        try makeOlderArchive(at: path, migrations: 10) { db in
            try db.execute(sql: """
                INSERT INTO findings (finding_key, account_id, region, id, latest_version_id, version_count, arn, partition, detector_id)
                VALUES (1, '1', 'r', 'a', 2, 2, 'arn:aws:guardduty:r:1:detector/d/finding/a', 'aws', 'd')
                """)
            for version in [1, 2] {
                try db.execute(sql: """
                    INSERT INTO versions (version_id, finding_key, hash, import_run_id, id, account_id, region, arn, partition, detector_id, updated_at)
                    VALUES (?, 1, ?, 1, 'a', '1', 'r', 'arn:aws:guardduty:r:1:detector/d/finding/a', 'aws', 'd', ?)
                    """, arguments: [version, Data([UInt8(version)]), "2025-01-0\(version)T00:00:00.000Z"])
            }
        }
        let archive = try Archive.open(path: path)
        let (columns, rows) = try archive.database.read { db in
            (try Row.fetchAll(db, sql: "SELECT name FROM pragma_table_info('versions')").map { $0["name"] as String },
             try Row.fetchAll(db, sql: "SELECT version_id, arn, partition, detector_id, is_latest FROM finding_versions ORDER BY version_id"))
        }
        #expect(!columns.contains("arn") && !columns.contains("partition") && !columns.contains("detector_id"))
        #expect(columns.contains("id") && columns.contains("occurrences"))
        #expect(rows.map { $0["arn"] as String? } == Array(repeating: "arn:aws:guardduty:r:1:detector/d/finding/a", count: 2))
        #expect(rows.map { $0["partition"] as String? } == ["aws", "aws"])
        #expect(rows.map { $0["detector_id"] as String? } == ["d", "d"])
        #expect(rows.map { $0["is_latest"] as Bool } == [false, true])
    }
}

/// A new archive in `tmp` holding `records`, stored in this order in one transaction, from
/// lines 1, 2, … of one file.
func makeArchive(in tmp: TemporaryDirectory, storing records: [VersionRecord]) throws -> Archive {
    let archive = try Archive.open(path: tmp.path("a.sqlite"))
    let run = try ArchiveWriter.beginRun(in: archive, command: "test")
    try archive.database.write { db in
        let writer = try ArchiveWriter(db: db, runID: run)
        let file = try writer.sourceFile(path: "/x")
        for (line, record) in records.enumerated() {
            _ = try writer.store(record, file: file, line: line + 1, recordIndex: 0)
        }
    }
    return archive
}

/// An archive as an older gdarchive left it: the first `migrations` migrations, one import
/// run, then what `fill` writes.
func makeOlderArchive(at path: String, migrations: Int, _ fill: (Database) throws -> Void) throws {
    var config = Configuration()
    config.prepareDatabase { db in try Archive.registerCodecFunctions(db) }
    let old = try DatabaseQueue(path: path, configuration: config)
    try old.writeWithoutTransaction { db in
        try Archive.migrate(db, path: path, migrations: Array(Migration.all.prefix(migrations)))
        try db.execute(sql: "INSERT INTO import_runs (started_at) VALUES ('2025-01-01T00:00:00.000Z')")
        try fill(db)
    }
    try old.close()
}
