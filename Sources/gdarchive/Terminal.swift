import ArgumentParser
import Foundation
import GDArchiveModel
import GDArchiveIngest
import GDArchiveReport
import GDArchiveStore

/// Standard output and standard error for the commands: results go to stdout, diagnostics and
/// progress to stderr.
enum Terminal {
    /// Results. If the reader of standard output has gone (`| head`), there is no one left to
    /// print for: the command ends quietly with 141 (128 + SIGPIPE, what a shell reports for a
    /// program stopped by the pipe). Imports print nothing there, so they go on.
    static func out(_ text: String) {
        guard writeAll(STDOUT_FILENO, Array(text.utf8)) else {
            if errno == EPIPE { exit(ExitStatus.outputClosed) }
            // A full disk or another failure: the results are incomplete, which must not pass
            // for success.
            err("gdarchive: error: cannot write the results to standard output: \(String(cString: strerror(errno)))")
            exit(1)
        }
    }

    /// Diagnostics. A closed or failing standard error never stops the command (an import
    /// piped into `head -1` finishes and commits); what cannot be written is dropped.
    static func err(_ line: String) {
        raw(line + "\n")
    }

    /// Writes to standard error as it is (progress lines), ignoring failures.
    static func raw(_ text: String) {
        if stderrClosed { return }
        if !writeAll(STDERR_FILENO, Array(text.utf8)) { stderrClosed = true }
    }

    nonisolated(unsafe) private static var stderrClosed = false

    /// Writes every byte (retrying short writes and EINTR); false with errno set on failure.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Reports an error that ends the command and returns the exit status it maps to.
    static func fail(_ error: Error) -> ExitCode {
        let (message, status) = describe(error)
        err("gdarchive: error: \(message)")
        return ExitCode(status)
    }

    /// The message and exit status of an error (see ``ExitStatus``).
    static func describe(_ error: Error) -> (String, Int32) {
        guard let error = StoreError(translating: error) else { return ("\(error)", 1) }
        switch error {
        case .archiveMissing: return (error.description, ExitStatus.archiveMissing)
        case .notADatabase, .foreignDatabase, .newerSchema, .migrationModified, .notSQLite, .damaged: return (error.description, ExitStatus.archiveUnusable)
        case .cannotCreate, .cannotWrite, .readOnlyNeedsMigration, .diskFull, .storageReadOnly, .cannotOpen: return (error.description, ExitStatus.cannotWrite)
        case .locked, .readOnlyWhileWritten, .replaced, .lockedByAnotherProgram: return (error.description, ExitStatus.busy)
        case .bodyCodec, .missingDictionary: return (error.description, ExitStatus.archiveUnusable)
        case .sqlite: return (error.description, 1)
        }
    }

    /// Takes the archive's writer lock for `purpose`, waiting up to `wait` seconds; exit 75
    /// when another process keeps it.
    static func lock(_ archive: Archive, wait: Double, purpose: String) throws -> ArchiveLock {
        do {
            return try ArchiveLock.acquire(archivePath: archive.path, waitSeconds: wait, purpose: purpose)
        } catch {
            throw fail(error)
        }
    }

    /// Opens the archive named by the global options; warns when it is readable by others.
    /// Brings the data derived from bodies (the indicators) up to date before a query or
    /// report; on an archive opened read-only, which cannot be, says so when it is not.
    static func refreshDerivedData(_ archive: Archive) throws {
        guard archive.isReadOnly else {
            try DerivedData.refreshIfNeeded(archive)
            return
        }
        if try !DerivedData.isUpToDate(archive) {
            err("gdarchive: warning: \(archive.path) can only be read here, and its indicators were extracted by an older gdarchive: `ioc` filters and reports by indicator may miss the kinds added since; run gdarchive once where the archive can be written")
        }
    }

    /// Whether a dotted path a filter names is one findings can have: one GuardDuty's API
    /// model knows, else one present in the archive's recent bodies (a member only the S3
    /// export carries, a field newer than the model). Else an error with what was meant.
    static func pathChecker(_ archive: Archive) -> PathChecker {
        { segments in
            guard let suggestions = GuardDutyModel.unknownPathSuggestions(segments) else { return nil }
            if (try? archive.recentBodiesHavePath(segments)) == true { return nil }
            let path = segments.joined(separator: ".")
            return ("unknown field path '\(path)': GuardDuty findings have no such member, and no recent finding in the archive has it",
                    suggestions.isEmpty ? "paths use the finding's JSON names, such as resource.instanceDetails.instanceId; `gdarchive fields` lists the short names"
                        : "did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?")
        }
    }

    /// What a dotted path reaches, from GuardDuty's API model (``GuardDutyModel/pathShape(_:)``):
    /// a structure is an object, a list on the way several values, else one.
    static let pathShape: PathShaper = { segments in
        guard let shape = GuardDutyModel.pathShape(segments) else { return nil }
        if let below = shape.below { return .object(below: below) }
        return shape.throughList ? .several : .single
    }

    static func openArchive(_ globals: GlobalOptions, mode: Archive.OpenMode) throws -> Archive {
        let path = globals.archivePath()
        // Seconds, 0 to a day: `inf`, `nan`, a negative or huge number trapped (or meant nothing).
        var timeout = 30.0
        if let text = ProcessInfo.processInfo.environment["GDARCHIVE_BUSY_TIMEOUT"] {
            if let seconds = Double(text), seconds.isFinite, (0...86_400).contains(seconds) {
                timeout = seconds
            } else {
                err("gdarchive: warning: GDARCHIVE_BUSY_TIMEOUT=\(VisibleText.escaped(text)) is not a number of seconds from 0 to 86400; using 30")
            }
        }
        do {
            let archive = try Archive.open(path: path, mode: mode, busyTimeout: timeout)
            // The mode of the file itself, through a link to it (stat, not lstat).
            var info = stat()
            if stat(archive.path, &info) == 0, case let permissions = Int(info.st_mode & 0o777), permissions & 0o077 != 0 {
                err("gdarchive: warning: \(archive.path) is readable by other users (mode \(String(permissions, radix: 8))); findings describe your weak spots: chmod 600 \(archive.path)")
            }
            // Its folder: whoever may write there may replace or remove the archive.
            let folder = (archive.path as NSString).deletingLastPathComponent
            var folderInfo = stat()
            if stat(folder.isEmpty ? "." : folder, &folderInfo) == 0, folderInfo.st_mode & S_ISVTX == 0,
               case let permissions = Int(folderInfo.st_mode & 0o777), permissions & 0o022 != 0 {
                err("gdarchive: warning: the archive's folder \(folder.isEmpty ? "." : folder) can be written by other users (mode \(String(permissions, radix: 8))), who could replace or remove the archive: chmod go-w \(folder.isEmpty ? "." : folder)")
            }
            return archive
        } catch {
            throw fail(error)
        }
    }
}

/// Exit statuses, documented in the README.
enum ExitStatus {
    /// Some input was rejected; everything valid was stored.
    static let inputRejected = ExitCode(65)
    /// A read command named an archive that does not exist.
    static let archiveMissing: Int32 = 66
    /// The archive cannot be written: read-only, its folder not writable, the disk full.
    static let cannotWrite: Int32 = 73
    /// Another import holds the archive, or another program locks it.
    static let busy: Int32 = 75
    /// The file is not an archive this binary can use: not SQLite, another program's
    /// database, written by a newer gdarchive, or with an edited migration.
    static let archiveUnusable: Int32 = 76
    /// The reader of standard output went away (128 + SIGPIPE).
    static let outputClosed: Int32 = 141
}

/// Standard output in 64 KiB writes, for streamed results.
struct BufferedOutput {
    private var buffer = ""

    mutating func write(_ text: String) {
        buffer += text
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        Terminal.out(buffer)
        buffer = ""
    }
}
