import ArgumentParser
import Foundation
import GDArchiveIngest
import GDArchiveReport
import GDArchiveStore

extension TimeField: ExpressibleByArgument {}

extension GDArchiveCommand {
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List findings that match a filter.",
            discussion: """
                FILTER is SQL-like: severity >= 7 and resource_type = 'Instance' and updated_at > -7d. \
                Fields are the short names of `gdarchive fields` or any dotted path into the finding \
                (service.action.awsApiCallAction.api = 'GetSecretValue'). Operators: = != < <= > >=, \
                like, not like, in (…), not in (…), between … and …, is null, is not null, and, or, \
                not, parentheses. Values: 'text' ('' for a quote), numbers, true/false, timestamps \
                ('2024-05-01', '2024-05-01T12:00:00Z'), relative times (now, -30m, -24h, -7d, -2w, -1y), \
                severity labels (low, medium, high, critical).

                Prints the latest version of each finding unless --all-versions. Sample findings are \
                left out unless --include-samples (or the filter tests `sample`).
                """)

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The filter (all findings when omitted).")
        var filter: String?

        @Flag(help: "Every stored version, not only the latest of each finding.")
        var allVersions = false

        @OptionGroup var scope: ScopeOptions

        @Option(help: ArgumentHelp("Comma-separated fields to print (short fields, indicator kinds or dotted paths). Default: \(QueryRequest.defaultFields.joined(separator: ",")).", valueName: "a,b,c"))
        var fields: String?

        @Option(help: ArgumentHelp("The field to sort by, ascending unless --desc, as SQL's ORDER BY (default: --sort updated_at --desc, newest first).", valueName: "field"))
        var sort: String?

        @Flag(help: "Sort in descending order. Without --sort, the default order (newest first).")
        var desc = false

        @Flag(help: "Sort in ascending order. Without --sort, oldest first.")
        var asc = false

        @Option(parsing: .unconditional, help: ArgumentHelp("Print at most this many rows.", valueName: "n"))
        var limit: Int?

        @Flag(help: "Print the stored finding JSON itself (JSON lines, or a JSON array with --format json).")
        var raw = false

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
            if asc && desc { throw ValidationError("--asc and --desc contradict each other; choose one") }
            if raw && fields != nil { throw ValidationError("--raw prints whole findings; leave out --fields") }
        }

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .read)
            var request = scope.scope(filter: filter, archive: archive).queryRequest
            request.allVersions = allVersions
            request.fields = fields.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            request.sort = sort
            request.descending = desc ? true : asc ? false : nil
            request.limit = limit
            request.raw = raw
            var samplesLeftOut = 0
            do {
                try Terminal.refreshDerivedData(archive)
                if output.format == .table && !raw {
                    // A table needs every row to align its columns.
                    let result = try FindingQuery.run(request, on: archive)
                    Terminal.out(RowRenderer.render(result.rows, as: .table))
                    if result.rows.rows.isEmpty {
                        // Said on stderr: the table itself stays data (its header only).
                        Terminal.err(allVersions ? "0 versions" : "0 findings")
                    }
                    samplesLeftOut = result.samplesLeftOut
                } else {
                    // Everything else streams: memory stays flat however many rows there are.
                    let format = raw && output.format == .table ? OutputFormat.jsonl : output.format
                    let bodiesAsJSON = raw && (format == .json || format == .jsonl)  // bodies are JSON already
                    let columns = request.outputColumns
                    var out = BufferedOutput()
                    out.write(bodiesAsJSON ? (format == .json ? "[" : "") : RowRenderer.streamStart(columns: columns, as: format))
                    var rows = 0
                    let summary = try FindingQuery.stream(request, on: archive) { row in
                        if bodiesAsJSON, case .text(let body)? = row.first {
                            out.write(format == .json ? (rows == 0 ? "" : ",\n ") + body : body + "\n")
                        } else {
                            out.write(RowRenderer.streamRow(row, columns: columns, as: format, first: rows == 0, cells: output.cells))
                        }
                        rows += 1
                    }
                    out.write(RowRenderer.streamEnd(as: format))
                    out.flush()
                    samplesLeftOut = summary.samplesLeftOut
                }
            } catch let error as QueryRequestError {
                Terminal.err(error.description)
                throw ExitCode.validationFailure
            } catch {
                throw Terminal.fail(error)
            }
            if samplesLeftOut > 0 {
                Terminal.err("note: \(samplesLeftOut) sample finding\(samplesLeftOut == 1 ? "" : "s") left out; add --include-samples to see \(samplesLeftOut == 1 ? "it" : "them")")
            }
        }
    }
}
