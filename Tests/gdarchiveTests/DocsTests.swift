import Foundation
import GDArchiveReport
import GDArchiveTestSupport
import Testing

@Suite struct DocsTests {
    static let start = "<!-- fields:start (generated from FieldCatalog; GDARCHIVE_RECORD_SNAPSHOTS=1 swift test rewrites it) -->\n"
    static let end = "<!-- fields:end -->"

    @Test func theREADMEFieldTableIsTheCatalog() throws {
        let readme = Paths.packageRoot.appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let startRange = try #require(text.range(of: Self.start), "README.md lacks the fields markers")
        let endRange = try #require(text.range(of: Self.end, range: startRange.upperBound..<text.endIndex))
        let current = String(text[startRange.upperBound..<endRange.lowerBound])
        let expected = FieldListing.markdown()
        if current != expected && ProcessInfo.processInfo.environment["GDARCHIVE_RECORD_SNAPSHOTS"] == "1" {
            try (String(text[..<startRange.upperBound]) + expected + String(text[endRange.lowerBound...])).write(to: readme, atomically: true, encoding: .utf8)
            Issue.record("rewrote the README's field table; review and commit it")
            return
        }
        #expect(current == expected, "the README's field table is out of date: run GDARCHIVE_RECORD_SNAPSHOTS=1 swift test")
    }

    /// Splits a README command line as a shell would: words, '…' and "…" quotes, and a
    /// trailing `# comment`.
    static func words(_ line: String) -> [String] {
        var words: [String] = [], word = "", quote: Character?, inWord = false
        for c in line {
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == "#" && !inWord {
                break
            } else if c == " " {
                if inWord { words.append(word); word = ""; inWord = false }
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// Every example of a reading command in the README runs as written (on the bundled
    /// fixtures): `--since -90d` and `--since -1y` once failed with a usage error.
    @Test func theREADMEExamplesOfReadingCommandsRun() throws {
        let readme = try String(contentsOf: Paths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let examples = readme.split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("    gdarchive ") && !$0.contains("[") }
            .map { Self.words($0).dropFirst() }
            .filter { ["query", "report", "show", "sql", "status"].contains($0.first ?? "") }
        #expect(examples.count >= 15, "\(examples.count) examples found")
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", "--quiet", try tmp.copyFixture(".", as: "Fixtures")]).status == 65)
        for example in examples {
            let result = try runGDArchive(["--db", db] + example, currentDirectory: tmp.url)
            #expect(result.status == 0, "gdarchive \(example.joined(separator: " ")): \(result.stderr)")
        }
    }

    @Test func everySubcommandAndLongOptionIsInTheREADME() throws {
        let readme = try String(contentsOf: Paths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let help = try runGDArchive(["--help"]).stdout
        let subcommands = help.components(separatedBy: "SUBCOMMANDS:")[1].split(separator: "\n")
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.first?.isLetter == true && $0 != "See" }
        #expect(subcommands.count >= 6)
        for subcommand in subcommands {
            #expect(readme.contains("gdarchive \(subcommand)"), "README.md does not mention `gdarchive \(subcommand)`")
            let options = try runGDArchive([subcommand, "--help"]).stdout
            for match in options.matches(of: /--[a-z][a-z-]+/) {
                let option = String(match.output)
                if option == "--help" || option == "--version" { continue }
                #expect(readme.contains(option), "README.md does not mention \(option) of \(subcommand)")
            }
        }
    }
}
