import Foundation
import GDArchiveTestSupport
import Testing

/// A helper server of the tests' own (`RealAWS/*.py`) on 127.0.0.1: started with a port file
/// that it writes (atomically) once it listens, stopped when the test lets go of it (and by
/// itself when the test process goes away).
final class LoopbackServer {
    let process: Process
    let port: String

    init(script: String, arguments: [String], portFile: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("RealAWS/" + script).path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var port: String?
        for _ in 0..<600 where port == nil && process.isRunning {
            port = try? String(contentsOfFile: portFile, encoding: .utf8)
            if port == nil { usleep(50_000) }
        }
        guard let port else { process.terminate(); throw CocoaError(.fileNoSuchFile) }
        self.port = port
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    /// The environment for the real `aws` CLI, with no user configuration leaking in.
    static func awsEnvironment(_ endpoints: [String: String]) -> [String: String] {
        endpoints.merging([
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        ]) { a, _ in a }
    }
}

/// The real `aws` CLI (pip `awscli`) against a loopback GuardDuty REST stub
/// (`RealAWS/guardduty-stub.py`): the client sends camelCase criteria, prints PascalCase, drops
/// the members its model lacks and nulls, and pages with its own `--starting-token` encoding,
/// none of which the fake CLI does.
final class GuardDutyStub {
    let tmp: TemporaryDirectory
    let server: LoopbackServer
    var port: String { server.port }

    /// The `aws` CLI on PATH, if there is one.
    static let aws: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/aws"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()
    static let awsMissing = "the aws CLI is not on PATH (pip install awscli); the real-CLI pull tests are skipped"

    /// Serves `findings` (wire-form JSON lines), which ``serve(_:)`` can replace.
    init(serving findings: [String]) throws {
        tmp = try TemporaryDirectory()
        try tmp.write("findings.jsonl", findings.joined(separator: "\n") + "\n")
        server = try LoopbackServer(script: "guardduty-stub.py", arguments: [tmp.path("findings.jsonl"), tmp.path("port"), tmp.path("requests.log")],
                                    portFile: tmp.path("port"))
    }

    func serve(_ findings: [String]) throws {
        try tmp.write("findings.jsonl.new", findings.joined(separator: "\n") + "\n")
        // rename(2): the stub reads either the old file or the new one, never a part.
        guard rename(tmp.path("findings.jsonl.new"), tmp.path("findings.jsonl")) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// The request bodies the stub received, in order.
    var requests: [[String: Any]] {
        ((try? String(contentsOfFile: tmp.path("requests.log"), encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// `gdarchive pull` through the real CLI, with no user configuration leaking in.
    func pull(db: String, regions: String = "us-east-1", _ extra: [String] = []) throws -> CommandResult {
        try runGDArchive(["--db", db, "pull", "--aws", Self.aws!, "--regions", regions, "--all-detectors"] + extra,
                         environment: LoopbackServer.awsEnvironment(["AWS_ENDPOINT_URL_GUARDDUTY": "http://127.0.0.1:\(port)"]))
    }
}

@Suite(.serialized) struct RealCLIPullTests {
    /// 60 findings as the S3 export delivers them (nulls, unmodelled members such as
    /// `additionalInfo.threatListName`), and the same findings with 7 archived since.
    static func export() -> (lines: [String], archivedSince: [String], ids: [String]) {
        let generator = FindingGenerator(seed: 17)
        let lines = (0..<60).map { generator.finding(number: $0, version: 1) }
        let archived = lines.enumerated().map { i, line in
            i % 9 == 4 ? line.replacingOccurrences(of: #""archived":false"#, with: #""archived":true"#) : line
        }
        return (lines, archived, (0..<60).map(generator.id))
    }

    @Test(.enabled(if: GuardDutyStub.aws != nil, Comment(rawValue: GuardDutyStub.awsMissing)))
    func pullingWhatTheExportHeldAddsOnlyTheRealChanges() throws {
        let export = Self.export()
        #expect(export.archivedSince != export.lines)
        let changed = zip(export.lines, export.archivedSince).filter { $0 != $1 }.count
        #expect(changed == 7)
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let file = try tmp.write("export.jsonl", export.lines.joined(separator: "\n") + "\n")
        #expect(try runGDArchive(["--db", db, "import", file]).status == 0)
        let stub = try GuardDutyStub(serving: export.archivedSince)
        let pulled = try stub.pull(db: db)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM versions") == 67, "\(pulled.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM findings WHERE archived = 1") == 7)
        #expect(pulled.stderr.contains("0 new findings, 7 new versions, 53 already stored"), "\(pulled.stderr)")
        // The unchanged findings still show the export's richer body as their latest version:
        // the member the API model lacks is still there.
        let unchanged = export.ids[0]
        let raw = try runGDArchive(["--db", db, "show", unchanged, "--raw"])
        #expect(raw.stdout.split(separator: "\n").count == 1)
        #expect(raw.stdout.contains(#""threatListName":"ProofPoint","type":"default""#), "\(raw.stdout)")
        // Both forms are kept, each with where it was seen.
        let forms = try runGDArchive(["--db", db, "show", unchanged, "--forms"]).stdout.split(separator: "\n")
        #expect(forms.count == 2)
        let parsed = forms.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(parsed.map { $0["shown"] as? Bool } == [true, false])
        #expect(parsed.map { $0["version"] as? Int } == [1, 1])
        #expect((parsed.first?["seen_in"] as? [String])?.first?.hasSuffix("export.jsonl:1") == true)
        #expect((parsed.last?["seen_in"] as? [String])?.first?.hasPrefix("aws guardduty get-findings") == true)
        // The real client sent camelCase criteria only from the second pull on, and paged.
        let listings = stub.requests.filter { ($0["path"] as? String) == "/detector/d1/findings" }
        #expect(listings.count >= 9, "the stub serves at most 7 ids a page")
        // GetFindings takes at most 50 ids (the stub refuses more, as GuardDuty does).
        let gets = stub.requests.filter { ($0["path"] as? String) == "/detector/d1/findings/get" }
        #expect(gets.count >= 2 && gets.allSatisfy { ((($0["body"] as? [String: Any])?["findingIds"] as? [Any])?.count ?? 0) <= 50 })
        // Pulling the whole range again (the cursor would ask only for the last minutes) finds
        // every version already stored, as forms or as the same body.
        let again = try stub.pull(db: db, ["--since", "2024-12-01T00:00:00Z"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("0 new findings, 0 new versions, 60 already stored"), "\(again.stderr)")
        let criteria = stub.requests.compactMap { (($0["body"] as? [String: Any])?["findingCriteria"] as? [String: Any])?["criterion"] as? [String: Any] }
        #expect(criteria.contains { ($0["updatedAt"] as? [String: Any])?["greaterThanOrEqual"] != nil }, "\(criteria)")
        #expect(committedCount(db, "SELECT count(*) FROM versions") == 67)
        let check = try runGDArchive(["--db", db, "check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test(.enabled(if: GuardDutyStub.aws != nil, Comment(rawValue: GuardDutyStub.awsMissing)))
    func theExportAfterThePullIsASightingAndItsBodyIsShown() throws {
        let export = Self.export()
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let stub = try GuardDutyStub(serving: export.lines)
        let pulled = try stub.pull(db: db)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let id = export.ids[1]
        let before = try runGDArchive(["--db", db, "show", id, "--raw"]).stdout
        #expect(!before.contains("threatListName\":\"ProofPoint\",\"type"), "the CLI's form lacks the unmodelled member")
        let file = try tmp.write("export.jsonl", export.lines.joined(separator: "\n") + "\n")
        let imported = try runGDArchive(["--db", db, "import", file])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("0 new findings, 0 new versions, 60 already stored"), "\(imported.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM versions") == 60)
        let after = try runGDArchive(["--db", db, "show", id, "--raw"]).stdout
        #expect(after.contains(#""threatListName":"ProofPoint","type":"default""#), "\(after)")
        let forms = try runGDArchive(["--db", db, "show", id, "--forms"]).stdout.split(separator: "\n")
        #expect(forms.count == 2)
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
    }

    /// Every version an archive holds (order-free: sorted), with its occurrences, whether it
    /// is the latest, and the body it shows.
    static func contents(_ db: String) throws -> String {
        let result = try runGDArchive(["--db", db, "sql", """
            SELECT id, updated_at, count, archived, sample, occurrences, is_latest, body FROM finding_versions
            ORDER BY id, updated_at, count, archived
            """, "--format", "jsonl"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test(.enabled(if: GuardDutyStub.aws != nil, Comment(rawValue: GuardDutyStub.awsMissing)))
    func eitherArrivalOrderGivesTheSameArchive() throws {
        let export = Self.export()
        let tmp = try TemporaryDirectory()
        let file = try tmp.write("export.jsonl", export.lines.joined(separator: "\n") + "\n")
        let stub = try GuardDutyStub(serving: export.archivedSince)
        // The export first, then the pull (the nightly order).
        let a = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", a, "import", file]).status == 0)
        #expect(try stub.pull(db: a).status == 0)
        // The pull first, then the export backfilled (a first-time setup): the export's copies
        // from before the 7 findings were archived do not hide their archived state.
        let b = tmp.path("b.sqlite")
        #expect(try stub.pull(db: b).status == 0)
        let backfilled = try runGDArchive(["--db", b, "import", file])
        #expect(backfilled.status == 0, "\(backfilled.stderr)")
        #expect(backfilled.stderr.contains("0 new findings, 7 new versions, 53 already stored"), "\(backfilled.stderr)")
        for db in [a, b] {
            #expect(committedCount(db, "SELECT count(*) FROM versions") == 67)
            #expect(committedCount(db, "SELECT count(*) FROM findings WHERE archived = 1") == 7)
            #expect(committedCount(db, "SELECT sum(occurrences) FROM versions") == committedCount(db, "SELECT sum(count) FROM findings"))
            let check = try runGDArchive(["--db", db, "check"])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        }
        let contentsA = try Self.contents(a), contentsB = try Self.contents(b)
        #expect(contentsA.split(separator: "\n").count == 67)
        #expect(contentsA == contentsB)
    }

    @Test(.enabled(if: GuardDutyStub.aws != nil && Paths.samples != nil, Comment(rawValue: GuardDutyStub.awsMissing + "; or " + Paths.samplesMissing)))
    func realSamplesThroughTheRealCLIKeepTheirSampleFlagAndISOTimestamps() throws {
        let samples = Paths.samples!.appendingPathComponent("s3-export-lines/elastic-test-guardduty.jsonl")
        let lines = try String(contentsOf: samples, encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.contains(#"{"findings":[]}"#) }
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let stub = try GuardDutyStub(serving: lines)
        // One of the five is in us-west-1: the stub serves it only to requests signed for there.
        let pulled = try stub.pull(db: db, regions: "us-east-1,us-west-1")
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM findings WHERE region = 'us-west-1'") == 1)
        #expect(Set(stub.requests.compactMap { $0["region"] as? String }) == ["us-east-1", "us-west-1"])
        // Runtime Monitoring's modifiedAt is an ISO string on the wire: it stays that string.
        let runtime = try runGDArchive(["--db", db, "show", "abcd1234", "--raw"]).stdout
        #expect(runtime.contains(#""modifiedAt":"2024-10-07T18:45:30Z""#), "\(runtime)")
        #expect(runtime.contains(#""startTime":1728014790.3773646"#), "\(runtime)")
        let samplesPulled = committedCount(db, "SELECT count(*) FROM findings WHERE sample = 1")
        #expect(samplesPulled == lines.count - 1)
        let imported = try runGDArchive(["--db", db, "import", samples.path])
        #expect(imported.stderr.contains("0 new versions"), "\(imported.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM findings WHERE sample = 1") == samplesPulled)
        #expect(committedCount(db, "SELECT count(*) FROM version_forms WHERE shown = 1") == lines.count)
    }
}
