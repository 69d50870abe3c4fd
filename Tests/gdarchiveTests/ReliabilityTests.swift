import Foundation
import GDArchiveTestSupport
import GRDB
import Testing

@Suite(.serialized) struct ArchiveFaultTests {
    /// Runs the binary as the unprivileged user `nobody` (root ignores file permissions).
    static let canActAsNobody = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    static let nobodyMissing: Comment = "needs root and setpriv to act as an unprivileged user"

    func runAsNobody(_ arguments: [String]) throws -> CommandResult {
        try #require(Self.canActAsNobody, Self.nobodyMissing)
        return try runProgram("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Paths.binary.path] + arguments,
                              environment: ["HOME": "/tmp"])
    }

    @Test(.enabled(if: ArchiveFaultTests.canActAsNobody, ArchiveFaultTests.nobodyMissing))
    func aReadOnlyArchiveOrFolderIsRefusedAndLeftAlone() throws {
        let tmp = try TemporaryDirectory()
        chmod(tmp.url.path, 0o755)
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")]).status == 0)
        let input = try tmp.copyFixture("scenarios/findings-page-pretty.json")
        chmod(input, 0o644)
        chmod(db, 0o644)
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let result = try runAsNobody(["--db", db, "import", input])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("cannot be written"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        // A new archive in a folder nobody may write in.
        let denied = try runAsNobody(["--db", tmp.path("new.sqlite"), "import", input])
        #expect(denied.status == 73)
        #expect(denied.stderr.contains("cannot create the archive"))
        // An archive others may read gets a warning (findings describe weak spots).
        let status = try runGDArchive(["--db", db, "status", "--format", "json"])
        #expect(status.status == 0)
        #expect(status.stderr.contains("is readable by other users (mode 644)"))
    }

    /// Evidence is often read from write-protected media or another user's folder: the
    /// reading commands open such an archive read-only, answer as they would with write
    /// access, and leave no file behind; writing commands are still refused (73).
    @Test(.enabled(if: ArchiveFaultTests.canActAsNobody, ArchiveFaultTests.nobodyMissing))
    func anArchiveTheUserMayNotWriteCanStillBeRead() throws {
        let tmp = try TemporaryDirectory()
        chmod(tmp.url.path, 0o755)
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.copyFixture("exports")]).status == 0)
        chmod(db, 0o644)
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let id = try #require(try runGDArchive(["--db", db, "query", "--fields", "id", "--format", "tsv", "--limit", "1"]).stdout
            .split(separator: "\n").dropFirst().first)
        let reads: [[String]] = [
            ["report", "summary"], ["report", "by", "resource_type", "--format", "csv"], ["report", "timeline", "--bucket", "week"],
            ["query", "severity >= 4", "--format", "jsonl"], ["query", "--all-versions", "--raw"], ["show", String(id)],
            ["check"], ["sql", "SELECT count(*) AS n FROM finding_versions", "--format", "csv"],
        ]
        for read in reads {
            let asNobody = try runAsNobody(["--db", db] + read)
            #expect(asNobody.status == 0, "\(read): \(asNobody.stderr)")
            #expect(asNobody.stdout == (try runGDArchive(["--db", db] + read)).stdout, "\(read)")
        }
        let refused = try runAsNobody(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        #expect(refused.status == 73)
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).filter { $0.hasPrefix("a.sqlite-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        // While a user who may write has it open, its WAL index is theirs (0600 here): the
        // reader is told to try again later (75), not that it cannot write.
        var config = Configuration()
        config.journalMode = .wal
        let writer = try DatabaseQueue(path: db, configuration: config)
        try writer.write { db in try db.execute(sql: "CREATE TABLE scratch (x)") }
        chmod(db + "-wal", 0o600)
        chmod(db + "-shm", 0o600)
        let busy = try runAsNobody(["--db", db, "report", "summary"])
        #expect(busy.status == 75, "\(busy.stderr)")
        #expect(busy.stderr.contains("an import by a user who may write it is running"), "\(busy.stderr)")
        try writer.write { db in try db.execute(sql: "DROP TABLE scratch") }
        try writer.close()
        // Indicators extracted by an older gdarchive cannot be refreshed: answered from them,
        // with a warning.
        try DatabaseQueue(path: db, configuration: config).write { db in
            try db.execute(sql: "UPDATE derived_state SET version = version - 1 WHERE name = 'indicators'")
        }
        let stale = try runAsNobody(["--db", db, "query", "ioc like '%'", "--format", "csv"])
        #expect(stale.status == 0)
        #expect(stale.stderr.contains("its indicators were extracted by an older gdarchive"), "\(stale.stderr)")
        // One from an older gdarchive (a migration not recorded) cannot be read without
        // migrating it, which a read-only archive cannot take: a message says what to do.
        try DatabaseQueue(path: db, configuration: config).write { db in
            try db.execute(sql: "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
        }
        let older = try runAsNobody(["--db", db, "report", "summary"])
        #expect(older.status == 73)
        #expect(older.stderr.contains("can only be read here, and it was written by an older gdarchive"), "\(older.stderr)")
    }

    @Test func anArchiveLockedByAnotherProgramGetsItsOwnMessage() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")]).status == 0)
        // Another program takes SQLite's write lock and keeps it.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            time.sleep(30)
            """, db]
        let out = Pipe()
        holder.standardOutput = out
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }  // SIGKILL: children of the test runner may have SIGTERM blocked
        _ = out.fileHandleForReading.availableData  // "locked"
        let result = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/findings-page-pretty.json")],
                                      environment: ["GDARCHIVE_BUSY_TIMEOUT": "1"])
        #expect(result.status == 75)
        #expect(result.stderr.contains("locked by another program (not a gdarchive import)"))
    }

    @Test func aNewerOrTamperedArchiveIsRefusedUnchanged() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")]).status == 0)
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in try db.execute(sql: "INSERT INTO schema_migrations VALUES (99, 'future', 'x', '2030-01-01')") }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        for arguments in [["status"], ["import", try tmp.copyFixture("scenarios/findings-page-pretty.json")], ["query"]] {
            let result = try runGDArchive(["--db", db] + arguments)
            #expect(result.status == 76)
            #expect(result.stderr.contains("was written by a newer gdarchive"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }
}

@Suite(.serialized) struct ConcurrentAccessTests {
    @Test func readersSeeConsistentSnapshotsDuringAnImport() throws {
        let tmp = try TemporaryDirectory()
        let tree = tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 21).writeExportTree(at: tree, files: 40, findingsPerFile: 300)
        let db = tmp.path("a.sqlite")
        let process = makeProcess(["--db", db, "import", "--quiet", tree.path])
        try process.run()
        var snapshots = 0
        var config = Configuration()
        config.readonly = true
        while process.isRunning {
            guard FileManager.default.fileExists(atPath: db), let queue = try? DatabaseQueue(path: db, configuration: config) else { usleep(2000); continue }
            // Within one read transaction, every counter agrees with every other.
            let row = try? queue.read { db in
                try Row.fetchOne(db, sql: """
                    SELECT (SELECT count(*) FROM versions) AS versions,
                           (SELECT coalesce(sum(version_count), 0) FROM findings) AS counted,
                           (SELECT coalesce(sum(new_versions), 0) FROM import_runs) AS reported,
                           (SELECT count(DISTINCT version_id) FROM sightings) AS seen
                    """)
            }
            if let row {
                let versions: Int = row["versions"]
                #expect(versions == row["counted"] as Int)
                #expect(versions == row["reported"] as Int)
                #expect(versions == row["seen"] as Int)
                if versions > 0 { snapshots += 1 }
            }
            usleep(5000)
        }
        #expect(process.terminationStatus == 0)
        #expect(snapshots > 3, "too few snapshots taken mid-import")
    }

    /// Creating an archive races: the first switches it to WAL while the other opens it.
    /// (Started from one shell so that they really start together.)
    @Test func importsCreatingTheSameArchiveTogetherAllSucceed() throws {
        let tmp = try TemporaryDirectory()
        let exports = try tmp.copyFixture("exports")
        let binary = Paths.binary.path
        for round in 0..<10 {
            let db = tmp.path("a\(round).sqlite")
            let importing = "\"\(binary)\" --db \"\(db)\" import --quiet --wait 60 \"\(exports)\""
            let script = "\(importing) & a=$!; \(importing) & b=$!; wait $a; sa=$?; wait $b; echo \"$sa $?\""
            let result = try runProgram("/bin/bash", ["-c", script])
            #expect(result.stdout == "0 0\n", "round \(round): \(result.stderr)")
            #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        }
    }

    @Test func twoImportsStartedTogetherNeverDoubleStore() throws {
        let tmp = try TemporaryDirectory()
        let tree = tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 22).writeExportTree(at: tree, files: 16, findingsPerFile: 200)
        let db = tmp.path("a.sqlite")
        let a = makeProcess(["--db", db, "import", "--quiet", "--wait", "120", tree.path])
        let b = makeProcess(["--db", db, "import", "--quiet", "--wait", "120", tree.path])
        try a.run()
        try b.run()
        a.waitUntilExit()
        b.waitUntilExit()
        #expect(a.terminationStatus == 0 && b.terminationStatus == 0)
        let clean = tmp.path("clean.sqlite")
        #expect(try runGDArchive(["--db", clean, "import", "--quiet", tree.path]).status == 0)
        let sql = "SELECT hex(hash) FROM versions ORDER BY 1"
        #expect(try runGDArchive(["--db", db, "sql", sql]).stdout == runGDArchive(["--db", clean, "sql", sql]).stdout)
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
    }
}

@Suite struct ReadOnlyUseTests {
    /// Reading an archive must leave its file as it was, byte for byte: its hash is what a
    /// chain of custody or a backup compares. (GRDB's WAL set-up created and dropped a table
    /// at every opening, so that each query rewrote the file's header.)
    @Test func readingCommandsLeaveTheArchiveFileByteIdentical() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("exports")])
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let modified = try FileManager.default.attributesOfItem(atPath: db)[.modificationDate] as? Date
        let id = try #require(try runGDArchive(["--db", db, "query", "--fields", "id", "--format", "tsv", "--limit", "1"]).stdout
            .split(separator: "\n").dropFirst().first)
        let reads: [[String]] = [
            ["query", "severity >= 4", "--format", "jsonl"], ["query", "--all-versions", "--raw"],
            ["report", "summary"], ["report", "by", "resource_type"], ["report", "timeline", "--bucket", "week"],
            ["report", "html"], ["show", String(id)], ["status"], ["check"], ["fields"],
            ["sql", "SELECT count(*) FROM versions"], ["backup", tmp.path("copy.sqlite")],
        ]
        for read in reads {
            let result = try runGDArchive(["--db", db] + read)
            #expect(result.status == 0, "\(read): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before, "a reading command changed the archive file")
        #expect(try FileManager.default.attributesOfItem(atPath: db)[.modificationDate] as? Date == modified)
    }
}
