import Foundation
import GDArchiveTestSupport
import Testing

/// The nightly script as users run it: the real `aws s3 sync` from a moto S3 server
/// (`RealAWS/moto-s3.py`) and the real `aws guardduty` against the loopback GuardDuty stub,
/// two nights and a rerun.
@Suite(.serialized) struct RealNightlyTests {
    static let motoMissing: String? = {
        guard GuardDutyStub.aws != nil else { return GuardDutyStub.awsMissing }
        let probe = try? runProgram("/usr/bin/env", ["python3", "-c", "import moto.server, flask"])
        return probe?.status == 0 ? nil : "moto's server is not installed (pip install 'moto[server]'); the real S3 sync tests are skipped"
    }()

    /// The findings as the export carries them on `night` (1: version 1 of 20 findings; 2:
    /// version 2 of those that are not archived, since archived findings are never exported),
    /// and as the API holds them (every finding, 3 of them archived).
    static func night(_ night: Int) -> (tree: [String: [String]], api: [String]) {
        let generator = FindingGenerator(seed: 41)
        let archived: Set<Int> = [3, 10, 17]
        var tree: [String: [String]] = [:]
        for n in 0..<20 where night == 1 || !archived.contains(n) {
            let day = String(format: "%02d", night)
            let file = "AWSLogs/111122223333/GuardDuty/us-east-1/2025/02/\(day)/night-\(night)-part-\(n % 4).jsonl.gz"
            tree[file, default: []].append(generator.finding(number: n, version: night))
        }
        let api = (0..<20).map { n in
            let line = generator.finding(number: n, version: night)
            return archived.contains(n) ? line.replacingOccurrences(of: #""archived":false"#, with: #""archived":true"#) : line
        }
        return (tree, api)
    }

    @Test(.enabled(if: RealNightlyTests.motoMissing == nil, Comment(rawValue: RealNightlyTests.motoMissing ?? "")))
    func twoNightsOfSyncAndPullStoreExactlyTheRealChanges() throws {
        let tmp = try TemporaryDirectory()
        let moto = try LoopbackServer(script: "moto-s3.py", arguments: [tmp.path("moto-port")], portFile: tmp.path("moto-port"))
        let first = Self.night(1)
        let stub = try GuardDutyStub(serving: first.api)
        let env = LoopbackServer.awsEnvironment([
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:\(moto.port)", "AWS_ENDPOINT_URL_GUARDDUTY": "http://127.0.0.1:\(stub.port)",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": tmp.path("home"),
            "GDARCHIVE_BIN": Paths.binary.path, "AWS_CLI": GuardDutyStub.aws!,
        ])
        let aws = { (arguments: [String]) throws -> CommandResult in try runProgram(GuardDutyStub.aws!, arguments, environment: env) }
        #expect(try aws(["s3", "mb", "s3://gd-exports"]).status == 0)
        /// Uploads one night's new export files.
        func upload(_ tree: [String: [String]], into folder: String) throws {
            for (path, lines) in tree {
                let file = tmp.url.appendingPathComponent(folder).appendingPathComponent(path)
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(Gzip.compress(Array((lines.joined(separator: "\n") + "\n").utf8))).write(to: file)
            }
            let put = try aws(["s3", "cp", "--recursive", "--only-show-errors", tmp.path(folder), "s3://gd-exports/"])
            #expect(put.status == 0, "\(put.stderr)")
        }
        let db = tmp.path("archive.sqlite")
        let nightly = { () throws -> CommandResult in
            try runProgram("/bin/bash", [Paths.packageRoot.appendingPathComponent("contrib/gdarchive-nightly").path,
                                         "--bucket", "gd-exports", "--exports", tmp.path("exports"), "--db", db,
                                         "--pull-regions", "us-east-1", "--wait", "5"], environment: env)
        }
        // Night 1: 20 findings exported, 3 of them archived since; the pull adds those 3 only.
        try upload(first.tree, into: "night-1")
        let one = try nightly()
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stderr.contains("import: 4 files, 20 records, 20 new findings, 20 new versions"), "\(one.stderr)")
        #expect(one.stderr.contains("0 new findings, 3 new versions, 17 already stored"), "\(one.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM versions") == 23)
        // The synced files are the uploaded bytes.
        for path in first.tree.keys {
            #expect(FileManager.default.contentsEqual(atPath: tmp.path("night-1/" + path), andPath: tmp.path("exports/" + path)), "\(path)")
        }
        // The same night again: the sync downloads nothing, the import opens nothing, the pull
        // (of everything: the stub's findings are older than the cursor's window) adds nothing.
        let rerun = try nightly()
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("(nothing new)"), "\(rerun.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM versions") == 23)
        // Night 2: every finding updated (count and updatedAt); the export carries the 17 that
        // are not archived, the pull all 20. The cursor is set back to before the night's
        // updates, as it would stand a day later (the generated times are in 2025).
        let second = Self.night(2)
        try stub.serve(second.api)
        try upload(second.tree, into: "night-2")
        try executeSQL(db, "DELETE FROM pull_cursors")
        let two = try nightly()
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stderr.contains("import: 4 files (+4 unchanged, not read), 17 records, 0 new findings, 17 new versions"), "\(two.stderr)")
        #expect(two.stderr.contains("0 new findings, 3 new versions, 17 already stored"), "\(two.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM versions") == 43)
        #expect(committedCount(db, "SELECT count(*) FROM findings WHERE archived = 1") == 3)
        #expect(committedCount(db, "SELECT count(*) FROM findings WHERE version_count = 2") == 17)
        #expect(committedCount(db, "SELECT count(*) FROM findings WHERE version_count = 3") == 3)
        let check = try runGDArchive(["--db", db, "check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }
}
