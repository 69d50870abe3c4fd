import Foundation
import GDArchiveTestSupport
import GRDB
import Testing

@Suite(.serialized) struct CrashTests {
    /// What a clean run leaves in the archive: versions, latest versions, sightings.
    func content(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            try String.fetchAll(db, sql: "SELECT hex(hash) FROM versions ORDER BY 1")
                + String.fetchAll(db, sql: "SELECT f.id || ' ' || hex(v.hash) || ' ' || f.version_count FROM findings f JOIN versions v ON v.version_id = f.latest_version_id ORDER BY 1")
                + String.fetchAll(db, sql: "SELECT hex(v.hash) || ' ' || s.path || ':' || g.line FROM sightings g JOIN versions v USING (version_id) JOIN source_files s ON s.id = g.file_id ORDER BY 1")
        }
    }

    @Test func anImportKilledMidwayIsFinishedByTheNextRun() throws {
        let tmp = try TemporaryDirectory()
        let tree = tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 7).writeExportTree(at: tree, files: 80, findingsPerFile: 250)
        let clean = tmp.path("clean.sqlite")
        #expect(try runGDArchive(["--db", clean, "import", tree.path]).status == 0)
        let expected = try content(clean)
        #expect(expected.count > 0)

        let db = tmp.path("killed.sqlite")
        var killedMidway = false
        // Kill at a few points: as soon as the first file committed, and later.
        for target in [1, 30, 60] {
            let process = makeProcess(["--db", db, "import", "--quiet", tree.path])
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            var files = 0
            while process.isRunning && Date() < deadline {
                files = (try? filesCommitted(db)) ?? 0
                if files >= target { break }
                usleep(2_000)
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killedMidway = true
            }
            process.waitUntilExit()
            // The archive is consistent after each kill.
            let queue = try DatabaseQueue(path: db)
            #expect(try queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } == "ok")
            let orphans = try queue.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM findings f LEFT JOIN versions v ON v.version_id = f.latest_version_id WHERE v.version_id IS NULL OR v.finding_key != f.finding_key")
            }
            #expect(orphans == 0)
        }
        #expect(killedMidway, "the import finished before it could be killed; make the tree larger")
        let rerun = try runGDArchive(["--db", db, "import", tree.path])
        #expect(rerun.status == 0)
        #expect(try content(db) == expected)
    }

    func filesCommitted(_ path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: config)
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT coalesce(sum(files), 0) FROM import_runs") ?? 0 }
    }
}
