import Foundation
import GDArchiveTestSupport
import Testing

/// The renovation's ratchet (README, Development): what a finished step moved into the Store
/// stays there. Each later step tightens these rules.
@Suite struct ArchitectureTests {
    /// Every Swift file under `Sources/<module>` (path, text).
    static func sources(of module: String) throws -> [(String, String)] {
        let root = Paths.packageRoot.appendingPathComponent("Sources/" + module)
        let walker = try #require(FileManager.default.enumerator(atPath: root.path))
        var files: [(String, String)] = []
        for case let name as String in walker where name.hasSuffix(".swift") {
            let path = root.appendingPathComponent(name).path
            files.append(("Sources/\(module)/\(name)", try String(contentsOfFile: path, encoding: .utf8)))
        }
        return files
    }

    /// The archive's tables and views, from the migrations (the schema's only truth).
    static func archiveTables() throws -> [String] {
        let folder = Paths.packageRoot.appendingPathComponent("Migrations")
        var names = Set<String>()
        let pattern = try NSRegularExpression(pattern: #"CREATE\s+(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)"#, options: [.caseInsensitive])
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".sql") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                names.insert((text as NSString).substring(with: match.range(at: 1)))
            }
        }
        return names.sorted()
    }

    /// Lines of `text` that match `pattern`, as `path:line: text`, comments left out.
    static func offending(_ files: [(String, String)], _ pattern: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern)
        var found: [String] = []
        for (path, text) in files {
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = String(line)
                if code.trimmingCharacters(in: .whitespaces).hasPrefix("//") { continue }
                if regex.firstMatch(in: code, range: NSRange(code.startIndex..., in: code)) != nil {
                    found.append("\(path):\(number + 1): \(code.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        return found
    }

    /// Step 1: the Store owns every write. Ingest and the CLI do not import GRDB, reach the
    /// connection, switch on SQLite's result codes, issue transactions or name a table.
    @Test func onlyTheStoreWritesTheArchive() throws {
        let files = try Self.sources(of: "GDArchiveIngest") + Self.sources(of: "gdarchive")
        #expect(files.count > 20, "the sources were found")
        let tables = try Self.archiveTables()
        #expect(tables.contains("versions") && tables.contains("source_files") && tables.contains("latest_findings"))
        let rules = try Self.stepOneRules()
        for (what, pattern) in rules {
            let found = try Self.offending(files, pattern)
            #expect(found.isEmpty, "\(what) outside the Store:\n\(found.joined(separator: "\n"))")
        }
    }

    /// Step 2: one snapshot per answer. Outside the Store nothing reaches the connection
    /// (readers go through `archive.read { reader in … }`), nothing imports SQLite's C API,
    /// finding histories and `gdarchive sql` name no table, and the HTML page reads once.
    @Test func everyAnswerIsOneSnapshot() throws {
        let outside = try ["GDArchiveIngest", "GDArchiveQuery", "GDArchiveReport", "gdarchive"].flatMap(Self.sources(of:))
        let connection = try Self.offending(outside, #"\.database\b"#) + Self.offending(outside, #"^\s*import\s+GRDBSQLite\b"#)
        #expect(connection.isEmpty, "outside the Store:\n\(connection.joined(separator: "\n"))")
        let tables = try Self.stepOneRules().last!.1
        let histories = try Self.offending(outside.filter { $0.0.hasSuffix("/FindingHistory.swift") || $0.0.contains("ReadOnlySQL") }, tables)
        #expect(histories.isEmpty, "\(histories.joined(separator: "\n"))")
        let page = try #require(outside.first { $0.0.hasSuffix("/HTMLReport.swift") })
        #expect(try Self.offending([page], #"\.read\s*\{"#).count == 1)
        #expect(try Self.offending([page], #"on: archive|from: archive"#).isEmpty)
    }

    /// Until steps 5 and 6 move the query, `report by` and timeline scans into the Store, only
    /// their three files in Report may import GRDB; anything new reads through the Store.
    @Test func noNewReportFileImportsGRDB() throws {
        let report = try Self.sources(of: "GDArchiveReport")
        let importing = try Self.offending(report, #"^\s*import\s+GRDB\b"#).map { String($0.split(separator: ":")[0]) }
        #expect(Set(importing).isSubset(of: ["Sources/GDArchiveReport/FindingQuery.swift", "Sources/GDArchiveReport/Reports.swift",
                                            "Sources/GDArchiveReport/Timeline.swift"]), "\(importing)")
    }

    /// What step 1 forbids outside the Store: what, and a pattern of the lines that do it.
    static func stepOneRules() throws -> [(String, String)] {
        [
            ("GRDB imported", #"^\s*(@testable\s+|internal\s+|public\s+|package\s+)?import\s+GRDB\b"#),
            ("the connection reached", #"\.database\b"#),
            ("SQLite's errors or result codes", #"DatabaseError|SQLITE_[A-Z]+"#),
            ("a transaction issued", #""(BEGIN( IMMEDIATE| EXCLUSIVE| DEFERRED)?|COMMIT|ROLLBACK)"|inTransaction\(|writeWithoutTransaction"#),
            ("an archive table named in SQL", #"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+("# + (try archiveTables()).joined(separator: "|") + #")\b"#),
        ]
    }

    @Test func theRatchetCatchesWhatItForbids() throws {
        // Each rule finds the line of its kind, and only that one.
        let lines = [
            "import GRDB",
            "try archive.database.read { _ in }",
            "catch let error as DatabaseError {}",
            #"try db.execute(sql: "COMMIT")"#,
            #"let sql = "SELECT size FROM source_files WHERE path = ?""#,
        ]
        let sample = [("x.swift", (lines + ["// FROM versions in a comment", "let text = \"read from versions\""]).joined(separator: "\n"))]
        for (index, (what, pattern)) in try Self.stepOneRules().enumerated() {
            #expect(try Self.offending(sample, pattern) == ["x.swift:\(index + 1): \(lines[index])"], "\(what)")
        }
    }
}
