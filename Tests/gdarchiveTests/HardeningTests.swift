import Foundation
import Synchronization
import GDArchiveModel
import GDArchiveTestSupport
import GRDB
import Testing

/// What an attack on gdarchive found, each kept from coming back.
@Suite struct HardeningTests {
    @Test func aSymbolicLinkPlantedAtTheLockFileIsNotFollowed() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let victim = try tmp.write("precious.txt", "precious\n")
        #expect(symlink(victim, db + ".lock") == 0)
        let result = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("symbolic link"), "\(result.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    }

    @Test func aFloodOfBadLinesStoresABoundedNumberOfErrorsAndCountsTheRest() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let good = FindingGenerator(seed: 41).finding(number: 1, version: 1)
        let flood = try tmp.write("flood.jsonl", String(repeating: "{}\n", count: 100_000) + good + "\n")
        let result = try runGDArchive(["--db", db, "import", flood])
        #expect(result.status == 65)
        #expect(result.stderr.contains("100000 errors"), "\(result.stderr)")
        #expect(result.stderr.contains("the other 99000 were only counted"), "\(result.stderr)")
        let rows = try runGDArchive(["--db", db, "sql", "SELECT count(*) AS n, sum(kind = 'more-errors') AS more FROM import_errors", "--format", "tsv"])
        #expect(rows.stdout == "n\tmore\n1001\t1\n", "\(rows.stderr)")
        #expect(try runGDArchive(["--db", db, "sql", "SELECT count(*) FROM versions", "--format", "tsv"]).stdout == "count(*)\n1\n")
        // Importing it again changes nothing (the same rows, no new ones).
        _ = try runGDArchive(["--db", db, "import", "--rescan", flood])
        #expect(try runGDArchive(["--db", db, "sql", "SELECT count(*) AS n FROM import_errors", "--format", "tsv"]).stdout == "n\n1001\n")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int)
        #expect(size < 2_000_000, "the archive grew to \(size) bytes")
    }

    @Test func manyBadFilesStoreABoundedNumberOfErrorsInAll() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let tree = tmp.path("drop")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        for n in 0..<12 {
            try String(repeating: #"{"id":"x"}"# + "\n", count: 1000).write(toFile: tree + "/bad\(String(format: "%02d", n)).jsonl", atomically: true, encoding: .utf8)
        }
        let result = try runGDArchive(["--db", db, "import", "--quiet", tree])
        #expect(result.status == 65)
        // Ten files store their thousand each; the import's 10,000 are then used up, and the
        // last two files store one row each that counts theirs.
        let rows = try runGDArchive(["--db", db, "sql", "SELECT count(*) AS n, sum(kind = 'more-errors') AS more, sum(CASE WHEN kind = 'more-errors' THEN message END LIKE '1000 more errors%') AS counted FROM import_errors", "--format", "tsv"])
        #expect(rows.stdout == "n\tmore\tcounted\n10002\t2\t2\n", "\(rows.stdout)\(rows.stderr)")
    }
}

@Suite struct LinkedTreeTests {
    @Test func aHardLinkedFileIsReadOnce() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let tree = tmp.path("drop")
        try FileManager.default.createDirectory(atPath: tree + "/b", withIntermediateDirectories: true)
        let lines = (0..<5).map { FindingGenerator(seed: 42).finding(number: $0, version: 1) }.joined(separator: "\n") + "\n"
        try lines.write(toFile: tree + "/a.jsonl", atomically: true, encoding: .utf8)
        #expect(link(tree + "/a.jsonl", tree + "/b/same.jsonl") == 0)
        let result = try runGDArchive(["--db", db, "import", tree])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("b/same.jsonl: note: skipped: the same file as \(tree)/a.jsonl (a hard link), which was read"), "\(result.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM sightings") == 5)
        #expect(committedCount(db, "SELECT count(*) FROM source_files") == 1)
    }

    @Test func aTreeReachedThroughALinkedFolderIsTheSameTree() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let tree = try tmp.copyFixture("exports")
        #expect(symlink(tree, tmp.path("linked")) == 0)
        #expect(try runGDArchive(["--db", db, "import", tree]).status == 0)
        let sightings = "SELECT (SELECT count(*) FROM sightings) || ' ' || (SELECT count(*) FROM source_files)"
        let before = try runGDArchive(["--db", db, "sql", sightings, "--format", "tsv"]).stdout
        let again = try runGDArchive(["--db", db, "import", tmp.path("linked")])
        #expect(again.status == 0)
        #expect(again.stderr.contains("(nothing new)"))
        #expect(again.stderr.contains("unchanged, not read"), "\(again.stderr)")
        #expect(try runGDArchive(["--db", db, "sql", sightings, "--format", "tsv"]).stdout == before)
        // The same through a linked file named directly, and with --rescan.
        _ = try runGDArchive(["--db", db, "import", "--rescan", tmp.path("linked")])
        #expect(try runGDArchive(["--db", db, "sql", sightings, "--format", "tsv"]).stdout == before)
    }
}

/// A closed pipe is not a crash.
@Suite struct ClosedPipeTests {
    @Test func anImportWhoseReaderOfStandardErrorGoesAwayFinishesAndCommits() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let fixtures = Paths.fixtures.path
        // `import … 2>&1 | head -1` once head has gone: every write to stderr meets a pipe
        // whose reader is closed (here before the import starts, so every time).
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let process = makeProcess(["--db", db, "import", fixtures])
        process.standardError = pipe.fileHandleForWriting
        process.standardOutput = pipe.fileHandleForWriting
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 65, "\(process.terminationReason) \(process.terminationStatus)")
        let runs = try runGDArchive(["--db", db, "sql", "SELECT status, new_versions > 0 AS stored FROM import_runs", "--format", "tsv"]).stdout
        #expect(runs == "status\tstored\ncompleted\t1\n")
        // With standard error closed altogether, the archive and its lock stay clean.
        let closed = try runProgram("/bin/sh", ["-c", "\"$0\" --db \"$1\" import --rescan \"$2\" 2>&-", Paths.binary.path, db, fixtures])
        #expect(closed.status == 65)
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        let lock = try String(contentsOfFile: db + ".lock", encoding: .utf8)
        #expect(lock.hasPrefix("import (pid"), "\(lock)")
        #expect(!lock.contains("error"))
    }

    @Test func aQueryWhoseReaderGoesAwayStopsQuietly() throws {
        let tmp = try TemporaryDirectory()
        let db = try generatedArchive(in: tmp, seed: 51, files: 2, findingsPerFile: 1500)
        // Far more output than a pipe holds; `head` closes after one line.
        let script = "\"$0\" --db \"$1\" query --all-versions --format jsonl 2>\"$2\" | head -1 >/dev/null; echo \"${PIPESTATUS[0]}\""
        let result = try runProgram("/bin/bash", ["-c", script, Paths.binary.path, db, tmp.path("err.txt")])
        #expect(result.stdout == "141\n", "\(result.stdout) \(result.stderr)")
        let stderr = try String(contentsOfFile: tmp.path("err.txt"), encoding: .utf8)
        #expect(!stderr.contains("Fatal error") && !stderr.contains("Crash"), "\(stderr)")
        // A full disk is no closed pipe: incomplete results are an error.
        let full = try runProgram("/bin/sh", ["-c", "\"$0\" --db \"$1\" query --all-versions --format jsonl > /dev/full", Paths.binary.path, db])
        #expect(full.status == 1)
        #expect(full.stderr.contains("cannot write the results"), "\(full.stderr)")
    }
}

/// Hostile filters get a message with a caret and exit 64, never a crash.
@Suite struct DeepFilterTests {
    @Test func deepNestingIsAUsageErrorAndTheDeepestAllowedStillRuns() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        let hostile = [
            String(repeating: "(", count: 15_000) + "severity > 1" + String(repeating: ")", count: 15_000),
            String(repeating: "not ", count: 10_000) + "severity > 1",
            String(repeating: "(", count: 33) + "severity > 1" + String(repeating: ")", count: 33),
            Array(repeating: "severity > 1", count: 1001).joined(separator: " or "),
        ]
        for filter in hostile {
            for command in [["query", filter], ["report", "summary", filter]] {
                let result = try runGDArchive(["--db", db] + command)
                #expect(result.status == 64, "\(command[0]) \(filter.prefix(20))…: \(result.status) \(result.stderr.prefix(300))")
                #expect(result.stderr.contains("^"), "\(result.stderr.prefix(300))")
            }
        }
        // The deepest allowed nesting and the longest allowed chains run on SQLite itself.
        let count = "--format"
        let deepest = [
            String(repeating: "(", count: 32) + "severity > 1" + String(repeating: ")", count: 32),
            String(repeating: "not not ", count: 16) + "severity > 1",
            Array(repeating: "severity > 1", count: 1000).joined(separator: " or "),
            Array(repeating: "(severity > 1 or count > 0)", count: 500).joined(separator: " and "),
        ]
        let expected = try runGDArchive(["--db", db, "query", "severity > 1", count, "jsonl"]).stdout
        #expect(!expected.isEmpty)
        for filter in deepest {
            let result = try runGDArchive(["--db", db, "query", filter, count, "jsonl"])
            #expect(result.status == 0, "\(filter.prefix(30))…: \(result.stderr.prefix(300))")
            #expect(result.stdout == expected)
        }
    }
}

/// Files other users can touch, and other programs' databases.
@Suite(.serialized) struct FileSafetyTests {
    func mode(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_mode & 0o777) : -1
    }

    @Test func noFileIsCreatedOrWrittenThroughAPlantedLink() throws {
        let tmp = try TemporaryDirectory()
        // A dangling link where the archive would be: refused, nothing created behind it.
        #expect(symlink(tmp.path("elsewhere.sqlite"), tmp.path("a.sqlite")) == 0)
        let refused = try runGDArchive(["--db", tmp.path("a.sqlite"), "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        #expect(refused.status == 73, "\(refused.stderr)")
        #expect(refused.stderr.contains("symbolic link"))
        #expect(!FileManager.default.fileExists(atPath: tmp.path("elsewhere.sqlite")))
        // A real archive, then a backup onto a dangling link: refused, nothing behind it.
        let db = tmp.path("b.sqlite")
        _ = try runGDArchive(["--db", db, "import", tmp.path("out-of-order-versions.jsonl")])
        #expect(mode(db) == 0o600)
        #expect(symlink(tmp.path("stolen.sqlite"), tmp.path("copy.sqlite")) == 0)
        let backup = try runGDArchive(["--db", db, "backup", tmp.path("copy.sqlite")])
        #expect(backup.status == 73, "\(backup.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("stolen.sqlite")))
        // A backup into folders that do not exist yet creates them, private.
        #expect(try runGDArchive(["--db", db, "backup", tmp.path("new/folder/copy.sqlite")]).status == 0)
        #expect(mode(tmp.path("new/folder")) == 0o700 && mode(tmp.path("new/folder/copy.sqlite")) == 0o600)
        // The HTML page replaces a link at its name instead of writing through it, and an
        // existing page's lax mode with its own.
        let victim = try tmp.write("victim.txt", "keep\n")
        #expect(symlink(victim, tmp.path("page.html")) == 0)
        #expect(try runGDArchive(["--db", db, "report", "html", "-o", tmp.path("page.html")]).status == 0)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep\n")
        #expect(mode(tmp.path("page.html")) == 0o600)
        let lax = try tmp.write("lax.html", "old")
        chmod(lax, 0o644)
        #expect(try runGDArchive(["--db", db, "report", "html", "-o", lax]).status == 0)
        #expect(mode(lax) == 0o600)
        // A link to a private archive gets no warning; the warning reads the file's mode.
        #expect(symlink(db, tmp.path("link.sqlite")) == 0)
        #expect(!(try runGDArchive(["--db", tmp.path("link.sqlite"), "status"]).stderr.contains("readable by other users")))
        chmod(db, 0o644)
        #expect(try runGDArchive(["--db", tmp.path("link.sqlite"), "status"]).stderr.contains("readable by other users"))
    }

    /// `-o` names where the page goes; only a file is written beside and renamed into place.
    @Test func aPageForADeviceAFIFOOrStandardOutputIsWrittenToItNotInItsPlace() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        func kind(_ path: String) -> mode_t {
            var info = stat()
            return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
        }
        // /dev/null stays the device (as root, a rename would have replaced it with a file).
        let null = try runGDArchive(["--db", db, "report", "html", "-o", "/dev/null"])
        #expect(null.status == 0, "\(null.stderr)")
        #expect(kind("/dev/null") == S_IFCHR && mode("/dev/null") == 0o666)
        // /dev/stdout is the command's standard output: the page arrives there, the link stays.
        let stdout = try runGDArchive(["--db", db, "report", "html", "-o", "/dev/stdout"])
        #expect(stdout.status == 0, "\(stdout.stderr)")
        #expect(stdout.stdout.hasPrefix("<!DOCTYPE html>") && stdout.stdout.hasSuffix("</html>\n"), "\(stdout.stdout.prefix(80))")
        #expect(kind("/dev/stdout") == S_IFLNK)
        // A FIFO: its reader gets the page, and it is still a FIFO.
        let fifo = tmp.path("page.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let received = Mutex<Data?>(nil)
        let reader = Thread { received.withLock { $0 = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() } }
        reader.start()
        let piped = try runGDArchive(["--db", db, "report", "html", "-o", fifo])
        #expect(piped.status == 0, "\(piped.stderr)")
        while received.withLock({ $0 == nil }) { usleep(10_000) }
        let page = String(decoding: received.withLock { $0 } ?? Data(), as: UTF8.self)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.hasSuffix("</html>\n") && page.count > 1000, "\(page.prefix(80))")
        #expect(kind(fifo) == S_IFIFO)
        // A folder cannot take a page: an error naming it, nothing written into it.
        let folder = try runGDArchive(["--db", db, "report", "html", "-o", tmp.url.path])
        #expect(folder.status != 0)
        #expect(folder.stderr.contains("is a folder"), "\(folder.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).allSatisfy { !$0.hasPrefix(".") })
    }

    @Test(.enabled(if: ArchiveFaultTests.canActAsNobody, ArchiveFaultTests.nobodyMissing))
    func aUserWhoMayOnlyReadLeavesNoWALFilesBehind() throws {
        let tmp = try TemporaryDirectory()
        chmod(tmp.url.path, 0o777)  // a shared folder: anyone may create files in it
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        chmod(db, 0o644)
        let input = try tmp.copyFixture("scenarios/findings-page-pretty.json")
        chmod(input, 0o644)
        let result = try runProgram("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Paths.binary.path, "--db", db, "import", input],
                                    environment: ["HOME": "/tmp"])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db + "-wal") && !FileManager.default.fileExists(atPath: db + "-shm"))
        // The owner's next import is not blocked.
        #expect(try runGDArchive(["--db", db, "import", input]).status == 0)
    }

    @Test func aRefusedArchiveGetsNoWALFiles() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in try db.execute(sql: "INSERT INTO schema_migrations VALUES (99, 'future', 'x', '2030-01-01')") }
        try queue.close()
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"))
        for arguments in [["import", tmp.path("out-of-order-versions.jsonl")], ["status"], ["query"]] {
            #expect(try runGDArchive(["--db", db] + arguments).status == 76)
            #expect(!FileManager.default.fileExists(atPath: db + "-wal") && !FileManager.default.fileExists(atPath: db + "-shm"), "\(arguments)")
        }
    }

    @Test func otherProgramsDatabasesAreRefusedUnchanged() throws {
        let tmp = try TemporaryDirectory()
        let databases: [(String, [String])] = [
            ("rails.sqlite", ["CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)", "INSERT INTO schema_migrations VALUES ('20240101000000')"]),
            ("golang-migrate.sqlite", ["CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)", "INSERT INTO schema_migrations VALUES (3, 0)"]),
            ("lookalike.sqlite", ["CREATE TABLE customers (id INTEGER PRIMARY KEY)",
                                  "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"]),
            ("stamped.sqlite", ["PRAGMA user_version = 5"]),
        ]
        for (name, statements) in databases {
            let path = tmp.path(name)
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in for sql in statements { try db.execute(sql: sql) } }
            try queue.close()
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            for arguments in [["import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl", as: "in-\(name).jsonl")], ["status"]] {
                let result = try runGDArchive(["--db", path] + arguments)
                #expect(result.status == 76, "\(name) \(arguments[0]): \(result.stderr)")
                #expect(result.stderr.contains("gdarchive did not create"), "\(name): \(result.stderr)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "\(name) was modified")
        }
    }

    @Test func aKilledBackupNeverLeavesAPartialDestination() throws {
        let tmp = try TemporaryDirectory()
        let db = try generatedArchive(in: tmp, seed: 61, files: 6, findingsPerFile: 1000)
        for (n, delay) in [0, 2_000, 10_000, 30_000, 80_000].enumerated() {
            let destination = tmp.path("backup-\(n).sqlite")
            let process = makeProcess(["--db", db, "backup", destination])
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Absent, or a whole archive: never a partial file at the destination.
            if FileManager.default.fileExists(atPath: destination) {
                #expect(try runGDArchive(["--db", destination, "check"]).status == 0, "backup \(n)")
            } else {
                let again = try runGDArchive(["--db", db, "backup", destination])
                #expect(again.status == 0, "backup \(n) after a kill: \(again.stderr)")
                #expect(try runGDArchive(["--db", destination, "check"]).status == 0)
            }
        }
    }
}

/// One escaping rule on every human-facing path.
@Suite struct TerminalEscapeTests {
    @Test func noFindingTextReachesTheTerminalRaw() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        // Identities may not hold control characters (they are refused), but a bidirectional
        // override is a printable character to JSON: it can reach an id or a Region.
        let bidi = #"\u202eexe.txt"#
        let evil = #"\u001b]0;pwned\u0007\u202eexe.txt\u2028\u2029\u00ad\u061c\udb40\udc41"#
        let lines = (1...2).map { #"{"id":"evil\#(bidi)\#($0)","accountId":"1","region":"r\#(bidi)","type":"T\#(evil)","updatedAt":"2025-01-0\#($0)T00:00:00Z","severity":5,"service":{"count":\#($0)}}"# }
        let imported = try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", lines.joined(separator: "\n") + "\n")])
        #expect(imported.status == 0, "\(imported.stderr)")
        let id = "evil\u{202e}exe.txt1"
        let outputs = [
            try runGDArchive(["--db", db, "show", id]),
            try runGDArchive(["--db", db, "show", "evil"]),  // the hint lists ids starting with it
            try runGDArchive(["--db", db, "report", "timeline", "--by", "type", "--bucket", "day"]),
            try runGDArchive(["--db", db, "report", "by", "type"]),
        ]
        for result in outputs {
            let text = result.stdout + result.stderr
            #expect(text.contains("\\u{1b}") || text.contains("\\u{202e}"), "\(text.prefix(300))")
            #expect(!text.unicodeScalars.contains { [0x1B, 0x07, 0x202E, 0x2028, 0x2029, 0xAD, 0x061C, 0xE0041].contains($0.value) }, "\(text.prefix(300))")
        }
    }
}

/// `gdarchive sql` streams, stops a runaway statement, and bounds what it may allocate.
@Suite struct BoundedSQLTests {
    static let time = FileManager.default.isExecutableFile(atPath: "/usr/bin/time")

    func archive(_ tmp: TemporaryDirectory) throws -> String {
        try generatedArchive(in: tmp, seed: 71, files: 2, findingsPerFile: 500)
    }

    @Test(.enabled(if: BoundedSQLTests.time, "GNU time (/usr/bin/time) is not installed"))
    func rowsStreamWithFlatMemory() throws {
        let tmp = try TemporaryDirectory()
        let db = try archive(tmp)
        // 100,000 rows of ~3 KB bodies (about 300 MB of output) into /dev/null.
        let statement = "SELECT v.body FROM finding_versions v, (SELECT 1 FROM finding_versions LIMIT 100) n"
        let result = try runProgram("/bin/sh", ["-c", "/usr/bin/time -f '%M' \"$0\" --db \"$1\" sql \"$2\" --format jsonl >/dev/null", Paths.binary.path, db, statement])
        #expect(result.status == 0, "\(result.stderr)")
        let peakKiB = try #require(Int(result.stderr.split(separator: "\n").last ?? ""))
        #expect(peakKiB < 150_000, "peak RSS \(peakKiB) KiB for ~300 MB of rows")
    }

    @Test func aRunawayStatementStopsWithAMessage() throws {
        let tmp = try TemporaryDirectory()
        let db = try archive(tmp)
        let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        let stopped = try runGDArchive(["--db", db, "sql", endless, "--timeout", "1"])
        #expect(stopped.status == 1)
        #expect(stopped.stderr.contains("ran longer than 1 seconds"), "\(stopped.stderr)")
        // One value SQLite must build in memory (about 200 MB): stopped at the bound.
        let huge = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000) SELECT length(group_concat(hex(randomblob(1000)))) FROM c"
        let big = try runGDArchive(["--db", db, "sql", huge, "--max-memory", "32", "--format", "csv"])
        #expect(big.status == 1)
        #expect(big.stderr.contains("more than 32 MiB"), "\(big.stderr)")
        // A crafted frame that claims 2.9 GB is refused without allocating it.
        let claim = try runGDArchive(["--db", db, "sql", "SELECT length(gdarchive_body(x'28B52FFDE0004ADAAC00000000010000', NULL))"])
        #expect(claim.status == 1)
        #expect(claim.stderr.contains("not a zstd frame with its size"), "\(claim.stderr)")
    }

    @Test func tableValuedFunctionsOnlyReadAndAreAllowed() throws {
        let tmp = try TemporaryDirectory()
        let db = try archive(tmp)
        for statement in ["SELECT count(*) AS n FROM finding_versions v, json_each(v.body) e",
                          "SELECT count(*) AS n FROM finding_versions v, json_tree(v.body) t WHERE t.key = 'count'",
                          "SELECT count(*) AS n FROM pragma_table_info('findings')"] {
            let result = try runGDArchive(["--db", db, "sql", statement, "--format", "tsv"])
            #expect(result.status == 0, "\(statement): \(result.stderr)")
            #expect((Int(result.stdout.split(separator: "\n").last ?? "") ?? 0) > 0, "\(statement): \(result.stdout)")
        }
        // Writing is still refused, by SQLite.
        for statement in ["UPDATE sqlite_master SET sql = ''", "CREATE TABLE x (a)", "DELETE FROM versions", "PRAGMA writable_schema = 1"] {
            #expect(try runGDArchive(["--db", db, "sql", statement]).status == 1, "\(statement)")
        }
    }
}

/// Small things a new user trips over.
@Suite struct WordingTests {
    @Test func messagesSayWhatHappenedInTheirOwnWords() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let one = try tmp.write("one.jsonl", FindingGenerator(seed: 81).finding(number: 1, version: 1) + "\n")
        let verbose = try runGDArchive(["--db", db, "import", "-v", one])
        #expect(verbose.stderr.contains(": read: 1 record, 1 new version, 0 already stored, 0 errors"), "\(verbose.stderr)")
        // A field unknown to report by is not blamed on options the command does not have.
        let by = try runGDArchive(["--db", db, "report", "by", "nosuch"])
        #expect(by.status == 64)
        #expect(by.stderr.contains("unknown field 'nosuch'") && !by.stderr.contains("--fields/--sort"), "\(by.stderr)")
        // An empty answer says so (on stderr: stdout stays the table); sql integers are data.
        let empty = try runGDArchive(["--db", db, "query", "severity > 100"])
        #expect(empty.stderr.contains("0 findings"), "\(empty.stderr)")
        #expect(!empty.stdout.contains("0 findings"))
        #expect(try runGDArchive(["--db", db, "sql", "SELECT 1234567 AS n"]).stdout.contains("1234567"))
        // Status of an archive that does not exist: 66, as documented.
        #expect(try runGDArchive(["--db", tmp.path("missing.sqlite"), "status"]).status == 66)
    }
}

@Suite struct StrayFileTests {
    @Test func aFileThatIsNotJSONAtAllGetsOneNoteAndIsSkipped() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let generator = FindingGenerator(seed: 91)
        try tmp.write("tree/README.md", "# Exports\n\nSynced nightly from s3://bucket/AWSLogs.\n\n- one\n- two: three\n" + String(repeating: "more prose\n", count: 30))
        try tmp.write("tree/config.yaml", "---\nbucket: example\nregions:\n  - eu-west-1\n  - us-east-1\n")
        try tmp.write("tree/findings.jsonl", generator.finding(number: 1, version: 1) + "\n")
        // A JSON-lines file whose first line is broken keeps its error: it has JSON in it.
        try tmp.write("tree/broken-first.jsonl", "oops, not json\n" + generator.finding(number: 2, version: 1) + "\n")
        let result = try runGDArchive(["--db", db, "import", tmp.path("tree")])
        #expect(result.status == 65, "\(result.stderr)")
        let notes = result.stderr.split(separator: "\n").filter { $0.contains("note: not JSON; skipped, nothing in it was imported") }
        #expect(notes.count == 2, "\(result.stderr)")
        #expect(notes.contains { $0.contains("README.md:1: note:") } && notes.contains { $0.contains("config.yaml:1: note:") })
        #expect(!result.stderr.contains("Exports") && !result.stderr.contains("bucket"), "nothing of the files' content is printed")
        let errors = result.stderr.split(separator: "\n").filter { $0.contains(": error:") }
        #expect(errors.count == 1 && errors[0].contains("broken-first.jsonl:1:"), "\(result.stderr)")
        #expect(result.stderr.contains("2 new versions"))
        #expect(try runGDArchive(["--db", db, "sql", "SELECT count(*) FROM import_errors", "--format", "tsv"]).stdout == "count(*)\n1\n")
        // Read to its end, such a file is not opened again.
        let again = try runGDArchive(["--db", db, "import", tmp.path("tree")])
        #expect(!again.stderr.contains("not JSON"), "\(again.stderr)")
    }
}

/// Indicator values as analysts type them.
@Suite struct IndicatorValueTests {
    @Test func valuesAreNormalisedLikeTheStoredOnesAndOddHashesAreIndexed() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let finding = #"{"id":"dns1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00Z","service":{"count":1,"action":{"actionType":"DNS_REQUEST","dnsRequestAction":{"domain":"Evil.Example.COM."}}},"resource":{"malwareScan":{"sha256":"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"},"other":{"sha256":"Sekoia-Not-A-Hash"}}}"#
        _ = try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", finding + "\n")])
        func ids(_ filter: String) throws -> String {
            try runGDArchive(["--db", db, "query", filter, "--fields", "id", "--format", "tsv"]).stdout
        }
        for filter in ["domain = 'Evil.Example.COM.'", "domain = 'evil.example.com'", "ioc = 'EVIL.example.com.'", "domain in ('x', 'Evil.Example.COM.')",
                       "sha256 = 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789'",
                       "sha256 = 'ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789'",
                       "sha256 = 'Sekoia-Not-A-Hash'", "ioc = 'Sekoia-Not-A-Hash'"] {
            #expect(try ids(filter) == "id\ndns1\n", "\(filter)")
        }
        #expect(try ids("domain = 'evil.example.org'") == "id\n")
    }

    @Test func ipFieldsMatchANetworkInCIDRNotation() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let lines = [("near", "198.51.100.7"), ("far", "203.0.113.9"), ("v6", "2001:db8::1")].map { id, ip in
            #"{"id":"\#(id)","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00Z","service":{"count":1,"action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"\#(ip)"}}}}}"#
        }
        _ = try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", lines.joined(separator: "\n") + "\n")])
        func ids(_ filter: String) throws -> [String] {
            try runGDArchive(["--db", db, "query", filter, "--fields", "id", "--sort", "id", "--format", "tsv"]).stdout.split(separator: "\n").dropFirst().map(String.init)
        }
        #expect(try ids("remote_ip = '198.51.100.0/24'") == ["near"])
        #expect(try ids("remote_ip = '198.51.0.0/16' or remote_ip = '203.0.113.9/32'") == ["far", "near"])
        #expect(try ids("remote_ip != '198.51.100.0/24'") == ["far", "v6"])
        #expect(try ids("ioc = '2001:db8::/32'") == ["v6"])
        #expect(try ids("remote_ip = '0.0.0.0/0'") == ["far", "near"])
        let bad = try runGDArchive(["--db", db, "query", "remote_ip = '198.51.100.0/33'"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("not a network in CIDR notation"), "\(bad.stderr)")
    }
}

@Suite struct TimelineReachTests {
    @Test func withOnlySinceTheBucketsRunToNowEmptyOnesIncluded() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        // The fixtures end in early 2025: nothing in the last four weeks.
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        let result = try runGDArchive(["--db", db, "report", "timeline", "--since", "-4w", "--bucket", "week", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count >= 4 && rows.count <= 6, "\(rows.count) buckets")
        #expect(rows.allSatisfy { ($0["findings"] as? Int) == 0 })
        let start = try #require(rows.last?["bucket_start"] as? String)
        let last = try #require(Timestamp.parse(start))
        let now = Timestamp.nowMilliseconds()
        #expect(last <= now && now - last < 7 * 86_400_000, "the last bucket starts within the current week")
    }
}

@Suite struct TopGroupsTests {
    @Test func noneNeverTakesATopSlotAndTheTotalsStay() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("exports")])
        func rows(_ extra: [String]) throws -> [[Substring]] {
            try runGDArchive(["--db", db, "report", "by", "remote_ip", "--format", "tsv"] + extra).stdout
                .split(separator: "\n").dropFirst().map { $0.split(separator: "\t") }
        }
        let all = try rows([])
        #expect(all.contains { $0[0] == "(none)" }, "the fixtures have findings without a remote IP")
        let top = try rows(["--top", "2"])
        #expect(top.count == 4, "\(top)")
        #expect(top[0][0] != "(none)" && top[1][0] != "(none)" && top[2][0] == "(none)" && top[3][0] == "(other)", "\(top)")
        func total(_ rows: [[Substring]]) -> Int { rows.reduce(0) { $0 + (Int($1[1]) ?? 0) } }
        #expect(total(top) == total(all))
    }
}

/// Exit 0 means every finding in the input was stored: text in any Unicode encoding is read,
/// a file that is not findings gets one note and gives nothing of its content away, a file that
/// is not text is an error that says how to convert it.
@Suite struct InputEncodingTests {
    /// Five generated findings as one pretty-printed `{"findings":[…]}` page.
    static func page() -> String {
        let generator = FindingGenerator(seed: 53)
        return "{\n  \"findings\": [\n    " + (0..<5).map { generator.finding(number: $0, version: 1) }.joined(separator: ",\n    ") + "\n  ]\n}\n"
    }

    static func hashes(_ db: String) throws -> String {
        try runGDArchive(["--db", db, "sql", "SELECT hex(hash) FROM versions ORDER BY 1", "--format", "tsv"]).stdout
    }

    @Test func everyUnicodeEncodingAndJSONTextSequencesAreReadAsTheSameFindings() throws {
        let tmp = try TemporaryDirectory()
        let text = Self.page()
        let utf8 = try tmp.write("utf8.json", text)
        #expect(try runGDArchive(["--db", tmp.path("utf8.sqlite"), "import", utf8]).status == 0)
        let truth = try Self.hashes(tmp.path("utf8.sqlite"))
        #expect(truth.split(separator: "\n").count == 6)
        let generator = FindingGenerator(seed: 53)
        let sequence = (0..<5).map { "\u{1E}" + generator.finding(number: $0, version: 1) + "\n" }.joined()
        let forms: [(String, [UInt8])] = [
            ("powershell-utf16le-bom.json", [0xFF, 0xFE] + Array(text.data(using: .utf16LittleEndian)!)),
            ("utf16be-bom.json", [0xFE, 0xFF] + Array(text.data(using: .utf16BigEndian)!)),
            ("utf16le-no-bom.json", Array(text.data(using: .utf16LittleEndian)!)),
            ("utf32le-bom.json", [0xFF, 0xFE, 0x00, 0x00] + Array(text.data(using: .utf32LittleEndian)!)),
            ("utf32be-no-bom.json", Array(text.data(using: .utf32BigEndian)!)),
            ("doubled-bom.json", [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array(text.utf8)),
            ("jq-seq.json", Array(sequence.utf8)),
            ("utf16le-bom.json.gz", Gzip.compress([0xFF, 0xFE] + Array(text.data(using: .utf16LittleEndian)!))),
        ]
        for (name, bytes) in forms {
            let path = try tmp.write(name, bytes)
            let db = tmp.path(name + ".sqlite")
            let result = try runGDArchive(["--db", db, "import", path])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stderr.contains("5 new findings, 5 new versions"), "\(name): \(result.stderr)")
            #expect(try Self.hashes(db) == truth, "\(name)")
        }
    }

    @Test func aFileThatIsNotFindingsGetsOneNoteAndGivesNothingAway() throws {
        let tmp = try TemporaryDirectory()
        let secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
        try tmp.write("drop/credentials", "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = \(secret)\n")
        try tmp.write("drop/shadow", "root:\(secret):19000:0:99999:7:::\n")
        try tmp.write("drop/policy.yaml", "name: \(secret)\npolicy: |\n  {\n    \"Version\": \"2012-10-17\",\n    \"Statement\": []\n  }\nitems:\n  - {\"x\": \"\(secret)\"}\n  - [1, 2]\n")
        try tmp.write("drop/export.jsonl", FindingGenerator(seed: 3).finding(number: 1, version: 1) + "\n")
        let db = tmp.path("a.sqlite")
        let result = try runGDArchive(["--db", db, "import", tmp.path("drop")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("credentials:1: note: not JSON; skipped, nothing in it was imported"), "\(result.stderr)")
        #expect(result.stderr.contains("shadow:1: note: not JSON; skipped"), "\(result.stderr)")
        #expect(result.stderr.contains("policy.yaml:1: note: text and JSON with nothing of GuardDuty in it; skipped"), "\(result.stderr)")
        #expect(result.stderr.contains("1 new finding, 1 new version") && result.stderr.contains("3 skipped (not findings), 0 errors"), "\(result.stderr)")
        #expect(!result.stderr.contains(secret) && !result.stderr.contains("AKIA"))
        #expect(committedCount(db, "SELECT count(*) FROM import_errors") == 0)
        let dump = try runGDArchive(["--db", db, "sql", "SELECT * FROM import_errors UNION ALL SELECT path FROM source_files", "--format", "tsv"]).stdout
        #expect(!dump.contains(secret))
    }

    @Test func aFileThatIsNotTextIsAnErrorThatSaysHowToReadIt() throws {
        let tmp = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 61)
        try tmp.write("tree/blob.bin", (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try tmp.write("tree/latin1.json", Array("{\"title\":\"Zugriff \"".utf8) + [0xFC] + Array("ber\"}\n".utf8))
        try tmp.write("tree/findings.json.zst", [0x28, 0xB5, 0x2F, 0xFD, 0x04, 0x00, 0x51, 0x00, 0x00])
        let db = tmp.path("a.sqlite")
        let result = try runGDArchive(["--db", db, "import", tmp.path("tree")])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("blob.bin:1: error: not text: it is not UTF-8, UTF-16 or UTF-32"), "\(result.stderr)")
        #expect(result.stderr.contains("iconv -f ENCODING -t UTF-8"))
        #expect(result.stderr.contains("findings.json.zst:1: error: not text: it is compressed with zstd"), "\(result.stderr)")
        #expect(result.stderr.contains("3 errors"), "\(result.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM import_errors WHERE excerpt IS NULL AND kind = 'not-text'") == 2)
        #expect(committedCount(db, "SELECT count(*) FROM import_errors") == 3, "the Latin-1 JSON is an error of its line, as before")
    }

    @Test func aLinkThatLeadsOutOfTheTreeIsNotFollowed() throws {
        let tmp = try TemporaryDirectory()
        let generator = FindingGenerator(seed: 67)
        try tmp.write("drop/in.jsonl", generator.finding(number: 1, version: 1) + "\n")
        let outside = try tmp.write("private/findings.jsonl", generator.finding(number: 2, version: 1) + "\n")
        let secret = try tmp.write("private/credentials", "[default]\naws_secret_access_key = EXAMPLESECRET\n")
        #expect(symlink(outside, tmp.path("drop/linked.jsonl")) == 0)
        #expect(symlink(secret, tmp.path("drop/credentials")) == 0)
        #expect(symlink(tmp.path("drop/in.jsonl"), tmp.path("drop/inside-link.jsonl")) == 0)
        let db = tmp.path("a.sqlite")
        let result = try runGDArchive(["--db", db, "import", tmp.path("drop")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("linked.jsonl: note: skipped: a symbolic link that leads out of the folder being imported"), "\(result.stderr)")
        #expect(result.stderr.contains("credentials: note: skipped: a symbolic link that leads out"), "\(result.stderr)")
        #expect(result.stderr.contains("name it on the command line to import it"))
        #expect(!result.stderr.contains("EXAMPLESECRET"))
        #expect(committedCount(db, "SELECT count(*) FROM findings") == 1, "the link inside the tree is the same file")
        // Named on the command line, the link is read.
        let named = try runGDArchive(["--db", db, "import", tmp.path("drop/linked.jsonl")])
        #expect(named.status == 0, "\(named.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM findings") == 2)
    }
}

/// One forged later version must not hide a real finding from every default answer.
@Suite struct ForgedVersionTests {
    static let real = #"{"id":"real1","accountId":"111122223333","region":"eu-west-1","type":"Recon:EC2/PortProbeUnprotectedPort","severity":8,"updatedAt":"2025-03-01T00:00:00.000Z","service":{"count":3,"archived":false,"additionalInfo":{"value":"{}","type":"default"}}}"#
    static let forged = #"{"id":"real1","accountId":"111122223333","region":"eu-west-1","type":"Recon:EC2/PortProbeUnprotectedPort","severity":8,"updatedAt":"2099-01-01T00:00:00.000Z","service":{"count":4,"archived":true,"additionalInfo":{"value":"{\"sample\":true}","type":"default","sample":true}}}"#

    @Test(arguments: [[real, forged], [forged, real]])
    func aVersionFromTheFutureIsNotTheLatestAndTheFindingStaysReal(order: [String]) throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        var stderr = ""
        for (i, line) in order.enumerated() {
            let result = try runGDArchive(["--db", db, "import", try tmp.write("in-\(i).json", line + "\n")])
            #expect(result.status == 0, "\(result.stderr)")
            stderr += result.stderr
        }
        #expect(stderr.contains("note: finding real1: its updatedAt 2099-01-01T00:00:00.000Z is more than a day ahead of this machine's clock: stored, but "), "\(stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM versions") == 2)
        #expect(committedCount(db, "SELECT count(*) FROM findings WHERE updated_at = '2025-03-01T00:00:00.000Z' AND archived = 0 AND sample = 0") == 1)
        // Every default answer still counts it.
        let summary = try runGDArchive(["--db", db, "report", "summary", "--format", "json"])
        #expect(summary.stdout.contains(#""findings":1"#), "\(summary.stdout)")
        let query = try runGDArchive(["--db", db, "query", "--fields", "id", "--format", "tsv"])
        #expect(query.stdout == "id\nreal1\n")
        // check and status say so.
        let check = try runGDArchive(["--db", db, "check"])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("notice: version") && check.stdout.contains("is dated 2099-01-01T00:00:00.000Z, more than a day ahead"), "\(check.stdout)")
        let status = try runGDArchive(["--db", db, "status", "--format", "json"])
        #expect(status.stdout.contains(#""versions_from_the_future":1"#), "\(status.stdout)")
    }

    @Test func aSampleFlagOnALaterVersionOfARealFindingIsNotTaken() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let later = Self.real.replacingOccurrences(of: "2025-03-01", with: "2025-03-02")
            .replacingOccurrences(of: #""additionalInfo":{"value":"{}","type":"default"}"#, with: #""additionalInfo":{"value":"{\"sample\":true}","type":"default","sample":true}"#)
        _ = try runGDArchive(["--db", db, "import", try tmp.write("a.json", Self.real + "\n")])
        let result = try runGDArchive(["--db", db, "import", try tmp.write("b.json", later + "\n")])
        #expect(result.status == 0)
        #expect(result.stderr.contains("its sample flag is set, but the finding was not a sample before: it stays a real finding"), "\(result.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM findings WHERE updated_at = '2025-03-02T00:00:00.000Z' AND sample = 0") == 1)
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
    }
}

/// check --deep recomputes every version's columns and indicators from its body: an edit in
/// place that check's invariants cannot see is found.
@Suite struct DeepCheckTests {
    @Test func columnAndIndicatorEditsAreFound() throws {
        let tmp = try TemporaryDirectory()
        let db = try generatedArchive(in: tmp, seed: 19, files: 8, findingsPerFile: 5)
        #expect(try runGDArchive(["--db", db, "check", "--deep"]).status == 0)
        // Versions that are not the latest, so that the findings' copies stay as they were.
        try executeSQL(db, "UPDATE versions SET severity = 1.0 WHERE version_id = (SELECT min(version_id) FROM versions WHERE version_id NOT IN (SELECT latest_version_id FROM findings))")
        try executeSQL(db, "UPDATE versions SET type = 'Benign:Nothing/ToSee', title = 'nothing' WHERE version_id = (SELECT max(version_id) FROM versions WHERE version_id NOT IN (SELECT latest_version_id FROM findings))")
        try executeSQL(db, "DELETE FROM version_indicators WHERE version_id = 3")
        let shallow = try runGDArchive(["--db", db, "check"])
        #expect(shallow.status == 0, "the invariants alone cannot see these: \(shallow.stdout)")
        let deep = try runGDArchive(["--db", db, "check", "--deep"])
        #expect(deep.status == 1)
        let problems = deep.stdout.split(separator: "\n").filter { $0.hasPrefix("problem: ") }
        #expect(problems.count == 3, "\(deep.stdout)")
        #expect(problems.contains { $0.contains("its severity column does not match its body") }, "\(deep.stdout)")
        #expect(problems.contains { $0.contains("its type, title columns do not match its body") }, "\(deep.stdout)")
        #expect(problems.contains { $0.contains("version 3 of finding") && $0.contains("its indicators do not match its body (missing: ") }, "\(deep.stdout)")
    }
}

/// A folder that holds the archive beside the exports (~/.local/share/gdarchive holds both) is
/// imported without reading the archive itself.
@Suite struct ArchiveInTheTreeTests {
    @Test func theArchiveAndItsFilesAreNotReadAsInput() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write("data/exports/findings.jsonl", FindingGenerator(seed: 23).finding(number: 1, version: 1) + "\n")
        let db = tmp.path("data/archive.sqlite")
        #expect(try runGDArchive(["--db", db, "import", tmp.path("data/exports")]).status == 0)
        let again = try runGDArchive(["--db", db, "import", "--rescan", tmp.path("data")])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("archive.sqlite: note: skipped: the archive being written"), "\(again.stderr)")
        #expect(!again.stderr.contains("not text"))
        let named = try runGDArchive(["--db", db, "import", db])
        #expect(named.status != 0 && named.stderr.contains("this is the archive being written"), "\(named.stderr)")
    }
}

@Suite struct BusyTimeoutTests {
    @Test(arguments: ["inf", "nan", "-5", "1e300", "soon"])
    func aBusyTimeoutThatIsNoNumberOfSecondsIsAWarningNotACrash(value: String) throws {
        let tmp = try TemporaryDirectory()
        let result = try runGDArchive(["--db", tmp.path("a.sqlite"), "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")],
                                      environment: ["GDARCHIVE_BUSY_TIMEOUT": value])
        #expect(result.status == 0, "\(value): \(result.stderr)")
        #expect(result.stderr.contains("GDARCHIVE_BUSY_TIMEOUT=\(value) is not a number of seconds from 0 to 86400; using 30"), "\(result.stderr)")
    }
}

@Suite struct DoubledSlashTests {
    @Test func aPathWithDoubledSlashesIsThePathWithOne() throws {
        let tmp = try TemporaryDirectory()
        let db = "/" + tmp.path("a.sqlite").replacingOccurrences(of: "/", with: "//")
        let result = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("archive \(tmp.path("a.sqlite"))"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: tmp.path("a.sqlite")))
        // HOME=/ makes the default archive //.local/…: the message names /.local/….
        let home = try runGDArchive(["status"], environment: ["HOME": "/", "XDG_DATA_HOME": ""])
        #expect(home.status == 66, "\(home.stderr)")
        #expect(home.stderr.contains("no archive at /.local/share/gdarchive/archive.sqlite"), "\(home.stderr)")
    }
}

@Suite struct EmptyFileTests {
    @Test(arguments: [["query"], ["status"], ["report", "summary"], ["check"], ["prune", "--older-than", "400d"]])
    func aCommandThatDoesNotImportLeavesAnEmptyFileEmpty(command: [String]) throws {
        let tmp = try TemporaryDirectory()
        let db = try tmp.write("empty.sqlite", "")
        let result = try runGDArchive(["--db", db] + command)
        #expect(result.status == 66, "\(command): \(result.stderr)")
        #expect(result.stderr.contains("no archive at \(db)"), "\(result.stderr)")
        #expect(((try? FileManager.default.attributesOfItem(atPath: db)[.size]) as? Int) == 0)
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"))
        // An import makes it an archive.
        #expect(try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")]).status == 0)
    }
}
