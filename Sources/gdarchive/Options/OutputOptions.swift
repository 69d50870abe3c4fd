import ArgumentParser
import GDArchiveReport

extension OutputFormat: ExpressibleByArgument {}

/// `--format`, for every command that prints rows.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("How to print the results.", valueName: "format"))
    var format: OutputFormat = .table
}
