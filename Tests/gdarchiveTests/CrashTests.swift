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

    /// SIGKILL at 20 points spread over an import (each rerun continues where the last one
    /// was killed, since finished files are not read again); after every kill the archive is
    /// consistent, and the final rerun reaches exactly the state of one clean import.
    @Test func anImportKilledAtTwentyPointsConvergesToACleanImport() throws {
        let tmp = try TemporaryDirectory()
        let tree = tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 7).writeExportTree(at: tree, files: 84, findingsPerFile: 150)
        let clean = tmp.path("clean.sqlite")
        #expect(try runGDArchive(["--db", clean, "import", tree.path]).status == 0)
        let expected = try content(clean)
        #expect(expected.count > 0)

        let db = tmp.path("killed.sqlite")
        var kills = 0
        for target in stride(from: 4, through: 80, by: 4) {  // 20 points
            let process = makeProcess(["--db", db, "import", "--quiet", tree.path])
            try process.run()
            waitUntilFilesCommitted(db, atLeast: target, while: process)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            let check = try runGDArchive(["--db", db, "check"])
            #expect(check.status == 0, "after the kill at \(target) files: \(check.stdout)")
        }
        #expect(kills >= 15, "only \(kills) of 20 imports could be killed midway; make the tree larger")
        let rerun = try runGDArchive(["--db", db, "import", tree.path])
        #expect(rerun.status == 0)
        #expect(try content(db) == expected)
    }
}
