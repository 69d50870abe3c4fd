import Foundation
@testable import GDArchiveStore
import GDArchiveModel
import GDArchiveTestSupport
import GRDB
import Testing

@Suite struct BodyCodecTests {
    /// A finding body of about 2 KB, as canonical JSON, at a given count.
    static func body(_ id: String, count: Int, updatedAt: String, extra: String = "") -> String {
        let filler = (0..<20).map { #""detail\#($0)":"value \#($0) of the \#(id) resource, with some words in it""# }.joined(separator: ",")
        return #"{"accountId":"111122223333","id":"\#(id)","region":"us-east-1","resource":{\#(filler)},"service":{"count":\#(count)\#(extra)},"updatedAt":"\#(updatedAt)"}"#
    }

    @Test func aDeltaRoundTripsAndCostsLittle() throws {
        let codec = BodyCodec()
        let first = Array(Self.body("a", count: 1, updatedAt: "2025-01-01T00:00:00.000Z").utf8)
        let second = Array(Self.body("a", count: 2, updatedAt: "2025-01-02T00:00:00.000Z").utf8)
        let alone = try codec.compress(second, base: nil)
        let delta = try codec.compress(second, base: first)
        #expect(try codec.decompress(alone, base: nil) == second)
        #expect(try codec.decompress(delta, base: first) == second)
        #expect(delta.count < alone.count / 4, "a delta against a near-identical base should be far smaller (\(delta.count) vs \(alone.count) bytes)")
        #expect(delta.count < 80)
        // The frame is standard zstd: magic number 0xFD2FB528, little-endian.
        #expect(Array(delta.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
        // Against the wrong base the delta does not come back as the body.
        let other = Array(Self.body("b", count: 1, updatedAt: "2025-01-01T00:00:00.000Z").utf8)
        #expect((try? codec.decompress(delta, base: other)) != second)
        #expect(throws: StoreError.self) { try codec.decompress(Data([1, 2, 3]), base: nil) }
    }

    @Test func theWriterCompressesLaterVersionsAgainstTheFirstAndTheViewReadsThemBack() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        let bodies = (1...5).map { Self.body("f1", count: $0, updatedAt: "2025-01-0\($0)T00:00:00.000Z") }
            + [Self.body("f2", count: 1, updatedAt: "2025-01-01T00:00:00.000Z")]
        // A fresh codec per record: the base comes from the archive, not only from the cache.
        for (index, body) in bodies.enumerated() {
            try archive.database.write { db in
                let writer = try ArchiveWriter(db: db, runID: run, bodies: BodyCodec())
                let file = try writer.sourceFile(path: "/x")
                let id = body.contains(#""id":"f1""#) ? "f1" : "f2"
                var record = VersionRecord(id: id, accountId: "111122223333", region: "us-east-1", body: body)
                record.updatedAt = "2025-01-0\(index + 1)T00:00:00.000Z"
                _ = try writer.store(record, file: file, line: index + 1, recordIndex: 0)
            }
        }
        let rows = try archive.database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.version_id, d.base_version_id, length(d.data) AS size, b.body, v.hash
                FROM version_blobs d JOIN version_bodies b USING (version_id) JOIN versions v USING (version_id)
                ORDER BY d.version_id
                """)
        }
        #expect(rows.map { $0["body"] as String } == bodies)
        #expect(rows.map { $0["base_version_id"] as Int64? } == [nil, 1, 1, 1, 1, nil])
        #expect(rows.allSatisfy { Array($0["hash"] as Data) == SHA256.hash(Array(($0["body"] as String).utf8)) })
        let sizes = rows.map { $0["size"] as Int }
        #expect(sizes[1...4].allSatisfy { $0 * 4 < sizes[0] }, "deltas \(sizes[1...4]) should be far smaller than the base \(sizes[0])")
        #expect(try archive.check().isOK)
    }

    @Test func migrationFiveCompressesTheBodiesOfAnOlderArchiveLosslessly() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("old.sqlite")
        // An archive as gdarchive left it before migration 5: bodies as text.
        let bodies = [Self.body("f1", count: 1, updatedAt: "2025-01-01T00:00:00.000Z"),
                      Self.body("f2", count: 1, updatedAt: "2025-01-01T00:00:00.000Z"),
                      Self.body("f1", count: 7, updatedAt: "2025-01-03T00:00:00.000Z", extra: #","note":"\u00e9 \u2028""#),
                      Self.body("f1", count: 3, updatedAt: "2025-01-02T00:00:00.000Z")]
        do {
            let old = try DatabaseQueue(path: path)
            try old.writeWithoutTransaction { db in
                try Archive.migrate(db, path: path, migrations: Array(Migration.all.prefix(4)))
                try db.execute(sql: "INSERT INTO import_runs (started_at) VALUES ('2025-01-01T00:00:00.000Z')")
                try db.execute(sql: "INSERT INTO findings (finding_key, account_id, region, id, latest_version_id, version_count) VALUES (1, '111122223333', 'us-east-1', 'f1', 3, 3), (2, '111122223333', 'us-east-1', 'f2', 2, 1)")
                for (index, body) in bodies.enumerated() {
                    let finding = body.contains(#""id":"f1""#) ? 1 : 2
                    try db.execute(sql: "INSERT INTO versions (version_id, finding_key, hash, import_run_id, id, account_id, region) VALUES (?, ?, ?, 1, ?, '111122223333', 'us-east-1')",
                                   arguments: [index + 1, finding, Data(SHA256.hash(Array(body.utf8))), finding == 1 ? "f1" : "f2"])
                    try db.execute(sql: "INSERT INTO version_bodies (version_id, body) VALUES (?, ?)", arguments: [index + 1, body])
                }
            }
            try old.close()
        }
        let archive = try Archive.open(path: path)
        let rows = try archive.database.read { db in
            try Row.fetchAll(db, sql: "SELECT d.version_id, d.base_version_id, b.body FROM version_blobs d JOIN version_bodies b USING (version_id) ORDER BY d.version_id")
        }
        #expect(rows.map { $0["body"] as String } == bodies)
        #expect(rows.map { $0["base_version_id"] as Int64? } == [nil, nil, 1, 1])
        // The old table is gone; the name now is the view.
        let kind = try archive.database.read { db in try String.fetchOne(db, sql: "SELECT type FROM sqlite_schema WHERE name = 'version_bodies'") }
        #expect(kind == "view")
        // New versions of a migrated finding are compressed against its base.
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        let next = Self.body("f1", count: 9, updatedAt: "2025-01-04T00:00:00.000Z")
        try archive.database.write { db in
            let writer = try ArchiveWriter(db: db, runID: run)
            var record = VersionRecord(id: "f1", accountId: "111122223333", region: "us-east-1", body: next)
            record.updatedAt = "2025-01-04T00:00:00.000Z"
            _ = try writer.store(record, file: try writer.sourceFile(path: "/y"), line: 1, recordIndex: 0)
        }
        let stored = try archive.database.read { db in
            try Row.fetchOne(db, sql: "SELECT d.base_version_id, b.body FROM version_blobs d JOIN version_bodies b USING (version_id) WHERE d.version_id = 5")
        }
        #expect(stored?["base_version_id"] as Int64? == 1)
        #expect(stored?["body"] as String? == next)
    }
}
