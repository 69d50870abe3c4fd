import Foundation
import GDArchiveTestSupport
import GRDB
import Testing

/// Streams and signals: what a stream delivered is committed while it stays open, and
/// SIGINT/SIGTERM stop an import at any point (inside an input that never ends too).
@Suite(.serialized) struct StreamingStopTests {
    /// Versions visible to a reader of `db` (0 before the archive exists).
    func versions(_ db: String) -> Int { committedCount(db, "SELECT count(*) FROM versions") }

    /// Whether the import run has been recorded (the archive exists and the run started).
    func runStarted(_ db: String) -> Bool { committedCount(db, "SELECT count(*) FROM import_runs") > 0 }

    /// Polls an observable state until it holds; the bound only turns a hang into a failure.
    func eventually(_ what: Comment, _ condition: () -> Bool) {
        let bound = Date().addingTimeInterval(60)
        while !condition() && Date() < bound { usleep(20_000) }
        #expect(condition(), what)
    }

    /// Sends `signal` and waits for the process to end; a process still running after the
    /// bound is killed and reported.
    func stop(_ process: Process, with signal: Int32) -> Int32 {
        kill(process.processIdentifier, signal)
        let bound = Date().addingTimeInterval(20)
        while process.isRunning && Date() < bound { usleep(10_000) }
        #expect(!process.isRunning, "the import did not stop on signal \(signal)")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A running `gdarchive import -` of `db`, fed through the pipe returned with it.
    func startStreamImport(_ db: String, stderr: Any = FileHandle.nullDevice) throws -> (Process, Pipe) {
        let input = Pipe()
        let process = makeProcess(["--db", db, "import", "-"])
        process.standardInput = input
        process.standardError = stderr
        try process.run()
        return (process, input)
    }

    func status(_ db: String) throws -> String {
        try runGDArchive(["--db", db, "sql", "SELECT status FROM import_runs ORDER BY id DESC LIMIT 1", "--format", "tsv"]).stdout
    }

    @Test func whatAStreamDeliveredIsCommittedWhileItStaysOpenAndSIGTERMKeepsIt() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let generator = FindingGenerator(seed: 21)
        let lines = (0..<300).map { generator.finding(number: $0, version: 1) + "\n" }.joined()
        let input = Pipe(), err = Pipe()
        let process = makeProcess(["--db", db, "import", "-"])
        process.standardInput = input
        process.standardError = err
        try process.run()
        // 300 records, then the stream stays open and quiet (a consumer waiting for events).
        try input.fileHandleForWriting.write(contentsOf: Data(lines.utf8))
        eventually("the records a quiet stream delivered become visible while it is open") { versions(db) == 300 }
        #expect(process.isRunning)
        #expect(stop(process, with: SIGTERM) == 143)
        try? input.fileHandleForWriting.close()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.contains("300 records"), "\(stderr)")
        #expect(versions(db) == 300)
        #expect(try status(db) == "status\ninterrupted\n")
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
    }

    @Test func writersTakeTurnsWithAStreamThatNeverEnds() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let generator = FindingGenerator(seed: 23)
        let (stream, input) = try startStreamImport(db)
        defer { if stream.isRunning { kill(stream.processIdentifier, SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data((0..<100).map { generator.finding(number: $0, version: 1) + "\n" }.joined().utf8))
        eventually("the stream's first records are committed") { versions(db) == 100 }
        // A nightly import (and a second one after it) gets its turn while the stream stays
        // open, quiet or not: it waits at most until the stream's next commit.
        for round in 0..<2 {
            let file = try tmp.write("night\(round).jsonl", (0..<50).map { generator.finding(number: 1000 + 100 * round + $0, version: 1) }.joined(separator: "\n") + "\n")
            let night = try runGDArchive(["--db", db, "import", "--wait", "30", file])
            #expect(night.status == 0, "\(night.stderr)")
            #expect(versions(db) == 150 + 50 * round)
        }
        #expect(stream.isRunning)
        // The stream goes on where it was, with what the others stored taken into account: a
        // version they stored is not stored twice.
        try input.fileHandleForWriting.write(contentsOf: Data(((100..<200).map { generator.finding(number: $0, version: 1) + "\n" }
            + [generator.finding(number: 1000, version: 1) + "\n"]).joined().utf8))
        eventually("the stream's later records are committed") { versions(db) == 300 }
        try input.fileHandleForWriting.close()
        stream.waitUntilExit()
        #expect(stream.terminationStatus == 0)
        #expect(versions(db) == 300)
        #expect(committedCount(db, "SELECT count(*) FROM import_runs WHERE status = 'completed'") == 3)
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
    }

    @Test func anArchiveReplacedUnderAStreamStopsItLoudly() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite"), copy = tmp.path("copy.sqlite")
        let generator = FindingGenerator(seed: 24)
        let err = Pipe()
        let (stream, input) = try startStreamImport(db, stderr: err)
        defer { if stream.isRunning { kill(stream.processIdentifier, SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data((0..<50).map { generator.finding(number: $0, version: 1) + "\n" }.joined().utf8))
        eventually("the stream's first records are committed") { versions(db) == 50 }
        #expect(try runGDArchive(["--db", db, "backup", copy]).status == 0)
        try input.fileHandleForWriting.write(contentsOf: Data((50..<80).map { generator.finding(number: $0, version: 1) + "\n" }.joined().utf8))
        eventually("the stream's next records are committed") { versions(db) == 80 }
        // A restore with mv while the stream runs: it stops at its next commit, exit 75, and
        // says why; it never reports success for records that went to the file moved away.
        #expect(rename(copy, db) == 0)
        try input.fileHandleForWriting.write(contentsOf: Data((80..<100).map { generator.finding(number: $0, version: 1) + "\n" }.joined().utf8))
        let bound = Date().addingTimeInterval(60)
        while stream.isRunning && Date() < bound { usleep(20_000) }
        #expect(!stream.isRunning, "the stream noticed the replacement")
        try? input.fileHandleForWriting.close()
        stream.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stream.terminationStatus == 75, "\(stderr)")
        #expect(stderr.contains("was replaced or moved away while this command wrote to it"), "\(stderr)")
        // The restored archive is whole and usable: the backup's 50 versions.
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        #expect(versions(db) == 50)
    }

    @Test func sigkillAfterAQuietPeriodLosesNothingTheStreamDelivered() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let generator = FindingGenerator(seed: 22)
        let (process, input) = try startStreamImport(db)
        try input.fileHandleForWriting.write(contentsOf: Data((0..<300).map { generator.finding(number: $0, version: 1) + "\n" }.joined().utf8))
        eventually("the stream's records are committed") { versions(db) == 300 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(versions(db) == 300)
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func anInputThatNeverEndsStopsOnASignal(signal: Int32) throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let process = makeProcess(["--db", db, "import", "/dev/zero"])
        process.standardError = FileHandle.nullDevice
        try process.run()
        eventually("the import started") { runStarted(db) }
        #expect(stop(process, with: signal) == 128 + signal)
        #expect(try status(db) == "status\ninterrupted\n")
    }

    @Test func aFIFOWithNoWriterAndQuietStandardInputStopOnASignal() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let fifo = tmp.path("events.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let process = makeProcess(["--db", db, "import", fifo])
        process.standardError = FileHandle.nullDevice
        try process.run()
        eventually("the import started") { runStarted(db) }
        #expect(stop(process, with: SIGTERM) == 143)
        #expect(try status(db) == "status\ninterrupted\n")
        // Standard input that stays open and says nothing: stopped too, not `completed`.
        let input = Pipe()
        let idle = makeProcess(["--db", db, "import", "-"])
        idle.standardInput = input
        idle.standardError = FileHandle.nullDevice
        try idle.run()
        eventually("the second import started") {
            (try? runGDArchive(["--db", db, "sql", "SELECT count(*) FROM import_runs", "--format", "tsv"]).stdout) == "count(*)\n2\n"
        }
        #expect(stop(idle, with: SIGINT) == 130)
        try? input.fileHandleForWriting.close()
        #expect(try status(db) == "status\ninterrupted\n")
    }
}

/// JSON as other tools write it, unindented: nested values start in column 1.
@Suite struct UnindentedDocumentTests {
    static let python = ["/usr/bin/python3", "/usr/local/bin/python3", "/root/.pyenv/shims/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: UnindentedDocumentTests.python != nil, "python3 is not installed"))
    func pythonIndentZeroAndGoMarshalIndentLoseNothing() throws {
        let tmp = try TemporaryDirectory()
        let generator = FindingGenerator(seed: 31)
        let lines = (0..<300).map { generator.finding(number: $0, version: 1) }.joined(separator: "\n") + "\n"
        let source = try tmp.write("findings.jsonl", lines)
        // The real json module: one indent=0 document per finding, and all of them as one list.
        let script = """
            import json, sys
            findings = [json.loads(line) for line in open(sys.argv[1])]
            open(sys.argv[2], "w").write("\\n".join(json.dumps(f, indent=0) for f in findings) + "\\n")
            open(sys.argv[3], "w").write(json.dumps(findings, indent=0) + "\\n")
            # Go's MarshalIndent(v, "", "") breaks after every opening bracket and comma.
            def go(v):
                if isinstance(v, dict):
                    return "{\\n" + ",\\n".join(json.dumps(k) + ": " + go(x) for k, x in v.items()) + "\\n}" if v else "{}"
                if isinstance(v, list):
                    return "[\\n" + ",\\n".join(go(x) for x in v) + "\\n]" if v else "[]"
                return json.dumps(v)
            open(sys.argv[4], "w").write("\\n".join(go(f) for f in findings) + "\\n")
            """
        let run = try runProgram(try #require(Self.python), ["-c", script, source, tmp.path("indent0.json"), tmp.path("list.json"), tmp.path("go.json")])
        #expect(run.status == 0, "\(run.stderr)")
        for name in ["indent0.json", "list.json", "go.json"] {
            let db = tmp.path(name + ".sqlite")
            let result = try runGDArchive(["--db", db, "import", tmp.path(name)])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stderr.contains("300 new versions"), "\(name): \(result.stderr)")
            #expect(result.stderr.contains(" 0 errors"), "\(name): \(result.stderr)")
            // The same versions as the JSON lines they came from.
            let lines = tmp.path("lines.sqlite")
            if !FileManager.default.fileExists(atPath: lines) { _ = try runGDArchive(["--db", lines, "import", source]) }
            let hashes = "SELECT hex(hash) FROM versions ORDER BY 1"
            #expect(try runGDArchive(["--db", db, "sql", hashes]).stdout == runGDArchive(["--db", lines, "sql", hashes]).stdout, "\(name)")
        }
    }
}
