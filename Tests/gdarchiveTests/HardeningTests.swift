import Foundation
import GDArchiveTestSupport
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
}

@Suite struct LinkedTreeTests {
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
        let db = tmp.path("a.sqlite")
        let tree = URL(fileURLWithPath: tmp.path("tree"))
        try FindingGenerator(seed: 51).writeExportTree(at: tree, files: 2, findingsPerFile: 1500)
        _ = try runGDArchive(["--db", db, "import", tree.path])
        // Far more output than a pipe holds; `head` closes after one line.
        let script = "\"$0\" --db \"$1\" query --all-versions --format jsonl 2>\"$2\" | head -1 >/dev/null; echo \"${PIPESTATUS[0]}\""
        let result = try runProgram("/bin/bash", ["-c", script, Paths.binary.path, db, tmp.path("err.txt")])
        #expect(result.stdout == "141\n", "\(result.stdout) \(result.stderr)")
        let stderr = try String(contentsOfFile: tmp.path("err.txt"), encoding: .utf8)
        #expect(!stderr.contains("Fatal error") && !stderr.contains("Crash"), "\(stderr)")
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
