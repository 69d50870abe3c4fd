import GRDB

/// What can go wrong opening or writing an archive, worded for the person at the terminal.
///
/// ```swift
/// do { _ = try Archive.open(path: "a.sqlite") }
/// catch let error as StoreError { print(error) }   // says what happened and what to do
/// ```
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// A read-only command was pointed at an archive that does not exist.
    case archiveMissing(path: String)
    /// The file exists but is not an SQLite database.
    case notADatabase(path: String)
    /// An SQLite database that gdarchive did not create (it has tables but no migration ledger).
    case foreignDatabase(path: String)
    /// The archive has migrations this binary does not know: it was written by a newer gdarchive.
    case newerSchema(path: String, version: Int, name: String)
    /// A migration recorded in the archive no longer matches the one compiled into this binary.
    case migrationModified(path: String, version: Int, fileName: String)
    /// An archive this user may only read was written by an older gdarchive: reading it needs
    /// migrations `from`…`to`, which cannot be written.
    case readOnlyNeedsMigration(path: String, from: Int, to: Int)
    /// An archive this user may only read has WAL files beside it that this user may not
    /// open: a user who may write is importing into it (or was killed doing so).
    case readOnlyWhileWritten(path: String)
    /// A command that writes was pointed at an archive this user may not write (the file or
    /// its folder): refused before anything, its WAL files included, is created beside it.
    case cannotWrite(path: String)
    /// The archive file or its folder could not be created.
    case cannotCreate(path: String, reason: String)
    /// Another process holds the archive's writer lock.
    case locked(path: String, holder: String)
    /// The archive's file was replaced or moved away while a writer had it open.
    case replaced(path: String)
    /// A finding body could not be compressed or decompressed (damage in the archive).
    case bodyCodec(String)
    /// A stored body was compressed with a dictionary (migration 13) the archive does not have.
    case missingDictionary(UInt32)
    /// SQLite's failures, as the archive's callers tell them apart (``init(translating:)``).
    case diskFull
    case storageReadOnly
    case cannotOpen(String)
    case lockedByAnotherProgram
    case notSQLite
    case damaged(String)
    case sqlite(String)

    /// The error as a ``StoreError``: itself, or an SQLite failure by its result code; nil
    /// for any other error.
    public init?(translating error: any Error) {
        if let error = error as? StoreError {
            self = error
            return
        }
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: self = .diskFull
        case .SQLITE_READONLY: self = .storageReadOnly
        case .SQLITE_CANTOPEN: self = .cannotOpen(error.message ?? "unknown reason")
        case .SQLITE_BUSY, .SQLITE_LOCKED: self = .lockedByAnotherProgram
        case .SQLITE_NOTADB: self = .notSQLite
        case .SQLITE_CORRUPT: self = .damaged(error.message ?? "database disk image is malformed")
        default: self = .sqlite(error.message ?? "\(error.resultCode)")
        }
    }

    public var description: String {
        switch self {
        case .archiveMissing(let path):
            return "no archive at \(path); create one with `gdarchive import PATH`, or point --db (or $GDARCHIVE_DB) at an existing archive"
        case .notADatabase(let path):
            return "\(path) is not an SQLite database; check the --db path (gdarchive never overwrites a file it did not create)"
        case .foreignDatabase(let path):
            return "\(path) is an SQLite database that gdarchive did not create (it has no schema_migrations ledger); point --db at a gdarchive archive or at a new path"
        case .newerSchema(let path, let version, let name):
            return "\(path) was written by a newer gdarchive (it has migration \(version) \"\(name)\", which this binary does not know); use that newer gdarchive to read it"
        case .migrationModified(let path, let version, let fileName):
            return "migration \(version) (\(fileName)) was applied to \(path) but the binary's copy has since been modified; restore the original migration file and rebuild, or start a new archive"
        case .readOnlyNeedsMigration(let path, let from, let to):
            let which = from == to ? "migration \(from)" : "migrations \(from)–\(to)"
            return "\(path) can only be read here, and it was written by an older gdarchive: this one reads it after \(which), which cannot be written to a read-only archive; run gdarchive once where the archive can be written (any command migrates it), or read it with the gdarchive that wrote it"
        case .readOnlyWhileWritten(let path):
            return "\(path) can only be read here, and an import by a user who may write it is running (or was killed): its WAL files (\(path)-wal, -shm) are not readable by this user; try again once it has finished (any gdarchive command of that user tidies up after a killed one)"
        case .cannotWrite(let path):
            return "the archive \(path) cannot be written by this user (a read-only file, or a folder it may not write in for the archive's journal); nothing was changed and nothing was created beside it. Run the command as the user who owns the archive, or check the permissions"
        case .cannotCreate(let path, let reason):
            return "cannot create the archive \(path): \(reason)"
        case .locked(let path, let holder):
            return "another \(holder) is writing to \(path); wait for it to finish, or pass --wait SECONDS to wait up to that long"
        case .replaced(let path):
            return "\(path) was replaced or moved away while this command wrote to it (a backup moved into place during an import?): nothing more was written, and what it stored since it started went to the file that was there before, not to \(path). Run it again: files are read again where the archive lacks them (what a stream delivered is not). See \"Backups and restore\" in the README"
        case .bodyCodec(let reason):
            return "\(reason); run `gdarchive check` to list the damaged versions"
        case .diskFull:
            return "the disk is full (or the archive reached its size limit); the files not yet committed were rolled back and the archive is consistent. Free some space and run the same command again"
        case .storageReadOnly:
            return "the archive cannot be written (a read-only file, or a folder gdarchive may not write in for its journal); nothing was changed. Check the permissions of the archive and its folder"
        case .cannotOpen(let reason):
            return "the archive cannot be opened: \(reason); check the path and the folder's permissions"
        case .lockedByAnotherProgram:
            return "the archive is locked by another program (not a gdarchive import) and stayed locked for the busy timeout; nothing was changed. Close that program, or raise GDARCHIVE_BUSY_TIMEOUT (seconds)"
        case .notSQLite:
            return "the archive is not an SQLite database"
        case .damaged(let message):
            return "the archive is damaged (\(message)); restore it from a backup (see the README)"
        case .sqlite(let message):
            return "SQLite: \(message)"
        case .missingDictionary(let id):
            return "a stored body needs dictionary \(id), which the archive does not have (body_dictionaries); run `gdarchive check` to list the versions that need it, and restore the archive from a backup"
        }
    }
}
