import ArgumentParser
import GDArchiveReport
import GDArchiveStore

extension GDArchiveCommand {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a finding's history: every version, how its count grew, and what changed.")

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The finding id.")
        var id: String

        @Flag(help: "Print every version's stored JSON (JSON lines), oldest first.")
        var raw = false

        @Flag(help: "Print every stored form of every version (the export's and the CLI's), with where each was seen (JSON lines).")
        var forms = false

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .read)
            let histories: [FindingHistory]
            do {
                histories = try FindingHistory.load(id: id, from: archive)
            } catch {
                throw Terminal.fail(error)
            }
            guard !histories.isEmpty else {
                let similar = (try? FindingHistory.ids(withPrefix: id, in: archive)) ?? []
                let shown = RowRenderer.visible(id)
                Terminal.err("gdarchive: error: no finding with id '\(shown)' in \(RowRenderer.visible(archive.path))")
                if !similar.isEmpty {
                    Terminal.err("hint: ids starting with '\(shown)': " + similar.map(RowRenderer.visible).joined(separator: ", "))
                }
                throw ExitCode(1)
            }
            if forms {
                do {
                    Terminal.out(try FindingHistory.formLines(id: id, from: archive).map { $0 + "\n" }.joined())
                } catch {
                    throw Terminal.fail(error)
                }
                return
            }
            if raw {
                Terminal.out(histories.flatMap(\.versions).map { $0.body + "\n" }.joined())
                return
            }
            if output.format == .table {
                for (i, history) in histories.enumerated() {
                    if i > 0 { Terminal.out("\n") }
                    let count = history.versions.count
                    let title = "finding \(history.id)  account \(history.accountId)  region \(history.region)"
                    Terminal.out(RowRenderer.visible(title) + "  \(count) version\(count == 1 ? "" : "s")\n\n")
                    Terminal.out(RowRenderer.render(history.rows(), as: .table))
                }
                return
            }
            var combined = RowSet(columns: ["account_id", "region", "id"], rows: [])
            for history in histories {
                let rows = history.rows()
                if combined.columns.count == 3 { combined.columns += rows.columns }
                combined.rows += rows.rows.map { [.text(history.accountId), .text(history.region), .text(history.id)] + $0 }
            }
            Terminal.out(RowRenderer.render(combined, as: output.format, cells: output.cells))
        }
    }
}
