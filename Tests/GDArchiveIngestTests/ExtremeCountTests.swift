import Foundation
import GDArchiveIngest
import GDArchiveJSON
import GDArchiveStore
import GDArchiveTestSupport
import Testing

/// A count no finding has (2^63 - 1, a negative one) is stored as unknown, so reports never
/// overflow; an archive that stored one before is told by check and mended by check --repair.
@Suite struct ExtremeCountTests {
    static func lines() -> [String] {
        let generator = FindingGenerator(seed: 71)
        return (0..<6).map { n in
            let line = generator.finding(number: n, version: 2)
            switch n {
            case 0: return line.replacingOccurrences(of: #""count":\d+"#, with: #""count":9223372036854775807"#, options: .regularExpression)
            case 1: return line.replacingOccurrences(of: #""count":\d+"#, with: #""count":-5"#, options: .regularExpression)
            default: return line
            }
        }
    }

    static func reportsRun(_ db: String) throws {
        for command in [["report", "summary"], ["report", "by", "type"], ["report", "by", "account_id", "--measure", "occurrences"],
                        ["report", "html"], ["query", "count > 0"]] {
            let result = try runGDArchive(["--db", db] + command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
    }

    @Test func anImplausibleCountIsStoredAsUnknownAndTheBodyKeepsIt() throws {
        let tmp = try TemporaryDirectory()
        let file = try tmp.write("extreme.jsonl", Self.lines().joined(separator: "\n") + "\n")
        let db = tmp.path("a.sqlite")
        let imported = try runGDArchive(["--db", db, "import", file])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(committedCount(db, "SELECT count(*) FROM versions WHERE count IS NULL") == 2)
        #expect(committedCount(db, "SELECT count(*) FROM versions WHERE occurrences < 0") == 0)
        let raw = try runGDArchive(["--db", db, "sql", "SELECT body FROM finding_versions WHERE count IS NULL ORDER BY body", "--format", "tsv"]).stdout
        #expect(raw.contains(#""count":9223372036854775807"#) && raw.contains(#""count":-5"#))
        try Self.reportsRun(db)
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
    }

    @Test func anOlderArchiveIsToldAndMended() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        // As a gdarchive before the bound stored them.
        let archive = try Archive.open(path: db)
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        try archive.database.write { db in
            let writer = try ArchiveWriter(db: db, runID: run)
            let file = try writer.sourceFile(path: "/old.jsonl")
            for (line, text) in Self.lines().enumerated() {
                var record = try FindingExtractor.record(from: JSONParser.parse(Array(text.utf8)))
                if line == 0 { record.count = Int64.max }
                if line == 1 { record.count = -5 }
                _ = try writer.store(record, file: file, line: line + 1, recordIndex: 0)
            }
        }
        let check = try runGDArchive(["--db", db, "check"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("has count 9223372036854775807, outside 0…10^12"), "\(check.stdout)")
        #expect(check.stdout.contains("has count -5"), "\(check.stdout)")
        let repaired = try runGDArchive(["--db", db, "check", "--repair"])
        #expect(repaired.status == 0, "\(repaired.stdout)\(repaired.stderr)")
        #expect(repaired.stdout.contains("repair: 2 versions had a count outside 0…10^12, now unknown"), "\(repaired.stdout)")
        #expect(committedCount(db, "SELECT count(*) FROM findings WHERE count IS NULL") == 2)
        try Self.reportsRun(db)
    }
}
