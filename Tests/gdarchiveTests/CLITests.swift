import Foundation
import GDArchiveTestSupport
import GRDB
import Testing

/// Status JSON without `size_bytes`, which changes as SQLite checkpoints its WAL.
func withoutSize(_ json: String) -> String {
    json.replacingOccurrences(of: #""size_bytes":[0-9]+,"#, with: "", options: .regularExpression)
}

@Suite struct CLITests {
    @Test(arguments: [["--help"], ["import", "--help"], ["status", "--help"], ["query", "--help"], ["show", "--help"], ["fields", "--help"], ["sql", "--help"],
                      ["report", "--help"], ["report", "summary", "--help"], ["report", "by", "--help"], ["report", "timeline", "--help"], ["report", "html", "--help"],
                      ["check", "--help"], ["prune", "--help"], ["compact", "--help"], ["backup", "--help"], ["pull", "--help"], ["changes", "--help"]])
    func helpTextMatchesItsGoldenFile(arguments: [String]) throws {
        let result = try runGDArchive(arguments, environment: ["COLUMNS": "100"])
        #expect(result.status == 0)
        let name = (["gdarchive"] + arguments.dropLast()).joined(separator: "-") + "-help.txt"
        let mismatch = snapshotMismatch(of: result.stdout, named: name)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func theArchiveOptionWorksBeforeAndAfterTheSubcommand() throws {
        let tmp = try TemporaryDirectory()
        let fixture = try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")
        #expect(try runGDArchive(["--db", tmp.path("a.sqlite"), "import", fixture]).status == 0)
        #expect(try runGDArchive(["import", "--db", tmp.path("b.sqlite"), fixture]).status == 0)
        for name in ["a.sqlite", "b.sqlite"] {
            let before = try runGDArchive(["--db", tmp.path(name), "status", "--format", "json"])
            let after = try runGDArchive(["status", "--format", "json", "--db", tmp.path(name)])
            #expect(withoutSize(before.stdout) == withoutSize(after.stdout))
            #expect(before.stdout.contains(#""versions":3"#))
        }
    }

    @Test func importWritesNothingToStdoutAndOneSummaryLineToStderr() throws {
        let tmp = try TemporaryDirectory()
        let fixture = try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")
        let result = try runGDArchive(["--db", tmp.path("a.sqlite"), "import", fixture])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("import: 1 file, 3 records, 1 new finding, 3 new versions, 0 already stored, 0 skipped (not findings), 0 errors in ") == true)
        #expect(lines.first?.hasSuffix("; archive \(tmp.path("a.sqlite"))") == true)
        let again = try runGDArchive(["--db", tmp.path("a.sqlite"), "import", fixture])
        #expect(again.stderr.hasPrefix("import: 0 files (+1 unchanged, not read), 0 records") && again.stderr.contains("(nothing new)"))
        let rescan = try runGDArchive(["--db", tmp.path("a.sqlite"), "import", "--rescan", fixture])
        #expect(rescan.stderr.contains("0 new versions, 3 already stored") && rescan.stderr.contains("(nothing new)"))
        let quiet = try runGDArchive(["--db", tmp.path("a.sqlite"), "import", "--quiet", fixture])
        #expect(quiet.stderr.isEmpty)
    }

    @Test func exitStatusesAreDistinct() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/findings-page-pretty.json")]).status == 0)
        let rejected = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/line-3-cut-short.jsonl")])
        #expect(rejected.status == 65)
        #expect(rejected.stderr.contains("line-3-cut-short.jsonl:3: error: invalid JSON"))
        #expect(try runGDArchive(["--db", db, "import"]).status == 64)
        #expect(try runGDArchive(["--db", db, "import", "--no-such-flag", "x"]).status == 64)
        #expect(try runGDArchive(["--db", db, "status", "--format", "yaml"]).status == 64)
        let notSQLite = try tmp.write("notes.txt", "hello\n")
        let broken = try runGDArchive(["--db", notSQLite, "status"])
        #expect(broken.status == 76)
        #expect(broken.stderr.contains("is not an SQLite database"))
        // A folder, for reading and for writing (SQLite itself says "disk I/O error").
        for command in [["status"], ["import", notSQLite]] {
            let folder = try runGDArchive(["--db", tmp.url.path] + command)
            #expect(folder.status == 76, "\(command): \(folder.stderr)")
            #expect(folder.stderr.contains("is not an SQLite database; check the --db path"), "\(folder.stderr)")
        }
        let missing = try runGDArchive(["--db", tmp.path("absent.sqlite"), "status"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("no archive at"))
        #expect(!FileManager.default.fileExists(atPath: tmp.path("absent.sqlite")))
    }

    @Test func standardInputIsImportedWithADash() throws {
        let tmp = try TemporaryDirectory()
        let events = try String(contentsOf: Paths.fixtures.appendingPathComponent("scenarios/eventbridge-events.jsonl"), encoding: .utf8)
        let result = try runGDArchive(["--db", tmp.path("a.sqlite"), "import", "-"], stdin: Array(events.utf8))
        #expect(result.status == 0)
        #expect(result.stderr.contains("-:2: note: skipped: an EventBridge event"))
        #expect(result.stderr.contains("2 new versions"))
    }

    @Test func theDefaultArchiveFollowsXDGAndIsPrivate() throws {
        let tmp = try TemporaryDirectory()
        let fixture = try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")
        let env = ["XDG_DATA_HOME": tmp.path("data"), "HOME": tmp.path("home")]
        #expect(try runGDArchive(["import", fixture], environment: env).status == 0)
        let path = tmp.path("data/gdarchive/archive.sqlite")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        let status = try runGDArchive(["status", "--format", "json"], environment: env)
        #expect(status.stdout.contains(#""path":"\#(path)""#))
        let viaVariable = try runGDArchive(["status", "--format", "json"], environment: ["GDARCHIVE_DB": path])
        #expect(withoutSize(viaVariable.stdout) == withoutSize(status.stdout))
    }

    @Test func statusPrintsEveryFormat() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios", as: "scenarios")])
        let json = try runGDArchive(["--db", db, "status", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["findings"] as? Int == 11)
        #expect(object["versions"] as? Int == 14)
        #expect(object["files"] as? Int == 9)
        #expect(object["errors"] as? Int == 3)
        #expect(object["path"] as? String == db)
        let csv = try runGDArchive(["--db", db, "status", "--format", "csv"]).stdout.split(separator: "\r\n")
        #expect(csv.count == 2 && csv[0].hasPrefix("path,findings,versions,files"))
        let tsv = try runGDArchive(["--db", db, "status", "--format", "tsv"]).stdout.split(separator: "\n")
        #expect(tsv.count == 2 && tsv[1].hasPrefix(db + "\t11\t14\t9\t"))
        let jsonl = try runGDArchive(["--db", db, "status", "--format", "jsonl"]).stdout
        #expect(jsonl.hasPrefix("{\"path\":") && jsonl.filter { $0 == "\n" }.count == 1)
        let table = try runGDArchive(["--db", db, "status"]).stdout
        #expect(table.contains("findings") && table.contains("versions"))
    }
}
