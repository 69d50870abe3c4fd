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
            64 usage error (including a bad filter); 75 another import holds the archive; \
            130/143 stopped by SIGINT/SIGTERM after committing the current file; 1 any other \
            failure.
            """,
        version: "0.1.0",
        subcommands: [Import.self, Pull.self, Query.self, Show.self, Report.self, Fields.self, SQL.self, Status.self, Check.self, Prune.self, Compact.self, Backup.self]
    )

    @OptionGroup var globals: GlobalOptions
}
