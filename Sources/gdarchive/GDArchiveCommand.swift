import ArgumentParser
import Foundation

@main
struct GDArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gdarchive",
        abstract: "A permanent, queryable SQLite archive of Amazon GuardDuty findings.",
        discussion: """
            Keeps every version of every finding (GuardDuty updates findings in place and deletes \
            them after 90 days). Imports S3 exports (gzip JSON lines), EventBridge events and \
            `aws guardduty get-findings` output.

            Exit status: 0 success; 65 some input was rejected (everything valid was stored); \
            64 usage error (including a bad filter); 66 the archive does not exist (reading \
            commands); 69 pull: a Region or detector could not be pulled; 73 the archive cannot \
            be written (read-only, disk full); 75 another import holds the archive; 76 the file \
            is not an archive this gdarchive can use; 130/143 stopped by SIGINT/SIGTERM after \
            committing what was read; 141 the reader of standard output went away (printing \
            stopped quietly); 1 any other failure.
            """,
        version: "0.1.0",
        subcommands: [Import.self, Pull.self, Query.self, Show.self, Changes.self, Report.self, Fields.self, SQL.self, Status.self, Check.self, Prune.self, Compact.self, Backup.self]
    )

    @OptionGroup var globals: GlobalOptions

    static func main() {
        // A closed pipe is not a crash: writes to it fail with EPIPE, which Terminal handles
        // (an import goes on; printing results stops quietly).
        signal(SIGPIPE, SIG_IGN)
        // A standard stream closed by the caller (`2>&-`) is given /dev/null, so that no file
        // the command opens (the archive, its journal) takes its number and receives messages.
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) == -1 {
            _ = open("/dev/null", O_RDWR)
        }
        main(nil)
    }
}
