import Foundation
import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

/// Reads a JSON summary line from an import run with `--log-format json`.
func jsonSummary(_ stderr: String) throws -> [String: Any] {
    let line = try #require(stderr.split(separator: "\n").last { $0.contains(#""event":"summary""#) })
    return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

@Suite struct IncrementalImportTests {
    @Test func anUnchangedTreeIsNotOpenedAndAChangedFileIsReadAgain() throws {
        let tmp = try TemporaryDirectory()
        let tree = tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 3).writeExportTree(at: tree, files: 12, findingsPerFile: 5)
        let db = tmp.path("a.sqlite")
        let first = try jsonSummary(try runGDArchive(["--db", db, "import", "--log-format", "json", tree.path]).stderr)
        #expect(first["files_opened"] as? Int == 12)
        let second = try jsonSummary(try runGDArchive(["--db", db, "import", "--log-format", "json", tree.path]).stderr)
        #expect(second["files_opened"] as? Int == 0)
        #expect(second["unchanged_files"] as? Int == 12)
        // Touch one file (new mtime, same bytes): hashed, not read. Append to another: read.
        let files = try FileManager.default.subpathsOfDirectory(atPath: tree.path).filter { $0.hasSuffix(".gz") }.sorted()
        let touched = tree.appendingPathComponent(files[0]).path, changed = tree.appendingPathComponent(files[1]).path
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(3600)], ofItemAtPath: touched)
        let extra = Gzip.compress(Array((FindingGenerator(seed: 3).finding(number: 9999, version: 1) + "\n").utf8))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: changed))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(extra))
        try handle.close()
        let third = try runGDArchive(["--db", db, "import", "--log-format", "json", "-v", tree.path])
        let summary = try jsonSummary(third.stderr)
        #expect(summary["files_opened"] as? Int == 2)
        #expect(summary["files"] as? Int == 1)
        #expect(summary["new_versions"] as? Int == 1)
        #expect(third.stderr.contains(#""outcome":"same-content","path":"\#(touched)""#))
        #expect(third.stderr.contains(#""outcome":"read","path":"\#(changed)""#))
        // --rescan reads everything again and adds nothing.
        let rescan = try jsonSummary(try runGDArchive(["--db", db, "import", "--log-format", "json", "--rescan", tree.path]).stderr)
        #expect(rescan["files_opened"] as? Int == 12 && rescan["new_versions"] as? Int == 0)
    }

    @Test func sinceSkipsDateFoldersWithoutOpeningThem() throws {
        let tmp = try TemporaryDirectory()
        let tree = tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 4).writeExportTree(at: tree, files: 28, findingsPerFile: 2)  // days 01..28 of 2025-01
        let loose = try tmp.write("loose/old.jsonl", FindingGenerator(seed: 4).finding(number: 5000, version: 1) + "\n")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_600_000_000)], ofItemAtPath: loose)
        let db = tmp.path("a.sqlite")
        let result = try runGDArchive(["--db", db, "import", "--log-format", "json", "-v", "--since", "2025-01-20", tree.path, tmp.path("loose")])
        let summary = try jsonSummary(result.stderr)
        #expect(summary["files"] as? Int == 9)  // days 20..28
        #expect(summary["files_opened"] as? Int == 9)
        #expect(summary["files_outside_range"] as? Int == 1)  // the loose file, by its old mtime; the day folders were not even entered
        #expect(!result.stderr.contains("/2025/01/19/"))
        #expect(result.stderr.contains("/2025/01/20/"))
    }
}

@Suite(.serialized) struct ConcurrencyTests {
    func bigTree(_ tmp: TemporaryDirectory) throws -> String {
        let tree = tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 5).writeExportTree(at: tree, files: 60, findingsPerFile: 300)
        return tree.path
    }

    @Test func aSecondImportWaitsOrExits75AndAStaleLockNeverBlocks() throws {
        let tmp = try TemporaryDirectory()
        let tree = try bigTree(tmp)
        let db = tmp.path("a.sqlite")
        let first = makeProcess(["--db", db, "import", "--quiet", tree])
        try first.run()
        waitUntilFilesCommitted(db, atLeast: 1, while: first)
        #expect(first.isRunning, "the first import ended too soon to test the lock")
        let second = try runGDArchive(["--db", db, "import", "--wait", "0", tree])
        #expect(second.status == 75)
        #expect(second.stderr.contains("another import (pid \(first.processIdentifier), started "))
        #expect(second.stderr.contains("is writing to \(db)"))
        // Kill the holder: its lock dies with it, and the next import runs at once.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let third = try runGDArchive(["--db", db, "import", "--quiet", "--wait", "0", tree])
        #expect(third.status == 0)
        let check = try runGDArchive(["--db", db, "check"])
        #expect(check.status == 0, "\(check.stdout)")
    }

    @Test func aWaitingImportRunsWhenTheFirstFinishes() throws {
        let tmp = try TemporaryDirectory()
        let tree = tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 6).writeExportTree(at: tree, files: 20, findingsPerFile: 200)
        let db = tmp.path("a.sqlite")
        let first = makeProcess(["--db", db, "import", "--quiet", tree.path])
        try first.run()
        waitUntilFilesCommitted(db, atLeast: 1, while: first)
        let second = try runGDArchive(["--db", db, "import", "--wait", "120", "--log-format", "json", tree.path])
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(second.status == 0)
        #expect(try jsonSummary(second.stderr)["new_versions"] as? Int == 0)
    }

    @Test func sigtermStopsAfterTheCurrentFileCommitsAndSaysSo() throws {
        let tmp = try TemporaryDirectory()
        let tree = try bigTree(tmp)
        let db = tmp.path("a.sqlite")
        let out = Pipe(), err = Pipe()
        let process = makeProcess(["--db", db, "import", tree])
        process.standardOutput = out
        process.standardError = err
        try process.run()
        waitUntilFilesCommitted(db, atLeast: 2, while: process)
        kill(process.processIdentifier, SIGTERM)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143)
        #expect(stderr.contains("(stopped early on request; run again to finish)"))
        let status = try runGDArchive(["--db", db, "sql", "SELECT status FROM import_runs", "--format", "tsv"]).stdout
        #expect(status == "status\ninterrupted\n")
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        // The next run finishes the job: the same as one clean run.
        #expect(try runGDArchive(["--db", db, "import", "--quiet", tree]).status == 0)
        let clean = tmp.path("clean.sqlite")
        #expect(try runGDArchive(["--db", clean, "import", "--quiet", tree]).status == 0)
        let hashes = "SELECT hex(hash) FROM versions ORDER BY 1"
        #expect(try runGDArchive(["--db", db, "sql", hashes]).stdout == runGDArchive(["--db", clean, "sql", hashes]).stdout)
    }

    @Test func aBackupDuringAnImportIsConsistentAndPrivate() throws {
        let tmp = try TemporaryDirectory()
        let tree = try bigTree(tmp)
        let db = tmp.path("a.sqlite")
        let process = makeProcess(["--db", db, "import", "--quiet", tree])
        try process.run()
        waitUntilFilesCommitted(db, atLeast: 3, while: process)
        let backup = try runGDArchive(["--db", db, "backup", tmp.path("copy.sqlite")])
        // Queries keep working during the import, too.
        let query = try runGDArchive(["--db", db, "report", "summary", "--format", "json"])
        process.waitUntilExit()
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("check ok"))
        #expect(query.status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: tmp.path("copy.sqlite"))[.posixPermissions] as? Int == 0o600)
        #expect(try runGDArchive(["--db", tmp.path("copy.sqlite"), "check"]).status == 0)
        #expect(try runGDArchive(["--db", db, "backup", tmp.path("copy.sqlite")]).status == 73)  // never overwrites
    }
}

@Suite struct HousekeepingTests {
    @Test func pruneRemovesWholeHistoriesOnly() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        func line(_ id: String, _ updated: String, _ count: Int) -> String {
            #"{"id":"\#(id)","accountId":"1","region":"r","updatedAt":"\#(updated)","service":{"count":\#(count)}}"#
        }
        // old: every version long ago. mixed: old versions but a recent latest version (ten
        // days ago: a version dated ahead of the clock is never a finding's latest).
        let recent = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-10 * 86_400))
        let input = [line("old", "2020-01-01T00:00:00Z", 1), line("old", "2020-02-01T00:00:00Z", 2),
                     line("mixed", "2020-01-01T00:00:00Z", 1), line("mixed", recent, 5)].joined(separator: "\n") + "\n"
        _ = try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", input)])
        let dry = try runGDArchive(["--db", db, "prune", "--older-than", "365d", "--dry-run"])
        #expect(dry.stdout.hasPrefix("prune: would remove 1 finding (2 versions)"))
        #expect(try runGDArchive(["--db", db, "sql", "SELECT count(*) AS n FROM versions", "--format", "csv"]).stdout == "n\r\n4\r\n")
        let pruned = try runGDArchive(["--db", db, "prune", "--older-than", "365d"])
        #expect(pruned.stdout.hasPrefix("prune: removed 1 finding (2 versions)"))
        // The mixed finding keeps its whole history, old versions included.
        #expect(try runGDArchive(["--db", db, "sql", "SELECT id, count(*) AS n FROM versions GROUP BY id", "--format", "csv"]).stdout == "id,n\r\nmixed,2\r\n")
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        #expect(try runGDArchive(["--db", db, "prune", "--older-than", "soon"]).status == 64)
        #expect(try runGDArchive(["--db", db, "prune", "--older-than=-5d"]).status == 64)  // an age has no sign
        #expect(try runGDArchive(["--db", db, "prune", "--older-than", "2y", "--dry-run"]).stdout.hasPrefix("prune: would remove 0 findings"))
    }

    @Test func checkFindsWhatIsWrong() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        var config = Configuration()
        config.prepareDatabase { db in try Archive.registerCodecFunctions(db) }
        let queue = try DatabaseQueue(path: db, configuration: config)
        try queue.write { db in
            // An altered body that still decompresses: the bases (stored alone) get count 11.
            try db.execute(sql: """
                UPDATE version_blobs SET data = gdarchive_compress(replace(gdarchive_body(data, NULL), '"count":10', '"count":11'), NULL)
                WHERE base_version_id IS NULL
                """)
            // A damaged frame: a delta cut short.
            try db.execute(sql: """
                UPDATE version_blobs SET data = substr(data, 1, 8)
                WHERE version_id = (SELECT max(version_id) FROM version_blobs WHERE base_version_id IS NOT NULL)
                """)
            // The file lists counts 10, 1, 5: version 3 (count 5) is not the latest.
            try db.execute(sql: "UPDATE findings SET latest_version_id = (SELECT max(version_id) FROM versions)")
            try db.execute(sql: "UPDATE versions SET occurrences = 99 WHERE version_id = 2")
        }
        try queue.close()
        let check = try runGDArchive(["--db", db, "check"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("does not match its SHA-256"))
        #expect(check.stdout.contains("its body does not decompress"))
        #expect(check.stdout.contains("the latest version should be"))
        #expect(check.stdout.contains("version 2 of finding") && check.stdout.contains("records 99 occurrences; its count growth says 1"))
    }

    @Test func statusTellsTheLastSuccessfulImportAndTroubleSince() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/line-3-cut-short.jsonl")])
        let status = try #require(try JSONSerialization.jsonObject(with: Data(runGDArchive(["--db", db, "status", "--format", "json"]).stdout.utf8)) as? [String: Any])
        #expect(status["last_successful_import_new_versions"] as? Int == 3)
        #expect(status["last_successful_import_files"] as? Int == 1)
        #expect(status["imports_with_problems_since"] as? Int == 1)
    }

    /// prune and compact take the writer lock like an import: held by another process, they
    /// exit 75 at once with `--wait 0` and change nothing; with `--wait N` they run once it
    /// is given up.
    @Test func pruneAndCompactWaitForTheWriterLockOrExit75() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        let versions = ["--db", db, "sql", "SELECT count(*) AS n FROM versions", "--format", "csv"]
        let before = try runGDArchive(versions).stdout
        // This test process holds the lock (flock: another process's open of the file conflicts).
        var lock: ArchiveLock? = try ArchiveLock.acquire(archivePath: db, waitSeconds: 0, purpose: "import")
        for command in [["prune", "--older-than", "1d"], ["compact"]] {
            let refused = try runGDArchive(["--db", db] + command + ["--wait", "0"])
            #expect(refused.status == 75, "\(command): \(refused.stderr)")
            #expect(refused.stderr.contains("import (pid \(getpid()), started "), "\(refused.stderr)")
        }
        #expect(try runGDArchive(versions).stdout == before)
        // Waiting: each starts while the lock is held, and finishes once it is given up.
        let prune = makeProcess(["--db", db, "prune", "--older-than", "1d", "--wait", "60"])
        try prune.run()
        Thread.sleep(forTimeInterval: 0.5)
        #expect(prune.isRunning, "prune did not wait for the lock")
        lock?.release()
        lock = nil
        prune.waitUntilExit()
        #expect(prune.terminationStatus == 0)
        #expect(try runGDArchive(versions).stdout == "n\r\n0\r\n", "prune ran after the wait: the fixture's findings are years old")
        lock = try ArchiveLock.acquire(archivePath: db, waitSeconds: 0, purpose: "import")
        let compact = makeProcess(["--db", db, "compact", "--wait", "60"])
        try compact.run()
        Thread.sleep(forTimeInterval: 0.5)
        #expect(compact.isRunning, "compact did not wait for the lock")
        lock?.release()
        compact.waitUntilExit()
        #expect(compact.terminationStatus == 0)
        // Just vacuumed, a compact has nothing to return: the sizes it reports are equal (the
        // pages the opening wrote to the WAL are not counted as space it gave back).
        let again = try runGDArchive(["--db", db, "compact"]).stdout
        let sizes = try #require(again.split(separator: ";").last).split(separator: " ").filter { $0.first?.isNumber == true }
        #expect(sizes.count == 2 && sizes[0] == sizes[1], "\(again)")
    }
}

@Suite struct NightlyScriptTests {
    /// A fake `aws` that records its arguments and "syncs" by copying a fixture tree.
    func fakeAWS(_ tmp: TemporaryDirectory, fails: Bool = false) throws -> String {
        let bin = tmp.url.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let guardDuty = Paths.packageRoot.appendingPathComponent("Tests/gdarchiveTests/FakeAWS/fake-aws").path
        let script = """
            #!/usr/bin/env bash
            echo "$@" >> "\(tmp.path("aws-calls.log"))"
            if [[ " $* " == *" guardduty "* ]]; then exec "\(guardDuty)" "$@"; fi
            \(fails ? "echo 'An error occurred (ExpiredToken)' >&2; exit 1" : "")
            dest="$4"
            mkdir -p "$dest"
            cp -R "\(Paths.fixtures.appendingPathComponent("exports/AWSLogs").path)/." "$dest/"
            """
        try script.write(to: bin.appendingPathComponent("aws"), atomically: true, encoding: .utf8)
        chmod(bin.appendingPathComponent("aws").path, 0o755)
        return bin.path
    }

    func runNightly(_ arguments: [String], env: [String: String]) throws -> CommandResult {
        try runProgram("/bin/bash", [Paths.packageRoot.appendingPathComponent("contrib/gdarchive-nightly").path] + arguments, environment: env)
    }

    @Test func theInstalledScriptRunsUnderCronsEnvironment() throws {
        // Installed as the README says: the binary and the script side by side in a bin
        // folder that is not on cron's PATH; run with cron's bare environment (`env -i`).
        let tmp = try TemporaryDirectory()
        let awsBin = try fakeAWS(tmp)
        let bin = tmp.path("prefix/bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Paths.binary.path, toPath: bin + "/gdarchive")
        try FileManager.default.copyItem(atPath: Paths.packageRoot.appendingPathComponent("contrib/gdarchive-nightly").path, toPath: bin + "/gdarchive-nightly")
        let cron = ["HOME=" + tmp.path("home"), "PATH=/usr/bin:/bin", "SHELL=/bin/sh", "LOGNAME=root", "AWS_CLI=" + awsBin + "/aws"]
        let args = ["--bucket", "my-findings", "--exports", tmp.path("exports"), "--db", tmp.path("a.sqlite")]
        let first = try runProgram("/usr/bin/env", ["-i"] + cron + [bin + "/gdarchive-nightly"] + args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("21 new versions"), "\(first.stderr)")
        // Without the binary anywhere it looks: a message that says what to do, and 69.
        try FileManager.default.removeItem(atPath: bin + "/gdarchive")
        let missing = try runProgram("/usr/bin/env", ["-i"] + cron + [bin + "/gdarchive-nightly"] + args)
        #expect(missing.status == 69)
        #expect(missing.stderr.contains("set GDARCHIVE_BIN"), "\(missing.stderr)")
    }

    @Test func syncsImportsAndIsSafeToRerun() throws {
        let tmp = try TemporaryDirectory()
        let bin = try fakeAWS(tmp)
        let env = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""), "GDARCHIVE_BIN": Paths.binary.path, "HOME": tmp.path("home")]
        let args = ["--bucket", "my-findings", "--profile", "audit", "--exports", tmp.path("exports"), "--db", tmp.path("a.sqlite")]
        let first = try runNightly(args, env: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("21 new versions"))
        let calls = try String(contentsOfFile: tmp.path("aws-calls.log"), encoding: .utf8)
        #expect(calls.hasPrefix("s3 sync s3://my-findings/AWSLogs \(tmp.path("exports"))/AWSLogs --only-show-errors --profile audit"))
        let second = try runNightly(args, env: env)
        #expect(second.status == 0)
        #expect(second.stderr.contains("(nothing new)"))
    }

    @Test func whatTheScriptCreatesIsPrivateWhateverTheCallersUmask() throws {
        let tmp = try TemporaryDirectory()
        let bin = try fakeAWS(tmp)
        let script = Paths.packageRoot.appendingPathComponent("contrib/gdarchive-nightly").path
        let env = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""), "GDARCHIVE_BIN": Paths.binary.path, "HOME": tmp.path("home")]
        let result = try runProgram("/bin/bash", ["-c", "umask 022; exec \"$0\" \"$@\"", script, "--bucket", "my-findings",
                                                  "--exports", tmp.path("exports"), "--db", tmp.path("archive/a.sqlite")], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        func mode(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1 }
        #expect(mode(tmp.path("exports")) == 0o700)
        let files = try #require(FileManager.default.enumerator(atPath: tmp.path("exports"))).compactMap { $0 as? String }
        #expect(files.count > 5)
        for file in files {
            let path = tmp.path("exports/" + file)
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            #expect(mode(path) == (isFolder.boolValue ? 0o700 : 0o600), "\(file)")
        }
        #expect(mode(tmp.path("archive")) == 0o700 && mode(tmp.path("archive/a.sqlite")) == 0o600)
    }

    @Test func anArchiveInAFolderOthersMayWriteGetsAWarning() throws {
        let tmp = try TemporaryDirectory()
        let input = try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")
        try FileManager.default.createDirectory(atPath: tmp.path("open"), withIntermediateDirectories: true)
        chmod(tmp.path("open"), 0o777)
        let open = try runGDArchive(["--db", tmp.path("open/a.sqlite"), "import", input])
        #expect(open.status == 0)
        #expect(open.stderr.contains("the archive's folder \(tmp.path("open")) can be written by other users (mode 777)"), "\(open.stderr)")
        // A folder with the sticky bit (as /tmp) lets no one else remove or replace the file.
        try FileManager.default.createDirectory(atPath: tmp.path("sticky"), withIntermediateDirectories: true)
        chmod(tmp.path("sticky"), 0o1777)
        let sticky = try runGDArchive(["--db", tmp.path("sticky/a.sqlite"), "import", input])
        #expect(!sticky.stderr.contains("can be written by other users"), "\(sticky.stderr)")
    }

    @Test func anOptionalPullStepFetchesArchivedFindings() throws {
        let tmp = try TemporaryDirectory()
        let bin = try fakeAWS(tmp)
        let state: [String: Any] = ["regions": ["eu-west-1": ["d1": [FakeAWS.finding("arch1", updated: "2025-01-02T00:00:00.000Z", archived: true)]]], "throttle": 0]
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: tmp.path("state.json")))
        let env = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""), "GDARCHIVE_BIN": Paths.binary.path,
                   "FAKE_AWS_STATE": tmp.path("state.json"), "FAKE_AWS_LOG": tmp.path("guardduty-calls.log")]
        let result = try runNightly(["--bucket", "b", "--exports", tmp.path("exports"), "--db", tmp.path("a.sqlite"), "--pull-regions", "eu-west-1"], env: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("pulling archived and suppressed findings in eu-west-1"))
        let archived = try runGDArchive(["--db", tmp.path("a.sqlite"), "query", "archived = true", "--fields", "id", "--format", "tsv"])
        #expect(archived.stdout == "id\narch1\n")
    }

    @Test func aFailedSyncImportsNothingAndExits69() throws {
        let tmp = try TemporaryDirectory()
        let bin = try fakeAWS(tmp, fails: true)
        let env = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""), "GDARCHIVE_BIN": Paths.binary.path]
        let result = try runNightly(["--bucket", "b", "--exports", tmp.path("exports"), "--db", tmp.path("a.sqlite")], env: env)
        #expect(result.status == 69)
        #expect(result.stderr.contains("aws s3 sync failed; nothing was imported"))
        #expect(!FileManager.default.fileExists(atPath: tmp.path("a.sqlite")))
        #expect(try runNightly([], env: env).status == 64)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/shellcheck"),
                   "shellcheck is not installed (apt-get install shellcheck)"))
    func theScriptIsCleanUnderShellcheck() throws {
        let result = try runProgram("/usr/bin/shellcheck", [Paths.packageRoot.appendingPathComponent("contrib/gdarchive-nightly").path])
        #expect(result.status == 0, "\(result.stdout)")
    }
}
