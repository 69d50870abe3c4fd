import GDArchiveModel
import Foundation
import GDArchiveIngest
import GDArchiveJSON
import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

/// An archive in a temporary directory, with helpers to import and look inside.
final class TestArchive {
    let tmp: TemporaryDirectory
    let archive: Archive
    var diagnostics: [Diagnostic] = []

    init() throws {
        tmp = try TemporaryDirectory()
        archive = try Archive.open(path: tmp.path("archive.sqlite"))
    }

    @discardableResult
    func importPaths(_ paths: [String], rescan: Bool = false, since: Int64? = nil) throws -> ImportSummary {
        var options = ImportOptions()
        options.rescan = rescan
        options.since = since
        return try Importer(archive: archive, command: "test") { self.diagnostics.append($0) }.run(inputs: paths, options: options)
    }

    func int(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
        try archive.database.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? -1 }
    }

    func strings(_ sql: String, _ arguments: StatementArguments = []) throws -> [String] {
        try archive.database.read { db in try String.fetchAll(db, sql: sql, arguments: arguments) }
    }

    /// Everything that defines the archive's content (not run bookkeeping).
    func contentFingerprint() throws -> [String] {
        try strings("SELECT hex(hash) || ' ' || account_id || ' ' || region || ' ' || id FROM versions ORDER BY 1")
            + strings("SELECT f.id || ' latest ' || hex(v.hash) || ' of ' || f.version_count FROM findings f JOIN versions v ON v.version_id = f.latest_version_id ORDER BY 1")
            + strings("SELECT hex(v.hash) || ' @ ' || s.path || ':' || g.line || '#' || g.record_index FROM sightings g JOIN versions v USING (version_id) JOIN source_files s ON s.id = g.file_id ORDER BY 1")
            + strings("SELECT s.path || ':' || e.line || ' ' || e.kind || ' ' || e.message FROM import_errors e JOIN source_files s ON s.id = e.file_id ORDER BY 1")
    }
}

@Suite struct ImportTests {
    @Test func everyResourceAndActionTypeOfTheFixturesIsStored() throws {
        let t = try TestArchive()
        let summary = try t.importPaths([try t.tmp.copyFixture("exports")])
        #expect(!summary.hasErrors)
        #expect(Set(try t.strings("SELECT DISTINCT resource_type FROM versions")) ==
            ["Instance", "AccessKey", "S3Bucket", "EKSCluster", "ECSCluster", "Container", "RDSDBInstance", "Lambda", "EBSVolume", "AttackSequence"])
        #expect(Set(try t.strings("SELECT DISTINCT coalesce(action_type, 'none') FROM versions")) ==
            ["NETWORK_CONNECTION", "PORT_PROBE", "DNS_REQUEST", "AWS_API_CALL", "RDS_LOGIN_ATTEMPT", "KUBERNETES_API_CALL", "none"])
        // Day 1: 12 findings; day 2: 5 updates + 2 re-exported unchanged; day 3: 1 update; other account: 3.
        #expect(summary.counts.newFindings == 15)
        #expect(summary.counts.newVersions == 21)
        #expect(summary.counts.knownVersions == 2)
        #expect(try t.int("SELECT count(*) FROM findings WHERE account_id = '444455556666' AND region = 'eu-west-1'") == 3)
        // The port probe recurred twice: three versions, the latest with the highest count.
        #expect(try t.int("SELECT max(version_count) FROM findings") == 3)
        #expect(try t.int("SELECT count FROM latest_findings WHERE version_count = 3") == 43)
    }

    /// Files commit in groups: whole files, at the first file boundary after the interval.
    /// (A file is reported when it has been read, just before its group may commit: with a
    /// zero interval each report sees the files before it.)
    @Test(arguments: [(Duration.zero, [0, 1, 2, 3]), (Duration.seconds(3600), [0, 0, 0, 0])])
    func filesCommitInGroupsOfWholeFiles(interval: Duration, visibleAfterEachFile: [Int]) throws {
        let t = try TestArchive()
        let exports = try t.tmp.copyFixture("exports")
        // What another connection sees of the files when each one has been read.
        let observer = try DatabaseQueue(path: t.archive.path)
        var seen: [Int] = []
        var options = ImportOptions()
        options.commitInterval = interval
        options.fileDone = { _ in
            seen.append((try? observer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM source_files") ?? -1 }) ?? -1)
        }
        let summary = try Importer(archive: t.archive, command: "test") { _ in }.run(inputs: [exports], options: options)
        #expect(summary.counts.files == 4)
        #expect(seen == visibleAfterEachFile)
        // Either way, everything is there at the end.
        #expect(try observer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM source_files") } == 4)
        #expect(try t.int("SELECT count(*) FROM versions") == 21)
    }

    @Test func importingTheSameDataTwiceChangesNothingAndSaysSo() throws {
        let t = try TestArchive()
        let fixtures = try t.tmp.copyFixture(".", as: "Fixtures")
        let first = try t.importPaths([fixtures])
        let before = try t.contentFingerprint()
        // Unchanged files are not even opened…
        let second = try t.importPaths([fixtures])
        #expect(try t.contentFingerprint() == before)
        #expect(second.filesOpened == 0 && second.unchangedFiles == first.counts.files)
        #expect(second.line.contains("(nothing new)"))
        // …and reading them all again changes nothing either.
        let third = try t.importPaths([fixtures], rescan: true)
        #expect(try t.contentFingerprint() == before)
        #expect(third.counts.newVersions == 0 && third.counts.newFindings == 0)
        #expect(third.counts.knownVersions == first.counts.newVersions + first.counts.knownVersions)
        #expect(third.line.contains("(nothing new)"))
        #expect(try t.int("SELECT count(*) FROM import_runs WHERE status = 'completed'") == 3)
    }

    @Test func anOlderVersionImportedLaterNeverBecomesLatest() throws {
        let t = try TestArchive()
        try t.importPaths([try t.tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        #expect(try t.int("SELECT count(*) FROM versions") == 3)
        #expect(try t.int("SELECT version_count FROM findings") == 3)
        // The file lists counts 10, 1, 5: the first line is the newest.
        #expect(try t.int("SELECT count FROM latest_findings") == 10)
        #expect(try t.strings("SELECT updated_at FROM latest_findings") == ["2025-01-10T02:00:00.000Z"])
        #expect(try t.int("SELECT count(*) FROM finding_versions WHERE is_latest") == 1)
    }

    @Test func theSameVersionFromS3EventBridgeAndTheCLIIsOneVersion() throws {
        let t = try TestArchive()
        let folder = try t.tmp.copyFixture("scenarios/one-version-three-channels")
        let summary = try t.importPaths([folder])
        #expect(summary.counts.newVersions == 1)
        #expect(summary.counts.knownVersions == 2)
        #expect(try t.int("SELECT count(*) FROM sightings") == 3)
        // The stored form is the wire form, whichever channel came first (here: EventBridge).
        let body = try #require(try t.strings("SELECT body FROM finding_versions").first)
        let exported = try String(contentsOfFile: folder + "/s3-export-line.jsonl", encoding: .utf8)
        #expect(body == CanonicalJSON.string(try JSONParser.parse(Array(exported.utf8))))
    }

    @Test func aBadLineIsReportedAndTheOthersLand() throws {
        let t = try TestArchive()
        let path = try t.tmp.copyFixture("scenarios/line-3-cut-short.jsonl")
        let summary = try t.importPaths([path])
        #expect(summary.hasErrors)
        #expect(summary.counts.newVersions == 3)
        #expect(t.diagnostics.filter { $0.severity == .error }.map(\.description) ==
            ["\(path):3: error: invalid JSON: this JSON value is not closed before line 4, which starts a new one"])
        #expect(try t.strings("SELECT kind || ' ' || line FROM import_errors") == ["bad-json 3"])
        #expect(try t.strings("SELECT DISTINCT line FROM sightings ORDER BY line") == ["1", "2", "4"])
    }

    @Test func aTruncatedGzipKeepsItsCompleteLines() throws {
        let t = try TestArchive()
        let path = try t.tmp.copyFixture("scenarios/truncated-export.jsonl.gz")
        let summary = try t.importPaths([path])
        #expect(summary.counts.newVersions == 3)
        #expect(summary.counts.errors == 1)
        let error = try #require(t.diagnostics.first { $0.severity == .error })
        #expect(error.description.hasPrefix("\(path):4: error: the gzip data ends early (the file is truncated)"))
        #expect(try t.strings("SELECT kind FROM import_errors") == ["damaged-input"])
    }

    @Test func errorsAreRecordedOnceHoweverOftenTheyAreImported() throws {
        let t = try TestArchive()
        let path = try t.tmp.copyFixture("scenarios/finding-without-id.json")
        try t.importPaths([path])
        try t.importPaths([path], rescan: true)
        #expect(try t.int("SELECT count(*) FROM import_errors") == 1)
        #expect(try t.strings("SELECT message FROM import_errors") ==
            ["GuardDuty finding has no id and accountId; a finding is identified by accountId, region and id, so it cannot be stored"])
        #expect(try t.int("SELECT last_run_id - first_run_id FROM import_errors") == 1)
    }

    @Test func eventBridgeStreamsKeepFindingsAndSkipOtherEvents() throws {
        let t = try TestArchive()
        let summary = try t.importPaths([try t.tmp.copyFixture("scenarios/eventbridge-events.jsonl")])
        #expect(summary.counts.newVersions == 2 && summary.counts.newFindings == 1)
        #expect(summary.counts.skipped == 1)
        #expect(!summary.hasErrors)
        #expect(t.diagnostics.contains { $0.severity == .note && $0.line == 2 && $0.message.contains("AWS API Call via CloudTrail") })
    }

    @Test func aPrettyPrintedPageRecordsItsRecordIndexes() throws {
        let t = try TestArchive()
        try t.importPaths([try t.tmp.copyFixture("scenarios/findings-page-pretty.json")])
        #expect(try t.strings("SELECT line || '#' || record_index FROM sightings ORDER BY record_index") == ["1#0", "1#1"])
    }

    @Test func standardInputIsAnInput() throws {
        // Covered end to end in the CLI tests; here: a missing path is an error, the rest lands.
        let t = try TestArchive()
        let summary = try t.importPaths([t.tmp.path("no-such-file"), try t.tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        #expect(summary.unreadableInputs == 1)
        #expect(summary.hasErrors)
        #expect(summary.counts.newVersions == 3)
        #expect(t.diagnostics.first?.description == "\(t.tmp.path("no-such-file")): error: no such file or directory")
    }

    @Test func directoriesAreWalkedInSortedOrderSkippingHiddenEntriesAndLoops() throws {
        let t = try TestArchive()
        var generator = FindingGenerator(seed: 1)
        _ = generator
        generator = FindingGenerator(seed: 1)
        try t.tmp.write("tree/b/2.jsonl", generator.finding(number: 2, version: 1) + "\n")
        try t.tmp.write("tree/a/1.jsonl", generator.finding(number: 1, version: 1) + "\n")
        try t.tmp.write("tree/a/.hidden.jsonl", generator.finding(number: 3, version: 1) + "\n")
        try FileManager.default.createSymbolicLink(atPath: t.tmp.path("tree/a/loop"), withDestinationPath: t.tmp.path("tree"))
        let summary = try t.importPaths([t.tmp.path("tree")])
        #expect(summary.counts.newFindings == 2)
        #expect(try t.strings("SELECT path FROM source_files ORDER BY id") == [t.tmp.path("tree/a/1.jsonl"), t.tmp.path("tree/b/2.jsonl")])
        #expect(t.diagnostics.contains { $0.message.contains("skipped hidden entry .hidden.jsonl") })
        #expect(t.diagnostics.contains { $0.message.contains("symbolic link loop") })
    }

    @Test func theStoredBodyIsTheCanonicalFormOfWhatWasImported() throws {
        let t = try TestArchive()
        let line = #"{"id":"f","accountId":"1","region":"r","zNew":{"b":[1,2.50,null],"a":"\u00e9"},"service":{"count":2}}"#
        try t.importPaths([try t.tmp.write("one.jsonl", line + "\n")])
        #expect(try t.strings("SELECT body FROM finding_versions") == [#"{"accountId":"1","id":"f","region":"r","service":{"count":2},"zNew":{"a":"é","b":[1,2.5,null]}}"#])
        #expect(try t.strings("SELECT hex(hash) FROM versions") == [SHA256.hex(SHA256.hash(Array(#"{"accountId":"1","id":"f","region":"r","service":{"count":2},"zNew":{"a":"é","b":[1,2.5,null]}}"#.utf8))).uppercased()])
    }

    @Test func runsRecordTheirCounts() throws {
        let t = try TestArchive()
        let summary = try t.importPaths([try t.tmp.copyFixture("scenarios", as: "scenarios")])
        let row = try t.archive.database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM import_runs")!
        }
        #expect(row["status"] as String == "completed")
        #expect(row["finished_at"] as String? != nil)
        #expect(row["files"] as Int == summary.counts.files)
        #expect(row["new_versions"] as Int == summary.counts.newVersions)
        #expect(row["errors"] as Int == summary.counts.errors)
        #expect(row["skipped"] as Int == 1)
        #expect(summary.counts.files == 9)
    }
}

/// The benchmark corpus is shaped like the S3 export: GuardDuty exports a finding once per
/// export, as it stands then, so no file holds two versions of one finding.
@Suite struct BenchmarkCorpusTests {
    @Test func eachExportFileHoldsOneVersionOfAFindingAndVersionsAreADayApart() throws {
        let t = try TestArchive()
        let tree = t.tmp.url.appendingPathComponent("corpus")
        let stats = try FindingGenerator(seed: 7).writeCorpus(at: tree, findings: 300, meanVersions: 4, targetFiles: 40, accounts: 2, regions: 2)
        let summary = try t.importPaths([tree.path])
        #expect(summary.counts.newVersions == stats.versions && summary.counts.errors == 0)
        #expect(stats.files >= 40)
        // Per file: as many findings as versions.
        #expect(try t.int("""
            SELECT count(*) FROM (SELECT s.file_id FROM sightings s JOIN versions v ON v.version_id = s.version_id
                                  GROUP BY s.file_id HAVING count(*) != count(DISTINCT v.finding_key))
            """) == 0)
        // A finding's versions: a day apart, each in its own day's folder.
        #expect(try t.int("""
            SELECT count(*) FROM versions a JOIN versions b ON b.finding_key = a.finding_key AND b.count > a.count
            WHERE julianday(b.updated_at) - julianday(a.updated_at) < 1
            """) == 0)
        #expect(try t.int("SELECT count(DISTINCT finding_key) FROM versions WHERE count > 1") > 100)
    }
}

@Suite struct RealSampleTests {
    @Test(.enabled(if: Paths.samples != nil, Comment(rawValue: Paths.samplesMissing)))
    func theSharedSamplesImportAsTheirREADMEDescribes() throws {
        let samples = try #require(Paths.samples)
        let t = try TestArchive()
        let folders = ["s3-export-lines", "single-findings", "cli-pascalcase", "eventbridge", "not-a-finding"]
        let summary = try t.importPaths(folders.map { samples.appendingPathComponent($0).path })
        // 5 export lines + 9 single findings + 1 CLI finding; the two EKS files share an id.
        #expect(summary.counts.newVersions == 15)
        #expect(summary.counts.newFindings == 14)
        #expect(try t.int("SELECT version_count FROM findings WHERE id = 'df2295bd4966407b84223c9a4ae09eab'") == 2)
        // The detail-only event is rejected, naming what is missing; the CloudTrail event is skipped.
        #expect(summary.counts.errors == 1)
        #expect(summary.counts.skipped == 1)
        let error = try #require(t.diagnostics.first { $0.severity == .error })
        #expect(error.path.hasSuffix("eventbridge/partial-detail-only.json"))
        #expect(error.message.contains("no id, accountId and region"))
        // The empty REST page on the export's last line is read without complaint.
        #expect(!t.diagnostics.contains { $0.path.hasSuffix("elastic-test-guardduty.jsonl") && $0.severity == .error })
        // The PascalCase CLI output is stored in wire form with its columns.
        let cli = try t.strings("SELECT type || ' ' || resource_type || ' ' || action_type || ' ' || count || ' ' || updated_at FROM versions WHERE id = '1ab92989eaf0e742df4a014d5example'")
        #expect(cli == ["Recon:IAMUser/UserPermissions AccessKey AWS_API_CALL 5 2020-05-26T22:55:21.703Z"])
        #expect(try t.int("SELECT json_extract(body, '$.resource.accessKeyDetails.userName') = 'testuser' FROM finding_versions WHERE id = '1ab92989eaf0e742df4a014d5example'") == 1)
        // Sample findings are flagged; the sanitized real Runtime Monitoring finding is not.
        #expect(try t.int("SELECT sample FROM versions WHERE id = 'abcd1234'") == 0)
        #expect(try t.int("SELECT count(*) FROM versions WHERE sample = 1") == 13)
        // Epoch floats survive exactly, as exact decimals.
        #expect(try t.strings("SELECT json_extract(body, '$.service.ebsVolumeScanDetails.scanStartedAt') FROM finding_versions WHERE id = '16f05caa14654697a0725be23b9e1a0f'") == ["1639010703"])
    }

    @Test(.enabled(if: Paths.samples != nil, Comment(rawValue: Paths.samplesMissing)))
    func everySampleFindingSurvivesLosslessly() throws {
        let samples = try #require(Paths.samples)
        let t = try TestArchive()
        let folder = samples.appendingPathComponent("single-findings")
        try t.importPaths([folder.path])
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let original = try JSONParser.parse(Array(try Data(contentsOf: folder.appendingPathComponent(name))))
            let id = try #require(original["id"]?.stringValue)
            let bodies = try t.strings("SELECT body FROM finding_versions WHERE id = ?", [id]).map { try JSONParser.parse(Array($0.utf8)) }
            #expect(bodies.map(CanonicalJSON.string).contains(CanonicalJSON.string(original)), "\(name)")
        }
    }
}

/// A finding's identity is exactly its (accountId, region, id).
@Suite struct IdentityTests {
    @Test func controlCharactersInAnIdentityAreRefusedNotCutShort() throws {
        let t = try TestArchive()
        func finding(_ account: String, _ id: String, count: Int) -> String {
            #"{"accountId":"\#(account)","region":"us-east-1","id":"\#(id)","updatedAt":"2025-01-0\#(count)T00:00:00Z","service":{"count":\#(count)}}"#
        }
        let lines = [
            finding("555500005555", #"nulid\u0000x"#, count: 1),
            finding("555500005555", #"nulid\u0000y"#, count: 2),
            finding(#"555500005555\u0000evil"#, "nulid", count: 3),
            finding("555500005555", "nulid", count: 4),
            finding("555500005555", #"tab\there"#, count: 5),
        ]
        let summary = try t.importPaths([try t.tmp.write("ids.jsonl", lines.joined(separator: "\n") + "\n")])
        #expect(summary.counts.errors == 4)
        #expect(summary.counts.newVersions == 1)
        #expect(try t.strings("SELECT account_id || '/' || id FROM findings") == ["555500005555/nulid"])
        #expect(try t.strings("SELECT DISTINCT kind FROM import_errors") == ["bad-identity"])
        let messages = t.diagnostics.filter { $0.severity == .error }.map(\.message)
        #expect(messages.count == 4)
        #expect(messages.first?.contains("id contains the control character U+0000") == true, "\(messages)")
        #expect(messages.contains { $0.contains("accountId contains the control character U+0000") })
        #expect(try t.archive.check().isOK)
    }

    @Test func checkFindsABodyStoredUnderAnotherFindingsIdentity() throws {
        let t = try TestArchive()
        try t.importPaths([try t.tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        #expect(try t.archive.check().isOK)
        // What a NUL cut used to do: a finding row whose identity its bodies do not carry.
        try t.archive.database.write { db in try db.execute(sql: "UPDATE findings SET id = 'someone-else'") }
        let report = try t.archive.check()
        #expect(!report.isOK)
        #expect(report.problems.contains { $0.contains("names another finding than the one it is stored under") }, "\(report.problems)")
    }
}
