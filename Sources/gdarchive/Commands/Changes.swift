import ArgumentParser
import GDArchiveReport
import GDArchiveStore

extension GDArchiveCommand {
    struct Changes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What imports changed: new findings, recurrences, escalations, archivings, never-seen indicators.",
            discussion: """
                One line per change, in the order the imports stored them: kind (new, recurred, \
                escalated, deescalated, archived, unarchived, new_indicator), the finding's id, \
                account, Region, type, title, severity and label, updatedAt, the import's number, \
                and the kind's own fields (count, previous_count, count_increase; \
                previous_severity and its label; indicator_kind and value). A version delivered \
                again, or an older one filled in late, changes nothing. Without --import, --last \
                or --since: the last completed import.
                """)

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .customLong("import"), help: ArgumentHelp("The changes of this import run (its number, as `status` and `--log-format json` show it).", valueName: "N"))
        var importRun: Int64?

        @Flag(help: "The changes of the last completed import (the default).")
        var last = false

        @Option(parsing: .unconditional, help: ArgumentHelp("The changes of the imports started at or after this (a timestamp or -7d, -24h, …).", valueName: "time"))
        var since: String?

        @Flag(help: "Include GuardDuty-generated sample findings (left out otherwise).")
        var includeSamples = false

        @Argument(help: "A filter over the changed version's fields, as for `gdarchive query` (`severity >= high`).") var filter: String?

        func validate() throws {
            if [importRun != nil, last, since != nil].filter({ $0 }).count > 1 {
                throw ValidationError("choose one of --import, --last and --since")
            }
        }

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .read)
            let selection: ChangeFeed.Selection = importRun.map { .run($0) } ?? since.map { .since($0) } ?? .lastRun
            var request = QueryRequest(filter: filter)
            request.checkPath = Terminal.pathChecker(archive)
            request.pathShape = Terminal.pathShape
            request.includeSamples = includeSamples
            do {
                try Terminal.refreshDerivedData(archive)
                try Self.print(selection, request: request, on: archive, format: output.format, cells: output.cells)
            } catch let error as QueryRequestError {
                Terminal.err(error.description)
                throw ExitCode.validationFailure
            } catch {
                throw Terminal.fail(error)
            }
        }

        /// Prints the changes: a table holds its rows to align them, the other formats stream.
        static func print(_ selection: ChangeFeed.Selection, request: QueryRequest, on archive: Archive, format: OutputFormat,
                          cells: CellEscaping = .spreadsheetSafe) throws {
            let columns = ChangeFeed.columns
            if format == .table {
                var rows: [[Cell]] = []
                try archive.read { try ChangeFeed.stream(selection, request: request, in: $0) { rows.append($0) } }
                Terminal.out(RowRenderer.render(RowSet(columns: columns, rows: rows), as: .table))
                return
            }
            var out = BufferedOutput()
            out.write(RowRenderer.streamStart(columns: columns, as: format))
            var rows = 0
            try archive.read { reader in
                try ChangeFeed.stream(selection, request: request, in: reader) { row in
                    out.write(RowRenderer.streamRow(row, columns: columns, as: format, first: rows == 0, cells: cells))
                    rows += 1
                }
            }
            out.write(RowRenderer.streamEnd(as: format))
            out.flush()
        }
    }
}
