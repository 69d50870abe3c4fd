import ArgumentParser
import GDArchiveReport

extension OutputFormat: ExpressibleByArgument {}

/// `--format`, for every command that prints rows.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("How to print the results.", valueName: "format"))
    var format: OutputFormat = .table

    @Flag(help: "CSV/TSV: write text cells exactly as stored. By default a cell starting with =, +, -, @, a tab or CR gets a ' in front and invisible characters are escaped, so that the file is safe to open in a spreadsheet.")
    var rawCells = false

    var cells: CellEscaping { rawCells ? .raw : .spreadsheetSafe }
}
