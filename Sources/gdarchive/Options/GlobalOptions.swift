import ArgumentParser
import GDArchiveStore

/// Options every command takes, before or after the subcommand name:
/// `gdarchive --db a.sqlite status` and `gdarchive status --db a.sqlite` are the same.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The archive file. Default: $GDARCHIVE_DB, else $XDG_DATA_HOME/gdarchive/archive.sqlite (~/.local/share/gdarchive/archive.sqlite).",
        valueName: "path"))
    var db: String?

    /// The archive path to use: `--db`, else the default.
    func archivePath() -> String {
        db ?? Archive.defaultPath()
    }
}
