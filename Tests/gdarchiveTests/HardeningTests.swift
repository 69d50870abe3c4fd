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
