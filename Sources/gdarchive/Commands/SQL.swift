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

        @Option(help: ArgumentHelp("Stop the statement after this many seconds (default 300; 0: no limit).", valueName: "seconds"))
        var timeout: Double = 300

        @Option(help: ArgumentHelp("Stop the statement if SQLite needs more than this much memory for it (default 1024).", valueName: "MiB"))
        var maxMemory: Int64 = 1024

        /// Rows a table holds to align its columns; past them, a machine format streams.
        static let tableRowLimit = 100_000

        func validate() throws {
            if timeout < 0 { throw ValidationError("--timeout takes a number of seconds, 0 or more") }
            if maxMemory < 16 { throw ValidationError("--max-memory takes a number of MiB, 16 or more") }
        }

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .read)
            var limits = ReadOnlySQL.Limits()
            limits.timeout = timeout == 0 ? nil : timeout
            limits.memoryBytes = maxMemory << 20
            do {
                var columns: [String] = []
                if output.format == .table {
                    // A table aligns its columns over every row: bounded, with a way out.
                    var rows: [[Cell]] = []
                    try ReadOnlySQL.stream(statement, archivePath: archive.path, location: archive.readLocation, limits: limits,
                                           columns: { columns = $0 }) { row in
                        guard rows.count < Self.tableRowLimit else {
                            throw SQLRefusal(description: "more than \(Self.tableRowLimit) rows: a table holds them all to align its columns; use --format csv, tsv or jsonl, which stream, or add a LIMIT")
                        }
                        rows.append(row.map(RowRenderer.forTable))  // held cut: memory bounded by the row count
                    }
                    Terminal.out(RowRenderer.render(RowSet(columns: columns, rows: rows), as: .table, groupThousands: false))
                    return
                }
                // Every other format streams: memory stays flat however many rows there are.
                var out = BufferedOutput()
                var first = true
                try ReadOnlySQL.stream(statement, archivePath: archive.path, location: archive.readLocation, limits: limits,
                                       columns: { names in
                                           columns = names
                                           out.write(RowRenderer.streamStart(columns: names, as: output.format))
                                       }) { row in
                    out.write(RowRenderer.streamRow(row, columns: columns, as: output.format, first: first, cells: output.cells))
                    first = false
                }
                out.write(RowRenderer.streamEnd(as: output.format))
                out.flush()
            } catch {
                throw Terminal.fail(error)
            }
        }
    }
}
