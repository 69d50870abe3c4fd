import Foundation
import GDArchiveIngest
import GDArchiveJSON
import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

@Suite struct HostileInputTests {
    let generator = FindingGenerator(seed: 11)

    func good(_ n: Int) -> String { generator.finding(number: n, version: 1) }

    /// Every hostile file sits between good ones; each must give a clear path:line error (or
    /// be read correctly), lose nothing else, and never crash.
    @Test func hostileFilesLoseNothingElse() throws {
        let t = try TestArchive()
        var expectedGood = 0
        func goodLines(_ numbers: Range<Int>) -> String {
            expectedGood += numbers.count
            return numbers.map { good($0) + "\n" }.joined()
        }
        let dir = "hostile"
        // A UTF-8 BOM and CRLF line ends: fine.
        try t.tmp.write("\(dir)/bom-crlf.jsonl", [0xEF, 0xBB, 0xBF] + Array(goodLines(0..<2).replacingOccurrences(of: "\n", with: "\r\n").utf8))
        // Invalid UTF-8 inside a string on line 2.
        try t.tmp.write("\(dir)/bad-utf8.jsonl", Array(goodLines(2..<3).utf8) + Array(#"{"id":"x","accountId":"1","region":"r","title":"bad "#.utf8) + [0xFF, 0xFE] + Array("\"}\n".utf8) + Array(goodLines(3..<4).utf8))
        // A 20 MB single line: a real finding with a huge description, then a good line.
        let huge = #"{"id":"huge","accountId":"1","region":"r","description":"\#(String(repeating: "A", count: 20 * 1024 * 1024))"}"#
        expectedGood += 1
        try t.tmp.write("\(dir)/twenty-megabytes.jsonl", huge + "\n" + goodLines(4..<5))
        // JSON nested 100,000 levels deep.
        try t.tmp.write("\(dir)/deep.json", String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n" + goodLines(5..<6))
        // Numbers too large for a double, duplicate keys: stored exactly.
        expectedGood += 1
        try t.tmp.write("\(dir)/big-numbers-duplicate-keys.jsonl", #"{"id":"big","accountId":"1","region":"r","severity":5,"n":1e400,"m":123456789012345678901234567890,"k":1,"k":2}"# + "\n")
        // NaN and Infinity literals.
        try t.tmp.write("\(dir)/nan.jsonl", #"{"id":"nan","accountId":"1","region":"r","severity":NaN}"# + "\n" + goodLines(6..<7))
        // An empty file.
        try t.tmp.write("\(dir)/empty.jsonl", "")
        // ANSI escapes and control characters in strings: stored as they are.
        expectedGood += 1
        try t.tmp.write("\(dir)/ansi.jsonl", #"{"id":"ansi","accountId":"1","region":"r","title":"\u001b[31mred\u0007\u0000"}"# + "\n")
        // A FIFO inside a walked directory is skipped, not waited on.
        #expect(mkfifo(t.tmp.path("\(dir)/a-fifo"), 0o600) == 0)
        // A directory symlink loop.
        try FileManager.default.createSymbolicLink(atPath: t.tmp.path("\(dir)/loop"), withDestinationPath: t.tmp.path(dir))
        // A dangling symlink (an unreadable entry).
        try FileManager.default.createSymbolicLink(atPath: t.tmp.path("\(dir)/dangling.jsonl"), withDestinationPath: t.tmp.path("nowhere"))

        let summary = try t.importPaths([t.tmp.path(dir)])
        #expect(summary.counts.newVersions == expectedGood)
        #expect(try t.int("SELECT count(*) FROM versions") == expectedGood)
        let errors = t.diagnostics.filter { $0.severity == .error }.map(\.description)
        #expect(errors.contains { $0.hasPrefix(t.tmp.path("\(dir)/bad-utf8.jsonl") + ":2:") && $0.contains("invalid UTF-8") })
        #expect(errors.contains { $0.hasPrefix(t.tmp.path("\(dir)/deep.json") + ":1:") && $0.contains("nested deeper than 512") })
        #expect(errors.contains { $0.hasPrefix(t.tmp.path("\(dir)/nan.jsonl") + ":1:") && $0.contains("NaN and Infinity are not JSON") })
        #expect(errors.contains { $0.hasPrefix(t.tmp.path("\(dir)/dangling.jsonl") + ": error: cannot follow symbolic link") })
        #expect(t.diagnostics.contains { $0.severity == .warning && $0.path.hasSuffix("empty.jsonl") && $0.message.contains("empty input") })
        #expect(t.diagnostics.contains { $0.path.hasSuffix("a-fifo") && $0.message.contains("not a regular file") })
        #expect(t.diagnostics.contains { $0.message.contains("symbolic link loop") })
        // Exact numbers and both repeated keys survive.
        let big = try #require(try t.strings("SELECT body FROM finding_versions WHERE id = 'big'").first)
        #expect(big.contains(#""k":1,"k":2"#) && big.contains(#""n":1e400"#) && big.contains(#""m":1.2345678901234567890123456789e29"#))
        // The body keeps every character; indexed text columns end at a NUL (SQLite's C strings).
        #expect(try t.strings("SELECT title FROM versions WHERE id = 'ansi'") == ["\u{1b}[31mred\u{7}"])
        #expect(try t.strings("SELECT body FROM finding_versions WHERE id = 'ansi'").first?.contains(#""title":"\u001b[31mred\u0007\u0000""#) == true)
        #expect(try t.int("SELECT length(body) > 20000000 FROM finding_versions WHERE id = 'huge'") == 1)
        // Diagnostics show control characters visibly.
        let ansiLine = Diagnostic(severity: .error, path: "x", line: 1, message: "title \u{1b}[2J").description
        #expect(ansiLine == "x:1: error: title \\u{1b}[2J")
        #expect(try t.archive.check().isOK)
    }

    @Test func aFIFONamedExplicitlyIsRead() throws {
        let t = try TestArchive()
        let fifo = t.tmp.path("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let line = good(42) + "\n"
        Thread.detachNewThread {
            let fd = open(fifo, O_WRONLY)
            _ = line.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        let summary = try t.importPaths([fifo])
        #expect(summary.counts.newVersions == 1)
    }
}

@Suite struct FaultTests {
    @Test func aFullDiskRollsBackTheFileAndALaterRunCompletes() throws {
        let t = try TestArchive()
        let tree = t.tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 12).writeExportTree(at: tree, files: 8, findingsPerFile: 400)
        // Leave room for little more than the schema.
        let pages = try t.archive.database.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count")! }
        try t.archive.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages + 40)") }
        let error = #expect(throws: DatabaseError.self) { try t.importPaths([tree.path]) }
        #expect(error?.resultCode == .SQLITE_FULL)
        // What committed is whole; the file being imported left nothing behind.
        #expect(try t.archive.check().isOK)
        let partial = try t.int("SELECT count(*) FROM versions")
        #expect(partial % 400 == 0)
        #expect(try t.int("SELECT status = 'failed' FROM import_runs ORDER BY id DESC LIMIT 1") == 1)
        // With room again, the same import finishes the job.
        try t.archive.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        let summary = try t.importPaths([tree.path])
        #expect(try t.int("SELECT count(*) FROM versions") == 3200)
        #expect(summary.counts.newVersions == 3200 - partial)
        #expect(try t.archive.check().isOK)
    }
}

@Suite struct MutationFuzzTests {
    /// Real sample findings (or the fixtures' where the samples are absent), mutated by bit
    /// flips, cuts, splices and duplications, each between two untouched lines. Invariants: no
    /// crash; the untouched lines are always stored; a mutated line is either stored as a whole
    /// valid finding or rejected with an error; nothing partial; the archive passes check.
    @Test func mutatedFindingsNeverBreakTheInvariants() throws {
        var seeds: [String] = []
        if let samples = Paths.samples {
            let lines = try String(contentsOf: samples.appendingPathComponent("s3-export-lines/elastic-test-guardduty.jsonl"), encoding: .utf8)
            seeds = lines.split(separator: "\n").map(String.init).filter { $0.contains("\"id\"") }
        } else {
            print("note: \(Paths.samplesMissing); fuzzing generated findings instead")
        }
        let generator = FindingGenerator(seed: 13)
        seeds += (0..<5).map { generator.finding(number: $0, version: 1) }
        let seed: UInt64 = 0x5EED
        var rng = SplitMix(state: seed)
        let t = try TestArchive()
        let cases = 2500
        // Ten files of 250 cases (fewer errors a file than are stored), each case three lines:
        // an untouched finding, the mutated one, an untouched finding. A mutated line never
        // costs its neighbours, so one import tests what 2,500 separate imports did, in a
        // fraction of the time.
        let perFile = 250
        var files: [[UInt8]] = Array(repeating: [], count: cases / perFile)
        for n in 0..<cases {
            let before = generator.finding(number: 100_000 + n, version: 1)
            let after = generator.finding(number: 200_000 + n, version: 1)
            var bytes = Array(seeds[Int(rng.next() % UInt64(seeds.count))].utf8)
            let other = Array(seeds[Int(rng.next() % UInt64(seeds.count))].utf8)
            for _ in 0...(rng.next() % 3) {
                switch rng.next() % 4 {
                case 0: // flip a bit
                    let i = Int(rng.next() % UInt64(bytes.count))
                    bytes[i] ^= UInt8(1 << (rng.next() % 8))
                case 1: // cut
                    let i = Int(rng.next() % UInt64(bytes.count))
                    bytes = Array(bytes[..<i])
                case 2: // splice in part of another finding
                    let i = Int(rng.next() % UInt64(max(bytes.count, 1)))
                    let j = Int(rng.next() % UInt64(other.count))
                    bytes = Array(bytes.prefix(i)) + Array(other[j...])
                default: // duplicate a run
                    let i = Int(rng.next() % UInt64(bytes.count))
                    let len = Int(rng.next() % 64)
                    bytes.insert(contentsOf: bytes[i..<min(i + len, bytes.count)], at: i)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            bytes.removeAll { $0 == 0x0A }  // one line per case
            files[n / perFile] += Array((before + "\n").utf8) + bytes + Array(("\n" + after + "\n").utf8)
        }
        for (i, file) in files.enumerated() { try t.tmp.write("fuzz/cases-\(i).jsonl", file) }
        let summary = try t.importPaths([t.tmp.path("fuzz")])
        // Every mutated line (line 3n+2 of its file) is stored or rejected, or skipped as not
        // a finding.
        let accounted = Set(try t.strings("""
            SELECT s.path || ':' || g.line FROM sightings g JOIN source_files s ON s.id = g.file_id
            UNION SELECT s.path || ':' || e.line FROM import_errors e JOIN source_files s ON s.id = e.file_id
            """))
        let vanished = (0..<cases).map { t.tmp.path("fuzz/cases-\($0 / perFile).jsonl") + ":\(3 * ($0 % perFile) + 2)" }.filter { !accounted.contains($0) }
        #expect(vanished.count <= summary.counts.skipped, "seed \(seed): mutated lines neither stored nor rejected: \(vanished.prefix(5)) (\(summary.line))")
        let stored = summary.counts.newVersions + summary.counts.knownVersions - 2 * cases
        let rejected = summary.counts.errors
        // The untouched lines all landed.
        #expect(try t.int("SELECT count(*) FROM finding_versions WHERE id IN (SELECT id FROM findings) AND body LIKE '%Generated finding 1_____ version 1.%' OR body LIKE '%Generated finding 2_____ version 1.%'") == 2 * cases,
                "seed \(seed)")
        // Every stored version is a whole, valid finding whose hash matches its body.
        let report = try t.archive.check()
        #expect(report.isOK, "seed \(seed): \(report.problems.prefix(3))")
        for body in try t.strings("SELECT body FROM finding_versions") {
            let value = try JSONParser.parse(Array(body.utf8))
            #expect(CanonicalJSON.string(value) == body, "seed \(seed)")
        }
        #expect(rejected > cases / 2 && stored > 0, "seed \(seed): the mutations should both break and keep findings (stored \(stored), rejected \(rejected))")
    }
}

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
