import ArgumentParser
import Foundation
import GDArchiveIngest
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
                stored once; importing the same data again adds nothing.

                Exit status: 0 all input stored; 65 some input rejected (all valid records \
                stored; see the path:line: error: lines); 64 usage error; 1 any other failure.
                """)

        @OptionGroup var globals: GlobalOptions

        @Flag(name: .shortAndLong, help: "Print errors only: no notes and no summary line.")
        var quiet = false

        @Argument(help: ArgumentHelp("Files or directories to import; - for standard input.", valueName: "path"))
        var inputs: [String] = []

        func validate() throws {
            if inputs.isEmpty {
                throw ValidationError("name at least one file or directory to import, or - for standard input")
            }
        }

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .create)
            let command = (["gdarchive"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            let quiet = self.quiet
            let importer = Importer(archive: archive, command: command) { diagnostic in
                if quiet && diagnostic.severity != .error { return }
                Terminal.err(diagnostic.description)
            }
            let summary: ImportSummary
            do {
                summary = try importer.run(inputs: inputs)
            } catch {
                throw Terminal.fail(error)
            }
            if !quiet { Terminal.err(summary.line) }
            if summary.hasErrors { throw ExitStatus.inputRejected }
        }
    }
}
