import GDArchiveStore
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
            let writer = ArchiveWriter(db: db, runID: run)
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
