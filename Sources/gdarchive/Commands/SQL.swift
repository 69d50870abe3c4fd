import ArgumentParser
import GDArchiveReport
import GDArchiveStore

extension GDArchiveCommand {
    struct SQL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sql",
            abstract: "Run one read-only SQL statement against the archive.",
            discussion: """
                Views for queries: latest_findings (one row per finding), finding_versions (every \
                version, with is_latest), finding_indicators (every indicator with its finding). \
                The connection is read-only: writes, ATTACH, writing pragmas and extension loading \
                are refused by SQLite itself.
                """)

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The SELECT statement.")
        var statement: String

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .read)
            do {
                let rows = try ReadOnlySQL.run(statement, archivePath: archive.path, location: archive.readLocation)
                Terminal.out(RowRenderer.render(rows, as: output.format, cells: output.cells))
            } catch {
                throw Terminal.fail(error)
            }
        }
    }
}
