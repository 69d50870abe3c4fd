import Foundation
import GDArchiveTestSupport
import Testing

/// A fake AWS CLI (Tests/gdarchiveTests/FakeAWS/fake-aws) with a state file and a call log.
final class FakeAWS {
    let tmp: TemporaryDirectory
    let db: String
    var state: [String: Any]

    init(regions: [String: [String: Any]], throttle: Int = 0) throws {
        tmp = try TemporaryDirectory()
        db = tmp.path("a.sqlite")
        state = ["regions": regions, "throttle": throttle]
        try save()
    }

    func save() throws {
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: tmp.path("state.json")))
    }

    var calls: [[String]] {
        ((try? String(contentsOfFile: tmp.path("calls.log"), encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String]
        }
    }

    func pull(_ arguments: [String]) throws -> CommandResult {
        let aws = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FakeAWS/fake-aws").path
        return try runGDArchive(["--db", db, "pull", "--aws", aws] + arguments,
                                environment: ["FAKE_AWS_STATE": tmp.path("state.json"), "FAKE_AWS_LOG": tmp.path("calls.log"), "GDARCHIVE_PULL_BACKOFF_MS": "10"])
    }

    /// A PascalCase finding as the CLI prints it.
    static func finding(_ id: String, updated: String, count: Int = 1, archived: Bool = false, region: String = "eu-west-1") -> [String: Any] {
        ["Id": id, "AccountId": "111122223333", "Region": region, "Arn": "arn:aws:guardduty:\(region):111122223333:detector/d/finding/\(id)",
         "SchemaVersion": "2.0", "Partition": "aws", "Type": "Recon:EC2/PortProbeUnprotectedPort", "Severity": 2,
         "CreatedAt": "2025-01-01T00:00:00.000Z", "UpdatedAt": updated, "Title": "probe \(id)",
         "Resource": ["ResourceType": "Instance", "InstanceDetails": ["InstanceId": "i-\(id)"]],
         "Service": ["Archived": archived, "Count": count, "DetectorId": "d", "ServiceName": "guardduty",
                     "EventFirstSeen": "2025-01-01T00:00:00.000Z", "EventLastSeen": updated]]
    }
}

@Suite struct PullTests {
    @Test func pagesThroughEveryDetectorAndImportsTheFindings() throws {
        let findings = (0..<120).map { FakeAWS.finding(String(format: "f%03d", $0), updated: "2025-01-02T00:00:00.000Z") }
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": findings, "d2": [FakeAWS.finding("g1", updated: "2025-01-03T00:00:00.000Z")]]])
        let result = try fake.pull(["--all-detectors", "--regions", "eu-west-1", "--profile", "audit"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("pull: pulled 120 findings from detector d1 in eu-west-1"))
        #expect(result.stderr.contains("121 new findings"))
        let calls = fake.calls
        #expect(calls.first == ["--profile", "audit", "--region", "eu-west-1", "guardduty", "list-detectors", "--output", "json"])
        // 120 ids in pages of 50: three list-findings calls (tokens 50 and 100) and three get-findings calls.
        let lists = calls.filter { $0.contains("list-findings") && $0.contains("d1") }
        #expect(lists.count == 3)
        #expect(lists.map { call in call.firstIndex(of: "--starting-token").map { call[$0 + 1] } } == [nil, "50", "100"])
        let gets = calls.filter { $0.contains("get-findings") && $0.contains("d1") }
        #expect(gets.map { $0.count - ($0.firstIndex(of: "--finding-ids")! + 1) } == [50, 50, 20])
        // The first pull asks for everything: no criteria.
        #expect(!lists[0].contains("--finding-criteria"))
    }

    @Test func anIdThatIsNotAnIdNeverReachesTheCLIAsAnOption() throws {
        // A tampered listing: an "id" that the CLI would read as an option.
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": [FakeAWS.finding("ok1", updated: "2025-01-02T00:00:00.000Z"),
                                                              FakeAWS.finding("--output=text", updated: "2025-01-02T00:00:00.000Z")]]])
        let result = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("which is not a finding id"), "\(result.stderr)")
        #expect(!fake.calls.contains { $0.contains("get-findings") })
        // Nor can one be named on the command line.
        for arguments in [["--detector-id", "--debug"], ["--detector-id", "d1", "--region", "--debug"]] {
            let refused = try fake.pull(arguments)
            #expect(refused.status == 64, "\(arguments): \(refused.stderr)")
        }
    }

    @Test func theCursorNarrowsTheNextWindowWithAnOverlap() throws {
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": [FakeAWS.finding("f1", updated: "2025-01-02T00:00:00.000Z")]]])
        #expect(try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"]).status == 0)
        let cursor = try runGDArchive(["--db", fake.db, "sql", "SELECT pulled_to_ms FROM pull_cursors", "--format", "tsv"]).stdout
        let pulledTo = try #require(Int64(cursor.split(separator: "\n")[1]))
        #expect(abs(pulledTo - Int64(Date().timeIntervalSince1970 * 1000)) < 60_000)
        let second = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"])
        #expect(second.stderr.contains("(nothing new)"))
        let criteria = try #require(fake.calls.last { $0.contains("list-findings") }.flatMap { $0[$0.firstIndex(of: "--finding-criteria")! + 1] })
        #expect(criteria == #"{"Criterion":{"updatedAt":{"GreaterThanOrEqual":\#(pulledTo - 300_000)}}}"#)
        // --since overrides the cursor.
        _ = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1", "--since", "2025-01-01"])
        let explicit = try #require(fake.calls.last { $0.contains("list-findings") })
        #expect(explicit.contains(#"{"Criterion":{"updatedAt":{"GreaterThanOrEqual":1735689600000}}}"#))
        // A relative time, as the help writes it (a dash first, yet the option's value).
        let relative = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1", "--since", "-2d"])
        #expect(relative.status == 0, "\(relative.stderr)")
        let twoDaysAgo = Int64(Date().timeIntervalSince1970 * 1000) - 2 * 86_400_000
        let since = try #require(fake.calls.last { $0.contains("list-findings") }.flatMap { $0[$0.firstIndex(of: "--finding-criteria")! + 1] })
        let bound = try #require(Int64(since.filter(\.isNumber)))
        #expect(abs(bound - twoDaysAgo) < 60_000, "\(since)")
    }

    @Test func archivingAFindingIsANewVersion() throws {
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": [FakeAWS.finding("f1", updated: "2025-01-02T00:00:00.000Z")]]])
        #expect(try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"]).status == 0)
        // A colleague archives it: only `Archived` changes.
        fake.state["regions"] = ["eu-west-1": ["d1": [FakeAWS.finding("f1", updated: "2025-01-02T00:00:00.000Z", archived: true)]]]
        try fake.save()
        #expect(try fake.pull(["--detector-id", "d1", "--region", "eu-west-1", "--since", "2025-01-01"]).status == 0)
        let show = try runGDArchive(["--db", fake.db, "show", "f1", "--format", "csv"]).stdout.split(separator: "\r\n")
        #expect(show.count == 3)
        #expect(show[1].contains(",false,false,"))  // archived false, not latest
        #expect(show[2].contains(",true,true,"))    // archived true, latest (same time and count: the later import)
        #expect(show[2].hasSuffix("service.archived"))
    }

    @Test func accessDeniedOnOneDetectorDoesNotStopTheOthers() throws {
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": "AccessDenied", "d2": [FakeAWS.finding("g1", updated: "2025-01-03T00:00:00.000Z")]],
                                         "us-east-1": ["d3": [FakeAWS.finding("h1", updated: "2025-01-03T00:00:00.000Z", region: "us-east-1")]]])
        let result = try fake.pull(["--all-detectors", "--regions", "eu-west-1,us-east-1"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("pull: error: `"))
        #expect(result.stderr.contains("guardduty list-findings --detector-id d1"))
        #expect(result.stderr.contains("AccessDeniedException"))
        #expect(result.stderr.contains("2 new findings"))
        let cursors = try runGDArchive(["--db", fake.db, "sql", "SELECT detector_id FROM pull_cursors ORDER BY 1", "--format", "tsv"]).stdout
        #expect(cursors == "detector_id\nd2\nd3\n")  // d1's cursor did not move
    }

    @Test func aPageWithFindingsThatCouldNotBeStoredLeavesTheCursorWhereItWas() throws {
        var broken = FakeAWS.finding("f2", updated: "2025-01-02T00:00:00.000Z", archived: true)
        broken["AccountId"] = nil  // cannot be stored: a finding is identified by account, Region and id
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": [FakeAWS.finding("f1", updated: "2025-01-02T00:00:00.000Z"), broken]]])
        let result = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("this detector's cursor did not move, so the next pull asks for them again"), "\(result.stderr)")
        #expect(committedCount(fake.db, "SELECT count(*) FROM pull_cursors") == 0)
        #expect(committedCount(fake.db, "SELECT count(*) FROM findings") == 1)
        // Once the finding can be stored, the next pull (no --since) gets it.
        fake.state["regions"] = ["eu-west-1": ["d1": [FakeAWS.finding("f1", updated: "2025-01-02T00:00:00.000Z"),
                                                     FakeAWS.finding("f2", updated: "2025-01-02T00:00:00.000Z", archived: true)]]]
        try fake.save()
        let again = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(committedCount(fake.db, "SELECT count(*) FROM findings WHERE archived = 1") == 1)
        #expect(committedCount(fake.db, "SELECT count(*) FROM pull_cursors") == 1)
    }

    @Test func aPageTokenThatComesBackIsALoopNotAnotherPage() throws {
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": (0..<3).map { FakeAWS.finding("f\($0)", updated: "2025-01-02T00:00:00.000Z") }]])
        fake.state["repeat_token"] = true
        try fake.save()
        let result = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("it returned a page token it had returned before"), "\(result.stderr)")
        #expect(fake.calls.filter { $0.contains("list-findings") }.count == 2)
        #expect(committedCount(fake.db, "SELECT count(*) FROM pull_cursors") == 0)
    }

    @Test func aPageTokenThatIsNotOneNeverReachesTheCLI() throws {
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": (0..<3).map { FakeAWS.finding("f\($0)", updated: "2025-01-02T00:00:00.000Z") }]])
        fake.state["token"] = "--endpoint-url=http://127.0.0.1:9"
        try fake.save()
        let result = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("which is not one"), "\(result.stderr)")
        #expect(!fake.calls.contains { $0.contains { $0.hasPrefix("--endpoint-url") } })
        #expect(committedCount(fake.db, "SELECT count(*) FROM pull_cursors") == 0)
    }

    @Test func theCLIsWordsReachTheTerminalEscaped() throws {
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": "AccessDenied"]])
        fake.state["deny_message"] = "An error occurred (AccessDeniedException): \u{1b}]0;pwned\u{07}\u{202e}txt"
        try fake.save()
        let result = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("AccessDeniedException") && result.stderr.contains("\\u{1b}]0;pwned"), "\(result.stderr)")
        #expect(!result.stderr.unicodeScalars.contains { [0x1B, 0x07, 0x202E].contains($0.value) })
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func aSignalStopsThePullAndTheCLIItIsWaitingFor(signal: Int32, status: Int32) throws {
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": [FakeAWS.finding("f1", updated: "2025-01-02T00:00:00.000Z")]]])
        fake.state["hang"] = true
        try fake.save()
        let aws = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FakeAWS/fake-aws").path
        let pidFile = fake.tmp.path("aws.pid")
        let process = makeProcess(["--db", fake.db, "pull", "--aws", aws, "--detector-id", "d1", "--region", "eu-west-1"],
                                  environment: ["FAKE_AWS_STATE": fake.tmp.path("state.json"), "FAKE_AWS_LOG": fake.tmp.path("calls.log"),
                                                "FAKE_AWS_PIDFILE": pidFile])
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The fake get-findings writes its pid once it is waiting.
        var child: pid_t?
        for _ in 0..<600 where child == nil && process.isRunning {
            child = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { pid_t($0) }
            if child == nil { usleep(50_000) }
        }
        let aws_ = try #require(child, "the fake aws never started get-findings")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus == status)
        // The CLI it was waiting for is gone too (killed, then reaped by gdarchive).
        #expect(kill(aws_, 0) != 0 && errno == ESRCH)
        #expect(committedCount(fake.db, "SELECT count(*) FROM pull_cursors") == 0)
        #expect(try runGDArchive(["--db", fake.db, "sql", "SELECT status FROM import_runs", "--format", "tsv"]).stdout == "status\ninterrupted\n")
    }

    @Test func throttlingIsRetriedWithBackoff() throws {
        let fake = try FakeAWS(regions: ["eu-west-1": ["d1": [FakeAWS.finding("f1", updated: "2025-01-02T00:00:00.000Z")]]], throttle: 2)
        let result = try fake.pull(["--detector-id", "d1", "--region", "eu-west-1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "throttled").count - 1 == 2)
        #expect(result.stderr.contains("retrying in 10 ms") && result.stderr.contains("retrying in 20 ms"))
        #expect(fake.calls.filter { $0.contains("get-findings") }.count == 3)
        #expect(result.stderr.contains("1 new finding"))
    }

    @Test func usageErrors() throws {
        let fake = try FakeAWS(regions: [:])
        #expect(try fake.pull([]).status == 64)
        #expect(try fake.pull(["--all-detectors", "--detector-id", "d"]).status == 64)
        let missing = try runGDArchive(["--db", fake.db, "pull", "--all-detectors", "--aws", "/nonexistent/aws"])
        #expect(missing.status == 69)
        #expect(missing.stderr.contains("install the AWS CLI or name it with --aws PATH"))
    }
}
