import ArgumentParser
import GDArchiveReport
import GDArchiveStore

extension GDArchiveCommand {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what the archive holds: findings, versions, files, import runs, errors, size.")

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .read)
            let status: ArchiveStatus
            do {
                status = try archive.status()
            } catch {
                throw Terminal.fail(error)
            }
            let fields: [(String, Cell)] = [
                ("path", .text(status.path)),
                ("findings", .int(Int64(status.findings))),
                ("versions", .int(Int64(status.versions))),
                ("files", .int(Int64(status.files))),
                ("sightings", .int(Int64(status.sightings))),
                ("import_runs", .int(Int64(status.importRuns))),
                ("errors", .int(Int64(status.errors))),
                ("size_bytes", .int(status.sizeBytes)),
                ("schema_version", .int(Int64(status.schemaVersion))),
                ("last_import_run", status.lastImportRun.map(Cell.int) ?? .null),
                ("last_import_started_at", status.lastImportStartedAt.map(Cell.text) ?? .null),
                ("last_successful_import_at", status.lastSuccessfulImportAt.map(Cell.text) ?? .null),
                ("last_successful_import_files", status.lastSuccessfulImportFiles.map { .int(Int64($0)) } ?? .null),
                ("last_successful_import_new_versions", status.lastSuccessfulImportNewVersions.map { .int(Int64($0)) } ?? .null),
                ("imports_with_problems_since", .int(Int64(status.troubledImportsSince))),
                ("versions_from_the_future", .int(Int64(status.versionsFromTheFuture))),
            ]
            Terminal.out(RowRenderer.renderRecord(columns: fields.map(\.0), values: fields.map(\.1), as: output.format))
        }
    }
}
