import ArgumentParser
import Foundation
import GDArchiveStore

/// Standard output and standard error for the commands: results go to stdout, diagnostics and
/// progress to stderr.
enum Terminal {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Reports an error that ends the command and returns the exit code to throw: 1.
    static func fail(_ error: Error) -> ExitCode {
        err("gdarchive: error: \(error)")
        return ExitCode(1)
    }

    /// Opens the archive named by the global options, reporting failure as exit status 1.
    static func openArchive(_ globals: GlobalOptions, mode: Archive.OpenMode) throws -> Archive {
        do {
            return try Archive.open(path: globals.archivePath(), mode: mode)
        } catch {
            throw fail(error)
        }
    }
}

/// Exit statuses, documented in the README.
enum ExitStatus {
    /// Some input was rejected; everything valid was stored.
    static let inputRejected = ExitCode(65)
}
