import Foundation
import GDArchiveModel
@testable import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

/// Indicator values are kept once and referenced by number (migration 12).
@Suite struct IndicatorStorageTests {
    static func record(_ n: Int, finding: String, indicators: [Indicator]) -> VersionRecord {
        var record = VersionRecord(id: finding, accountId: "1", region: "r", body: #"{"accountId":"1","id":"\#(finding)","n":\#(n),"region":"r"}"#)
        record.updatedAt = "2025-01-0\(n)T00:00:00.000Z"
        record.count = Int64(n)
        record.indicators = indicators
        return record
    }

    @Test func eachValueIsStoredOnceAndEveryVersionLinksToIt() throws {
        let ip = Indicator(kind: "remote_ip", value: "198.51.100.7")
        // The same text under another kind is another value.
        let sameTextOtherKind = Indicator(kind: "local_ip", value: "198.51.100.7")
        let domain = Indicator(kind: "domain", value: "example.com")
        let records = [
            Self.record(1, finding: "a", indicators: [ip]),
            Self.record(2, finding: "a", indicators: [ip, domain]),
            Self.record(3, finding: "b", indicators: [sameTextOtherKind, ip]),
        ]
        let tmp = try TemporaryDirectory()
        let archive = try makeArchive(in: tmp, storing: records)
        let (values, links, view) = try archive.database.read { db in
            (try String.fetchAll(db, sql: "SELECT k.kind || ':' || v.value FROM indicator_values v JOIN indicator_kinds k USING (kind_id) ORDER BY 1"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM version_indicators")!,
             try Row.fetchAll(db, sql: "SELECT kind, value, version_id FROM indicators ORDER BY version_id, kind").map { "\($0["version_id"] as Int64) \($0["kind"] as String):\($0["value"] as String)" })
        }
        #expect(values == ["domain:example.com", "local_ip:198.51.100.7", "remote_ip:198.51.100.7"])
        #expect(links == 5)
        #expect(view == ["1 remote_ip:198.51.100.7", "2 domain:example.com", "2 remote_ip:198.51.100.7",
                         "3 local_ip:198.51.100.7", "3 remote_ip:198.51.100.7"])
        #expect(try archive.check().problems == [])
    }

    @Test func checkFindsALinkWhoseKindIsNotItsValues() throws {
        let tmp = try TemporaryDirectory()
        let archive = try makeArchive(in: tmp, storing: [Self.record(1, finding: "a", indicators: [Indicator(kind: "domain", value: "x.example")])])
        #expect(try archive.check().problems == [])
        // The kind repeated in the link (for the index by version and kind) must be its value's.
        try archive.database.write { db in
            try db.execute(sql: "UPDATE version_indicators SET kind_id = (SELECT kind_id FROM indicator_kinds WHERE kind = 'remote_ip')")
        }
        let problems = try archive.check().problems
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("an indicator of version 1 points at value 1, which is missing or of another kind") == true)
    }

    @Test func aKindTheArchiveDoesNotKnowYetIsAdded() throws {
        let new = Indicator(kind: "future_kind", value: "x")
        let tmp = try TemporaryDirectory()
        let archive = try makeArchive(in: tmp, storing: [
            Self.record(1, finding: "a", indicators: [new]),
            Self.record(2, finding: "a", indicators: [new, Indicator(kind: "domain", value: "x")]),
        ])
        // Migration 12 lists the extractor's kinds: the new one is the only one added.
        let kinds = try Archive.open(path: tmp.path("fresh.sqlite")).database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM indicator_kinds")! }
        let (count, rows) = try archive.database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM indicator_kinds")!,
             try String.fetchAll(db, sql: "SELECT version_id || ' ' || kind || ':' || value FROM indicators ORDER BY version_id, kind"))
        }
        #expect(count == kinds + 1)
        #expect(rows == ["1 future_kind:x", "2 domain:x", "2 future_kind:x"])
        #expect(try archive.check().problems == [])
    }

    @Test func pruneDeletesTheValuesNoVersionCarriesAnyMore() throws {
        let shared = Indicator(kind: "remote_ip", value: "198.51.100.7")
        let onlyOld = Indicator(kind: "domain", value: "old.example.com")
        let tmp = try TemporaryDirectory()
        let archive = try makeArchive(in: tmp, storing: [
            Self.record(1, finding: "old", indicators: [shared, onlyOld]),
            Self.record(5, finding: "new", indicators: [shared]),
        ])
        let report = try archive.prune(before: Timestamp.parse("2025-01-03T00:00:00.000Z")!, dryRun: false)
        #expect(report.findings == 1)
        let values = try archive.database.read { db in
            try String.fetchAll(db, sql: "SELECT k.kind || ':' || v.value FROM indicator_values v JOIN indicator_kinds k USING (kind_id) ORDER BY 1")
        }
        #expect(values == ["remote_ip:198.51.100.7"])
        #expect(try archive.check().problems == [])
    }

    @Test func migrationTwelveKeepsEveryIndicatorOfAnOlderArchive() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("old.sqlite")
        let old: [(String, String, Int)] = [("remote_ip", "198.51.100.7", 1), ("remote_ip", "198.51.100.7", 2), ("domain", "example.com", 2),
                                            ("local_ip", "198.51.100.7", 3), ("local_port", "443", 3)]
        try makeOlderArchive(at: path, migrations: 11) { db in
            try db.execute(sql: "INSERT INTO findings (finding_key, account_id, region, id, latest_version_id, version_count) VALUES (1, '1', 'r', 'a', 3, 3)")
            for version in 1...3 {
                try db.execute(sql: "INSERT INTO versions (version_id, finding_key, hash, import_run_id, id, account_id, region, updated_at) VALUES (?, 1, ?, 1, 'a', '1', 'r', ?)",
                               arguments: [version, Data([UInt8(version)]), "2025-01-0\(version)T00:00:00.000Z"])
            }
            for (kind, value, version) in old {
                try db.execute(sql: "INSERT INTO indicators (kind, value, version_id) VALUES (?, ?, ?)", arguments: [kind, value, version])
            }
        }
        let archive = try Archive.open(path: path)
        let (view, findingView, values) = try archive.database.read { db in
            (try Row.fetchAll(db, sql: "SELECT kind, value, version_id FROM indicators ORDER BY version_id, kind"),
             try Row.fetchAll(db, sql: "SELECT kind, value, version_id, is_latest FROM finding_indicators ORDER BY version_id, kind"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM indicator_values")!)
        }
        #expect(view.map { "\($0["kind"] as String) \($0["value"] as String) \($0["version_id"] as Int)" }
                == old.sorted { ($0.2, $0.0) < ($1.2, $1.0) }.map { "\($0.0) \($0.1) \($0.2)" })
        #expect(findingView.map { $0["is_latest"] as Bool } == [false, false, false, true, true])
        #expect(values == 4)
    }
}
