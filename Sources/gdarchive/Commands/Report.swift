import ArgumentParser
import Foundation
import GDArchiveIngest
import GDArchiveReport
import GDArchiveStore

extension GDArchiveCommand {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reports: a summary, counts by any field, and timelines.",
            discussion: """
                Three measures, defined once: findings (distinct findings in scope), versions \
                (stored versions in scope) and occurrences (GuardDuty's service.count growth as the \
                archive saw it: a first version contributes its count, each later version its \
                increase, a decrease counts in full as a reset; in `by` and `summary` the latest \
                counts summed). Every report takes the same FILTER as `gdarchive query`.
                """,
            subcommands: [Summary.self, By.self, Timeline.self, HTML.self])

        @OptionGroup var globals: GlobalOptions

        /// Runs a report, mapping its errors to exit statuses.
        static func run(_ globals: GlobalOptions, _ body: (Archive) throws -> String) throws {
            let archive = try Terminal.openArchive(globals, mode: .read)
            do {
                try Terminal.refreshDerivedData(archive)
                Terminal.out(try body(archive))
            } catch let error as QueryRequestError {
                Terminal.err(error.description)
                throw ExitCode.validationFailure
            } catch let error as TimelineError {
                Terminal.err("gdarchive: error: \(error)")
                throw ExitCode.validationFailure
            } catch {
                throw Terminal.fail(error)
            }
        }

        static func noteSamples(_ count: Int, _ format: OutputFormat, noun: String = "finding") {
            if count > 0 && format != .table {
                Terminal.err("note: \(count) sample \(noun)\(count == 1 ? "" : "s") left out; add --include-samples to count \(count == 1 ? "it" : "them")")
            }
        }
    }
}

extension GDArchiveCommand.Report {
    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Findings, versions and occurrences; by severity; activity range; accounts and Regions; size; last import.")

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var measureOptions: MeasureOptions
        @Argument(help: "A filter, as for `gdarchive query`.") var filter: String?

        func run() throws {
            try GDArchiveCommand.Report.run(globals) { archive in
                let (report, values, bands) = try Reports.summary(scope: scope.scope(filter: filter, archive: archive), on: archive)
                GDArchiveCommand.Report.noteSamples(report.samplesLeftOut, output.format)
                guard output.format == .table else {
                    return RowRenderer.renderRecord(columns: values.map(\.0), values: values.map(\.1), as: output.format)
                }
                let head = report.header.map { $0 + "\n" }.joined() + "\n"
                let listing = RowRenderer.renderRecord(columns: values.map(\.0), values: values.map(\.1), as: .table)
                let bandOutput = ReportOutput(header: [], rows: bands, samplesLeftOut: 0, barColumn: measureOptions.measure.rawValue, stackColumn: nil)
                return head + listing + "\n" + ReportRenderer.render(bandOutput, as: .table)
            }
        }
    }

    struct By: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Findings, versions and occurrences per value of a field (latest versions), largest first.",
            discussion: "FIELD is any short field or indicator kind (resource_type, type, severity_label, account_id, region, action_type, remote_ip, domain, …) or a dotted path.")

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var measureOptions: MeasureOptions
        @Argument(help: "The field to group by.") var field: String
        @Argument(help: "A filter, as for `gdarchive query`.") var filter: String?
        @Option(help: ArgumentHelp("Show the N largest groups and sum the rest into one (other) row.", valueName: "n")) var top: Int?

        func validate() throws {
            if let top, top < 1 { throw ValidationError("--top must be 1 or more") }
        }

        func run() throws {
            try GDArchiveCommand.Report.run(globals) { archive in
                let report = try Reports.by(field, scope: scope.scope(filter: filter, archive: archive), measure: measureOptions.measure, top: top, on: archive)
                GDArchiveCommand.Report.noteSamples(report.samplesLeftOut, output.format)
                return ReportRenderer.render(report, as: output.format, cells: output.cells)
            }
        }
    }

    struct Timeline: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Findings, versions and occurrences per hour, day, week or month, every bucket shown.",
            discussion: "Each version counts in the bucket of its time field; empty buckets appear with zeros. Weeks start on Monday. Buckets are computed in --tz and printed with their start time.")

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var measureOptions: MeasureOptions
        @Argument(help: "A filter, as for `gdarchive query`.") var filter: String?
        @Option(help: ArgumentHelp("hour, day, week or month.", valueName: "size")) var bucket: Bucket = .week
        @Option(help: ArgumentHelp("Split each bucket by this field (e.g. severity_label).", valueName: "field")) var by: String?
        @Option(help: ArgumentHelp("With --by: keep the N largest groups over the whole range (by --measure) and sum the rest into one (other) group.", valueName: "n")) var top: Int?
        @Option(help: ArgumentHelp("The time zone buckets are computed in (e.g. Europe/Amsterdam).", valueName: "zone")) var tz: String = "UTC"

        func validate() throws {
            if let top {
                if top < 1 { throw ValidationError("--top must be 1 or more") }
                if by == nil { throw ValidationError("--top keeps the largest groups of --by; give --by FIELD too") }
            }
            if TimeZone(identifier: tz) == nil {
                throw ValidationError("unknown time zone '\(tz)'; use an IANA name such as UTC, Europe/Amsterdam or America/New_York")
            }
        }

        func run() throws {
            try GDArchiveCommand.Report.run(globals) { archive in
                let report = try Reports.timeline(scope: scope.scope(filter: filter, archive: archive), bucket: bucket, by: by, top: top, timeZone: TimeZone(identifier: tz)!,
                                                  measure: measureOptions.measure, on: archive)
                GDArchiveCommand.Report.noteSamples(report.samplesLeftOut, output.format, noun: "version")
                return ReportRenderer.render(report, as: output.format, cells: output.cells)
            }
        }
    }
}

extension GDArchiveCommand.Report {
    struct HTML: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "html",
            abstract: "One self-contained HTML file: totals, a severity timeline, top lists and every finding with its history.",
            discussion: "No network: inline CSS and SVG, a few lines of JavaScript for sorting (the page reads fine without it). Every value from a finding is HTML-escaped. A new or replaced file is created with mode 0600; a character device, a FIFO or /dev/stdout is written as it is.")

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var measureOptions: MeasureOptions
        @Argument(help: "A filter, as for `gdarchive query`.") var filter: String?
        @Option(help: ArgumentHelp("hour, day, week or month.", valueName: "size")) var bucket: Bucket = .week
        @Option(help: ArgumentHelp("The time zone buckets are computed in.", valueName: "zone")) var tz: String = "UTC"
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the page here (default: standard output).", valueName: "file")) var output: String?

        func validate() throws {
            if TimeZone(identifier: tz) == nil {
                throw ValidationError("unknown time zone '\(tz)'; use an IANA name such as UTC or Europe/Amsterdam")
            }
        }

        func run() throws {
            try GDArchiveCommand.Report.run(globals) { archive in
                let html = try HTMLReport.render(scope: scope.scope(filter: filter, archive: archive), bucket: bucket, measure: measureOptions.measure,
                                                 timeZone: TimeZone(identifier: tz)!, on: archive)
                guard let output else { return html }
                // A file: written beside, private (0600), then renamed over the name (a link
                // planted at the name is replaced, never written through, and a reader never
                // sees half a page). A device, a FIFO or /dev/stdout: written as it is.
                do {
                    try Archive.writeOutput(Array(html.utf8), to: output)
                } catch {
                    throw ReportFileError(description: "cannot write \(output): \(error)")
                }
                Terminal.err("report: wrote \(output) (\(RowRenderer.groupThousands(Int64(html.utf8.count))) bytes)")
                return ""
            }
        }
    }
}

struct ReportFileError: Error, CustomStringConvertible {
    var description: String
}
