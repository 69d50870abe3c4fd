import Foundation
import GDArchiveTestSupport
import Testing

/// The loadable extension lets the sqlite3 shell read the views that carry bodies.
@Suite struct SQLiteExtensionTests {
    static let shell = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var library: URL { Paths.binary.deletingLastPathComponent().appendingPathComponent("libGDArchiveSQLite.so") }

    @Test func theSQLiteShellReadsBodiesWithTheExtension() throws {
        guard let shell = Self.shell else {
            print("skipped: the sqlite3 shell is not installed (apt-get install sqlite3)")
            return
        }
        try #require(FileManager.default.fileExists(atPath: Self.library.path), "libGDArchiveSQLite.so is built beside the binary")
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("exports")])
        let query = "SELECT version_id, body FROM finding_versions ORDER BY version_id"
        // Without the extension the views cannot be read; with it, the bodies are those gdarchive reads.
        let without = try runProgram(shell, ["-json", db, query])
        #expect(without.status != 0 && without.stderr.contains("gdarchive_body"))
        let with = try runProgram(shell, ["-json", db, ".load \(Self.library.deletingPathExtension().path)", query])
        #expect(with.status == 0, "\(with.stderr)")
        let viaShell = try JSONSerialization.jsonObject(with: Data(with.stdout.utf8)) as? [[String: Any]]
        let viaTool = try JSONSerialization.jsonObject(with: Data(runGDArchive(["--db", db, "sql", query, "--format", "json"]).stdout.utf8)) as? [[String: Any]]
        let bodies = { (rows: [[String: Any]]?) in (rows ?? []).map { $0["body"] as? String ?? "" } }
        #expect(bodies(viaShell).count == 21)
        #expect(bodies(viaShell) == bodies(viaTool))
    }

    @Test func theExtensionReadsBasesCompressedWithTheArchivesDictionary() throws {
        guard let shell = Self.shell else {
            print("skipped: the sqlite3 shell is not installed (apt-get install sqlite3)")
            return
        }
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        // 1,200 findings: the first 1,000 bases train the dictionary, the last 200 use it.
        let tree = URL(fileURLWithPath: tmp.path("tree"))
        try FindingGenerator(seed: 5).writeExportTree(at: tree, files: 4, findingsPerFile: 300)
        _ = try runGDArchive(["--db", db, "import", tree.path])
        #expect(try runGDArchive(["--db", db, "sql", "SELECT count(*) AS n FROM body_dictionaries", "--format", "csv"]).stdout.contains("\n1"))
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        let query = "SELECT version_id, body FROM finding_versions ORDER BY version_id"
        let with = try runProgram(shell, ["-json", db, ".load \(Self.library.deletingPathExtension().path)", query])
        #expect(with.status == 0, "\(with.stderr)")
        let viaShell = try JSONSerialization.jsonObject(with: Data(with.stdout.utf8)) as? [[String: Any]]
        let viaTool = try JSONSerialization.jsonObject(with: Data(runGDArchive(["--db", db, "sql", query, "--format", "json"]).stdout.utf8)) as? [[String: Any]]
        let bodies = { (rows: [[String: Any]]?) in (rows ?? []).map { $0["body"] as? String ?? "" } }
        #expect(bodies(viaShell).count == 1_200)
        #expect(bodies(viaShell) == bodies(viaTool))
        #expect(Set(bodies(viaShell)).count == 1_200 && !bodies(viaShell).contains(""))

        // compact recompresses the 1,000 the dictionary was trained on; every body stays the same.
        let compact = try runGDArchive(["--db", db, "compact"])
        #expect(compact.status == 0)
        #expect(compact.stdout.hasPrefix("compact: recompressed 1,000 first versions; archive "), "\(compact.stdout)")
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        let after = try JSONSerialization.jsonObject(with: Data(runGDArchive(["--db", db, "sql", query, "--format", "json"]).stdout.utf8)) as? [[String: Any]]
        #expect(bodies(after) == bodies(viaTool))
        #expect(try runGDArchive(["--db", db, "compact"]).stdout.hasPrefix("compact: recompressed 0 first versions;"))
    }
}
