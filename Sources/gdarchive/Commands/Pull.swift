import ArgumentParser
import Foundation
import GDArchiveModel
import GDArchiveIngest
import GDArchiveStore

extension GDArchiveCommand {
    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pull findings, archived and suppressed ones included, through your AWS CLI.",
            discussion: """
                GuardDuty never exports archived findings (nor new occurrences of findings that \
                suppression rules archive) to S3 or EventBridge. This command asks the API for \
                them with your own `aws` CLI and credentials: list-detectors, list-findings with a \
                FindingCriteria on updatedAt, and get-findings for each page of up to 50 ids, \
                imported as usual. Without --since, each detector continues from where its last \
                successful pull ended (less a 5-minute overlap); the first pull takes everything \
                GuardDuty still holds.

                Exit status: 0 pulled; 65 some pulled input was rejected; 69 a Region or detector \
                could not be pulled (the others were; see the error lines); 75 another import \
                holds the archive; 130/143 stopped by SIGINT/SIGTERM (the running aws call is \
                killed, what was imported is kept, no cursor moves); 64 usage error; 1 any other \
                failure.
                """)

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var log: LogOptions

        @Option(name: .customLong("detector-id"), help: ArgumentHelp("A detector to pull (repeatable).", valueName: "id"))
        var detectorIDs: [String] = []

        @Flag(help: "Pull every detector `aws guardduty list-detectors` returns in each Region.")
        var allDetectors = false

        @Option(help: ArgumentHelp("The Region (passed to the CLI).", valueName: "region"))
        var region: String?

        @Option(help: ArgumentHelp("Comma-separated Regions to pull.", valueName: "r1,r2"))
        var regions: String?

        @Option(help: ArgumentHelp("The AWS CLI profile (passed to the CLI).", valueName: "name"))
        var profile: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("Findings updated at or after this (a timestamp or -2d, -24h, …), instead of the cursor.", valueName: "time"))
        var since: String?

        @Option(name: .customLong("aws"), help: ArgumentHelp("The AWS CLI binary (default: aws on PATH).", valueName: "path"))
        var awsPath: String = "aws"

        @Option(help: ArgumentHelp("If another import holds the archive, wait up to this many seconds, then exit 75.", valueName: "seconds"))
        var wait: Double = 0

        func validate() throws {
            if detectorIDs.isEmpty == !allDetectors {
                throw ValidationError(allDetectors ? "--all-detectors and --detector-id contradict each other; choose one"
                                                   : "name a detector with --detector-id ID, or pull them all with --all-detectors")
            }
            if region != nil && regions != nil { throw ValidationError("--region and --regions contradict each other; choose one") }
            if let bad = detectorIDs.first(where: { !PullArgument.isIdentifier($0) }) {
                throw ValidationError("--detector-id \(bad) is not a GuardDuty detector id (letters and digits)")
            }
            let named = (regions.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []) + (region.map { [$0] } ?? [])
            if let bad = named.first(where: { !$0.isEmpty && !PullArgument.isRegion($0) }) {
                throw ValidationError("\(bad) is not a Region name (such as eu-west-1)")
            }
            if let since, GDArchiveCommand.Import.parseTime(since) == nil {
                throw ValidationError("--since \(since) is not a timestamp or a relative time such as -2d")
            }
        }

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .create)
            let lock = try Terminal.lock(archive, wait: wait, purpose: "pull")
            defer { lock.release() }
            var options = PullOptions()
            options.aws = awsPath
            options.profile = profile
            options.regions = regions.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
                ?? region.map { [$0] } ?? []
            options.detectorIDs = detectorIDs
            options.since = since.flatMap(GDArchiveCommand.Import.parseTime)
            // SIGINT/SIGTERM: the running aws call is killed, what was imported is kept, no
            // cursor moves, exit 130/143 (a second signal ends the process at once).
            StopSignal.install()
            options.shouldStop = { StopSignal.received != 0 }
            if let backoff = ProcessInfo.processInfo.environment["GDARCHIVE_PULL_BACKOFF_MS"].flatMap(Int64.init) {
                options.backoffMilliseconds = backoff  // for tests: no need to wait seconds
            }
            let command = (["gdarchive"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            let log = self.log
            let importer = Importer(archive: archive, command: command) { log.diagnostic($0) }
            let report: PullReport
            do {
                report = try Puller(archive: archive, importer: importer, options: options) { message in
                    let level = message.hasPrefix("error:") ? "error" : "note"
                    if log.quiet && level != "error" { return }
                    log.emit("pull: " + message, json: ["event": "pull", "level": level, "message": message])
                }.run()
            } catch {
                throw Terminal.fail(error)
            }
            if !log.quiet {
                var fields: [String: Any] = ["event": "summary", "failures": report.failures.count]
                for (key, value) in report.summary.fields { fields[key] = value }
                log.emit(report.summary.line.replacingOccurrences(of: "import:", with: "pull:", options: .anchored), json: fields)
            }
            if report.interrupted { throw ExitCode(StopSignal.exitCode) }
            if !report.failures.isEmpty { throw ExitCode(69) }
            if report.summary.hasErrors { throw ExitStatus.inputRejected }
        }
    }
}
