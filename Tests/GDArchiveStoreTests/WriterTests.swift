import Foundation
@testable import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

@Suite struct WriterTests {
    @Test(arguments: [
        // (new updatedAt, new count, current updatedAt, current count, new becomes latest)
        ("2025-01-02T00:00:00.000Z", 1, "2025-01-01T00:00:00.000Z", 9, true),   // newer time wins over count
        ("2025-01-01T00:00:00.000Z", 9, "2025-01-02T00:00:00.000Z", 1, false),  // an older version never wins
        ("2025-01-01T00:00:00.000Z", 5, "2025-01-01T00:00:00.000Z", 4, true),   // same time: greater count
        ("2025-01-01T00:00:00.000Z", 4, "2025-01-01T00:00:00.000Z", 5, false),
        ("2025-01-01T00:00:00.000Z", 4, "2025-01-01T00:00:00.000Z", 4, true),   // full tie: the later import
    ] as [(String, Int64, String, Int64, Bool)])
    func latestOrderIsUpdatedAtThenCountThenImportOrder(new: String, newCount: Int64, current: String, currentCount: Int64, wins: Bool) {
        #expect(ArchiveWriter.isAtLeastAsRecent(updatedAt: new, count: newCount, thanUpdatedAt: current, count: currentCount) == wins)
    }

    @Test func aMissingUpdatedAtSortsFirst() {
        #expect(ArchiveWriter.isAtLeastAsRecent(updatedAt: "2020-01-01T00:00:00.000Z", count: nil, thanUpdatedAt: nil, count: 7))
        #expect(!ArchiveWriter.isAtLeastAsRecent(updatedAt: nil, count: 7, thanUpdatedAt: "2020-01-01T00:00:00.000Z", count: nil))
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
        var generator = SystemRandomNumberGenerator()
        for round in 0..<25 {
            let order = round == 0 ? Array(versions.indices) : versions.indices.shuffled(using: &generator)
            let tmp = try TemporaryDirectory()
            let archive = try Archive.open(path: tmp.path("a.sqlite"))
            let run = try ArchiveWriter.beginRun(in: archive, command: "test")
            try archive.database.write { db in
                let writer = try ArchiveWriter(db: db, runID: run)
                let file = try writer.sourceFile(path: "/x")
                for (line, index) in order.enumerated() {
                    let (id, updated, count) = versions[index]
                    // Distinct bodies: the index makes each version its own.
                    var record = VersionRecord(id: id, accountId: "1", region: "r", body: #"{"accountId":"1","id":"\#(id)","n":\#(index),"region":"r"}"#)
                    record.updatedAt = updated
                    record.count = count
                    _ = try writer.store(record, file: file, line: line + 1, recordIndex: 0)
                }
            }
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
        do {
            var config = Configuration()
            config.prepareDatabase { db in try Archive.registerCodecFunctions(db) }
            let old = try DatabaseQueue(path: path, configuration: config)
            try old.writeWithoutTransaction { db in
                try Archive.migrate(db, path: path, migrations: Array(Migration.all.prefix(5)))
                try db.execute(sql: "INSERT INTO import_runs (started_at) VALUES ('2025-01-01T00:00:00.000Z')")
                try db.execute(sql: "INSERT INTO findings (finding_key, account_id, region, id, latest_version_id, version_count) VALUES (1, '1', 'r', 'a', 2, 3)")
                // Imported out of order: counts 10, then 1 (older), then 5 (between).
                for (version, updated, count) in [(1, "2025-01-03T00:00:00.000Z", 10), (2, "2025-01-01T00:00:00.000Z", 1), (3, "2025-01-02T00:00:00.000Z", 5)] {
                    try db.execute(sql: "INSERT INTO versions (version_id, finding_key, hash, import_run_id, id, account_id, region, updated_at, count) VALUES (?, 1, ?, 1, 'a', '1', 'r', ?, ?)",
                                   arguments: [version, Data([UInt8(version)]), updated, count])
                }
            }
            try old.close()
        }
        let archive = try Archive.open(path: path)
        let occurrences = try archive.database.read { db in
            try Int64.fetchAll(db, sql: "SELECT occurrences FROM finding_versions ORDER BY version_id")
        }
        #expect(occurrences == [5, 1, 4])
    }
}
