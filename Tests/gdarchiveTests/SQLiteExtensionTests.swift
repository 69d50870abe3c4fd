import Foundation
import GDArchiveTestSupport
import Testing

/// The loadable extension lets the sqlite3 shell read the views that carry bodies.
@Suite struct SQLiteExtensionTests {
    static let shell = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var library: URL { Paths.binary.deletingLastPathComponent().appendingPathComponent("libGDArchiveSQLite.so") }
    static let query = "SELECT version_id, body FROM finding_versions ORDER BY version_id"

    /// The bodies of every version of archive `db`, as the sqlite3 shell reads them with the
    /// extension (nil: the shell failed) and as `gdarchive sql` does.
    static func bodies(_ db: String, shell: String) throws -> (shell: [String]?, tool: [String]) {
        func bodies(_ json: String) throws -> [String] {
            (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []).map { $0["body"] as? String ?? "" }
        }
        let viaShell = try runProgram(shell, ["-json", db, ".load \(library.deletingPathExtension().path)", query])
        #expect(viaShell.status == 0, "\(viaShell.stderr)")
        return (viaShell.status == 0 ? try bodies(viaShell.stdout) : nil,
                try bodies(runGDArchive(["--db", db, "sql", query, "--format", "json"]).stdout))
    }

    @Test(.enabled(if: SQLiteExtensionTests.shell != nil, "the sqlite3 shell is not installed (apt-get install sqlite3)"))
    func theSQLiteShellReadsBodiesWithTheExtension() throws {
        let shell = try #require(Self.shell)
        try #require(FileManager.default.fileExists(atPath: Self.library.path), "libGDArchiveSQLite.so is built beside the binary")
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("exports")])
        // Without the extension the views cannot be read; with it, the bodies are those gdarchive reads.
        let without = try runProgram(shell, ["-json", db, Self.query])
        #expect(without.status != 0 && without.stderr.contains("gdarchive_body"))
        let bodies = try Self.bodies(db, shell: shell)
        #expect(bodies.shell?.count == 21)
        #expect(bodies.shell == bodies.tool)
    }

    @Test(.enabled(if: SQLiteExtensionTests.shell != nil, "the sqlite3 shell is not installed (apt-get install sqlite3)"))
    func theExtensionReadsBasesCompressedWithTheArchivesDictionary() throws {
        let shell = try #require(Self.shell)
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        // 1,200 findings: the first 1,000 bases train the dictionary, the last 200 use it.
        let tree = URL(fileURLWithPath: tmp.path("tree"))
        try FindingGenerator(seed: 5).writeExportTree(at: tree, files: 4, findingsPerFile: 300)
        _ = try runGDArchive(["--db", db, "import", tree.path])
        #expect(try runGDArchive(["--db", db, "sql", "SELECT count(*) AS n FROM body_dictionaries", "--format", "csv"]).stdout.contains("\n1"))
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        let bodies = try Self.bodies(db, shell: shell)
        #expect(bodies.shell == bodies.tool)
        #expect(Set(bodies.tool).count == 1_200 && !bodies.tool.contains(""))

        // compact recompresses the 1,000 the dictionary was trained on; every body stays the same.
        let compact = try runGDArchive(["--db", db, "compact"])
        #expect(compact.status == 0)
        #expect(compact.stdout.hasPrefix("compact: recompressed 1,000 first versions; archive "), "\(compact.stdout)")
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
        #expect(try Self.bodies(db, shell: shell) == (bodies.tool, bodies.tool))
        #expect(try runGDArchive(["--db", db, "compact"]).stdout.hasPrefix("compact: recompressed 0 first versions;"))
    }
}
