import ArgumentParser
import GDArchiveReport

extension GDArchiveCommand {
    struct Fields: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the short fields of the filter language with their types, JSON paths and meaning.")

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            Terminal.out(RowRenderer.render(FieldListing.rows(), as: output.format))
        }
    }
}
