import ArgumentParser
import Foundation
import GDArchiveModel
import GDArchiveIngest
import GDArchiveQuery
import GDArchiveReport
import GDArchiveStore

extension GDArchiveCommand {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import GuardDuty findings from files, directory trees or standard input.",
            discussion: """
                Reads S3 exports (gzip or plain JSON lines), single findings, arrays, \
                {"findings":[…]} pages, `aws guardduty get-findings` output ({"Findings":[…]}) and \
                EventBridge events, detected by content. Directories are walked recursively in \
                sorted order; - reads standard input. Every distinct version of a finding is \
                stored once; importing the same data again adds nothing. Files unchanged since \
                they were last read are not opened again.

                Exit status: 0 all input stored; 65 some input rejected (all valid records \
                stored; see the path:line: error: lines); 64 usage error; 75 another import holds \
                the archive; 130/143 stopped by SIGINT/SIGTERM after committing the current file; \
                1 any other failure.
                """)

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var log: LogOptions

        @Option(parsing: .unconditional, help: ArgumentHelp("Only exports on or after this date: AWSLogs YYYY/MM/DD folders before it are not opened; other files by modification time. A timestamp or -7d, -24h, ….", valueName: "date"))
        var since: String?

        @Flag(help: "Read files again even if they are unchanged since they were last read.")
        var rescan = false

        @Flag(help: "Print the changes this import made to standard output, one JSON object per line, when it ends (see `gdarchive changes`).")
        var emitChanges = false

        @Option(help: ArgumentHelp("If another import holds the archive, wait up to this many seconds (default 0), then exit 75.", valueName: "seconds"))
        var wait: Double = 0

        @Argument(help: ArgumentHelp("Files or directories to import; - for standard input.", valueName: "path"))
        var inputs: [String] = []

        func validate() throws {
            if inputs.isEmpty {
                throw ValidationError("name at least one file or directory to import, or - for standard input")
            }
            if wait < 0 { throw ValidationError("--wait takes a number of seconds, 0 or more") }
            if let since, Self.parseTime(since) == nil {
                throw ValidationError("--since \(since) is not a date, a timestamp or a relative time such as -7d")
            }
        }

        static func parseTime(_ text: String) -> Int64? {
            FilterCompiler.time(text, now: Timestamp.nowMilliseconds())
        }

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .create)
            let lock = try Terminal.lock(archive, wait: wait, purpose: "import")
            defer { lock.release() }
            StopSignal.install()
            let command = (["gdarchive"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            let log = self.log
            let importer = Importer(archive: archive, command: command) { log.diagnostic($0) }
            var options = ImportOptions()
            options.rescan = rescan
            options.since = since.flatMap(Self.parseTime)
            options.shouldStop = { StopSignal.received != 0 }
            options.yieldToWaitingWriters = { try lock.yieldIfOthersWait(shouldStop: $0) }
            if log.verbose {
                options.fileDone = { report in
                    let c = report.counts
                    log.emit("\(report.path): \(report.outcome.rawValue)" + (report.outcome == .read
                        ? ": " + [ImportSummary.plural(c.records, "record"), ImportSummary.plural(c.newVersions, "new version"),
                                  "\(c.knownVersions) already stored", ImportSummary.plural(c.errors, "error")].joined(separator: ", ") : ""),
                             json: ["event": "file", "path": report.path, "outcome": report.outcome.rawValue, "records": c.records,
                                    "new_findings": c.newFindings, "new_versions": c.newVersions, "known_versions": c.knownVersions,
                                    "skipped": c.skipped, "errors": c.errors])
                }
            }
            let progress = (isatty(STDERR_FILENO) == 1 && !log.quiet && !log.verbose && log.logFormat == .text) ? ProgressLine() : nil
            if let progress {
                options.countFilesFirst = true
                options.progress = { progress.update(done: $0, total: $1, versions: $2) }
            }
            let summary: ImportSummary
            do {
                summary = try importer.run(inputs: inputs, options: options)
            } catch {
                progress?.clear()
                throw Terminal.fail(error)
            }
            progress?.clear()
            if emitChanges {
                do {
                    try Changes.print(.run(summary.runID), request: QueryRequest(), on: archive, format: .jsonl)
                } catch {
                    throw Terminal.fail(error)
                }
            }
            if !log.quiet {
                var fields: [String: Any] = ["event": "summary"]
                for (key, value) in summary.fields { fields[key] = value }
                log.emit(summary.line, json: fields)
            }
            if summary.interrupted { throw ExitCode(StopSignal.exitCode) }
            if summary.hasErrors { throw ExitStatus.inputRejected }
        }
    }
}
