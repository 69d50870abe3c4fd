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
