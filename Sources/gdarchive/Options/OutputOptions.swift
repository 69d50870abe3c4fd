import ArgumentParser
import GDArchiveReport

extension OutputFormat: ExpressibleByArgument {}

/// `--format`, for every command that prints rows.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Output format: table, json, jsonl, csv or tsv.", valueName: "format"))
    var format: OutputFormat = .table
}
