import GDArchiveModel
import Foundation
import GRDB

/// An opened gdarchive archive: one SQLite file holding every finding version.
///
/// ```swift
/// let archive = try Archive.open(path: Archive.defaultPath())
/// let status = try archive.status()
/// print(status.findings, status.versions)
/// ```
///
/// Opening creates the file (mode 0600, its folder 0700) when ``OpenMode/create`` allows,
/// switches it to WAL so that readers work during an import, and applies the migrations
/// compiled into the binary, each in its own transaction, recording each in the
/// `schema_migrations` ledger with its checksum.
///
/// - Throws: ``StoreError`` for a missing, foreign, newer or tampered archive; GRDB's
///   `DatabaseError` for anything SQLite itself reports.
public final class Archive: Sendable {
    /// How ``open(path:mode:)`` treats a missing file.
    public enum OpenMode: Sendable {
        /// Create the archive if it does not exist (import).
        case create
        /// Fail with ``StoreError/archiveMissing(path:)`` if it does not exist (prune, compact).
        case existing
        /// As `existing`, for commands that only read (query, report, status, check, backup):
        /// an archive the user may not write (read-only media, another user's folder) is
        /// opened read-only instead of refused. ``isReadOnly`` tells which.
        case read
    }

    /// SQLite's page cache per connection, in KiB (SQLite's default is 2 MiB): what a query
    /// or report reads stays in memory within the command.
    public static let pageCacheKiB = 16_384
    /// The page cache during an import (see ``setPageCache(_:forImport:)``).
    public static let importPageCacheKiB = 65_536

    /// Gives the connection the larger page cache of an import, or back the usual one. In
    /// an import the index pages that every version touches (the hash, time and type
    /// indexes, the indicator values) then stay in memory across commit groups: measured on
    /// the 1M benchmark, 82.6 → 68 s with a third of the system time (each page the cache
    /// missed was a `pread`); 100k unchanged. Peak memory grows by the 48 MiB, the same for
    /// any size of archive.
    public static func setPageCache(_ db: Database, forImport: Bool) throws {
        try db.execute(sql: "PRAGMA cache_size = -\(forImport ? importPageCacheKiB : pageCacheKiB)")
    }

    /// The archive's path as given (after `~` expansion).
    public let path: String
    /// The connection. Writers use `writeWithoutTransaction` and manage their transactions.
    public let database: DatabaseQueue

    /// True when the archive was opened read-only (``OpenMode/read`` on a file or folder
    /// this user may not write): nothing can be written, not even a pending migration.
    public let isReadOnly: Bool
    /// What another read-only connection to the archive opens: its path, or for an archive
    /// read as it is (see ``OpenMode/read``) an SQLite URI with the `immutable` flag.
    public let readLocation: String

    /// The device and inode of the archive's file when it was opened (see ``ensureNotReplaced()``).
    private let fileIdentity: FileIdentity?

    private init(path: String, database: DatabaseQueue, isReadOnly: Bool = false, readLocation: String? = nil) {
        self.path = path
        self.database = database
        self.isReadOnly = isReadOnly
        self.readLocation = readLocation ?? path
        self.fileIdentity = FileIdentity(path: path)
    }

    struct FileIdentity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// Throws ``StoreError/replaced(path:)`` when the file at ``path`` is no longer the one
    /// this archive opened (moved away, or a backup moved into its place while a writer ran):
    /// what this connection writes would go to the old file, which no later command sees.
    public func ensureNotReplaced() throws {
        guard let fileIdentity, FileIdentity(path: path) != fileIdentity else { return }
        throw StoreError.replaced(path: path)
    }

    /// What a writer calls before each commit, on its connection `db`: when the archive was
    /// replaced, rolls back what is open, empties this connection's WAL into the old file (its
    /// `-wal` is still named after the archive: left with frames in it, it would be read as if
    /// it were the new file's, and make it look damaged or hold the old file's data) and
    /// throws ``StoreError/replaced(path:)``.
    public func stopIfReplaced(_ db: Database) throws {
        do {
            try ensureNotReplaced()
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
            try? db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            throw error
        }
    }

    /// The archive used when no `--db` is given: `$GDARCHIVE_DB`, else
    /// `$XDG_DATA_HOME/gdarchive/archive.sqlite`, else `~/.local/share/gdarchive/archive.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["GDARCHIVE_DB"], !explicit.isEmpty {
            return expandTilde(explicit, environment: environment)
        }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return xdg + "/gdarchive/archive.sqlite"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/gdarchive/archive.sqlite"
    }

    /// `~/x` → `$HOME/x`.
    public static func expandTilde(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }

    /// `path` with each run of slashes as one (`//tmp/a.sqlite`, `HOME=/` giving
    /// `//.local/…`): SQLite's URI form of `//x` names a host, and failed with "SQL logic error".
    public static func collapsingSlashes(_ path: String) -> String {
        guard path.contains("//") else { return path }
        var out = ""
        var previousSlash = false
        for character in path {
            if character == "/" && previousSlash { continue }
            previousSlash = character == "/"
            out.append(character)
        }
        return out
    }

    /// Opens (and if allowed creates) the archive at `path` and brings its schema up to date.
    public static func open(path rawPath: String, mode: OpenMode = .create, busyTimeout: Double = 30) throws -> Archive {
        let path = collapsingSlashes(expandTilde(rawPath))
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue {
            throw StoreError.notADatabase(path: path)  // SQLite would say "disk I/O error"
        }
        // An empty file is not an archive yet: only an import makes it one (a query or status
        // on it would have written a whole schema into it).
        if mode != .create, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue == 0 {
            throw StoreError.archiveMissing(path: path)
        }
        if FileManager.default.fileExists(atPath: path) && !canWrite(path) {
            guard mode == .read else {
                // Checked before SQLite opens it: SQLite would open such a file read-only,
                // create -wal and -shm beside it (owned by this user, in the owner's way) and
                // only then fail on the first write.
                _ = try validateReadOnly(path: path, busyTimeout: busyTimeout)
                throw StoreError.cannotWrite(path: path)
            }
            return try openReadOnly(path: path, busyTimeout: busyTimeout)
        }
        if !FileManager.default.fileExists(atPath: path) {
            guard mode == .create else { throw StoreError.archiveMissing(path: path) }
            try createEmptyFile(at: path)
            // 16 KiB pages: measured against 4 KiB on the benchmark corpus, the archive is 3 %
            // smaller and the import as fast. The page size must be set before the first
            // table, so the ledger is created here, before WAL mode is switched on.
            // Another process may be creating the same archive at this moment: wait for its
            // lock rather than fail.
            var initialConfig = Configuration()
            initialConfig.busyMode = .timeout(busyTimeout)
            let initial = try DatabaseQueue(path: path, configuration: initialConfig)
            try initial.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA page_size = 16384")
                try db.execute(sql: ledgerSQL)
            }
            try initial.close()
        }
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            // WAL mode, set here rather than with GRDB's `journalMode = .wal`, which creates
            // and drops a table at every opening whose WAL file is missing: each query would
            // then rewrite the archive's header (its change counter and schema cookie), and
            // reading an archive must leave the file as it was (hashes, backups, mtime).
            // Once set, the mode is kept in the file, and setting it again writes nothing.
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else {
                // Another connection holds a lock the switch needs: retried until the timeout.
                throw DatabaseError(resultCode: .SQLITE_BUSY, message: "could not switch \(path) to WAL mode (journal mode \(mode ?? "unknown"))")
            }
            db.add(function: pathFunction)
            db.add(function: cidrFunction)
            try registerCodecFunctions(db)
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Debian's SQLite is built with SECURE_DELETE, which zeroes every deleted or
            // rewritten cell: an import rewrites each finding's row per version (a few
            // percent of an import). What the archive rewrites is an older copy of data it
            // keeps anyway, and prune VACUUMs the file after deleting.
            try db.execute(sql: "PRAGMA secure_delete = OFF")
            try db.execute(sql: "PRAGMA cache_size = -\(pageCacheKiB)")
        }
        // Two processes may open a new archive at the same moment (two cron jobs): SQLite
        // refuses a switch to WAL at once, without waiting, while the other connection holds a
        // lock, so opening is retried until the busy timeout.
        let deadline = ContinuousClock.now + .milliseconds(Int(busyTimeout * 1000))
        var queue: DatabaseQueue?
        while queue == nil {
            do {
                queue = try openAndMigrate(path: path, configuration: config, busyTimeout: busyTimeout)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        return Archive(path: path, database: queue!)
    }

    /// Whether this process may write the archive and create its WAL files beside it.
    static func canWrite(_ path: String) -> Bool {
        let folder = (path as NSString).deletingLastPathComponent
        return access(path, W_OK) == 0 && access(folder.isEmpty ? "." : folder, W_OK) == 0
    }

    /// Opens an archive this process may not write, read-only. With no `-wal` beside it (no
    /// writer has it open) the file is read as it is, with SQLite's `immutable` flag: SQLite
    /// would otherwise create the WAL files beside it (impossible on read-only media, and
    /// left behind read-only in a folder it may write). With a `-wal` (an import is running,
    /// as a user who may write), it is read through SQLite's WAL index like any reader. The
    /// archive must be fully migrated: a read-only archive from an older gdarchive is refused,
    /// since reading it would need its migrations.
    static func openReadOnly(path: String, busyTimeout: Double) throws -> Archive {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            db.add(function: pathFunction)
            db.add(function: cidrFunction)
            try registerCodecFunctions(db)
            try db.execute(sql: "PRAGMA cache_size = -\(pageCacheKiB)")
        }
        let asIs = !FileManager.default.fileExists(atPath: path + "-wal")
        let location = readLocation(path)
        do {
            let queue = try DatabaseQueue(path: location, configuration: config)
            let applied = try queue.read { db in try validateLedger(db, path: path) } ?? []
            let pending = Migration.all.map(\.version).filter { !applied.contains($0) }
            if let first = pending.first {
                throw StoreError.readOnlyNeedsMigration(path: path, from: first, to: pending.last!)
            }
            return Archive(path: path, database: queue, isReadOnly: true, readLocation: location)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notADatabase(path: path)
        } catch let error as DatabaseError where !asIs && [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM].contains(error.resultCode) {
            throw StoreError.readOnlyWhileWritten(path: path)
        }
    }

    /// Where a connection that must create nothing reads the archive: with no `-wal` beside it
    /// (no writer has it open), the file as it is, through SQLite's `immutable` flag (a URI,
    /// which Debian's SQLite accepts, with the path's reserved characters escaped); else the
    /// path, whose WAL files exist already.
    static func readLocation(_ path: String) -> String {
        guard !FileManager.default.fileExists(atPath: path + "-wal") else { return path }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:\(path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path)?immutable=1"
    }

    /// Checks through a read-only connection that creates nothing that the file is an archive
    /// this binary can use; returns the migrations it has (nil: an empty file to adopt).
    static func validateReadOnly(path: String, busyTimeout: Double) throws -> Set<Int>? {
        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(busyTimeout)
        do {
            let probe = try DatabaseQueue(path: readLocation(path), configuration: readOnly)
            defer { try? probe.close() }
            return try probe.read { db in try validateLedger(db, path: path) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notADatabase(path: path)
        }
    }

    /// Validates the archive through a read-only connection, then opens it for writing and
    /// applies the pending migrations.
    private static func openAndMigrate(path: String, configuration: Configuration, busyTimeout: Double) throws -> DatabaseQueue {
        do {
            // Validate read-only first: a file that is not an archive this binary can use is
            // refused before anything (even WAL setup) writes to it.
            _ = try validateReadOnly(path: path, busyTimeout: busyTimeout)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in try migrate(db, path: path) }
            return queue
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notADatabase(path: path)
        }
    }

    /// `gdarchive_path(fullkey)`: a `json_tree` full key without array indexes
    /// (`$.a[0].b` → `$.a.b`), so that a path through an array matches any element.
    public static let pathFunction = DatabaseFunction("gdarchive_path", argumentCount: 1, pure: true) { values in
        guard let key = String.fromDatabaseValue(values[0]) else { return nil }
        guard key.contains("[") else { return key }
        var out = ""
        var inIndex = false
        for c in key {
            if c == "[" { inIndex = true; continue }
            if c == "]" && inIndex { inIndex = false; continue }
            if !inIndex { out.append(c) }
        }
        return out
    }

    /// `gdarchive_cidr_contains(cidr, ip)`: whether the address `ip` lies in the network
    /// `cidr` (false for anything that is not an address); see ``CIDR``.
    public static let cidrFunction = DatabaseFunction("gdarchive_cidr_contains", argumentCount: 2, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]), let ip = String.fromDatabaseValue(values[1]), let network = CIDR(text) else { return false }
        return network.contains(ip)
    }

    /// Registers `gdarchive_body` and `gdarchive_compress` (see ``BodyCodec``), which the
    /// `version_bodies` view and migration 5 use.
    public static func registerCodecFunctions(_ db: Database) throws {
        guard let connection = db.sqliteConnection else { return }
        let code = BodyCodec.registerFunctions(on: connection)
        guard code == 0 else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot register gdarchive_body") }
    }

    /// Creates an empty file readable by its owner only, and its missing folders (0700).
    static func createEmptyFile(at path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw StoreError.cannotCreate(path: path, reason: "cannot create the folder \(folder): \(error.localizedDescription)")
            }
        }
        // O_EXCL never follows a link; a link in the way is told apart from an archive.
        let fd = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd < 0 {
            let reason = errno
            var link = stat()
            if reason == EEXIST, lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK, access(path, F_OK) != 0 {
                throw StoreError.cannotCreate(path: path, reason: "it is a symbolic link to a file that does not exist, and gdarchive does not create files through links (someone else may have planted it); remove the link or point --db at the real path")
            }
            if reason == EEXIST { return }
            throw StoreError.cannotCreate(path: path, reason: String(cString: strerror(reason)))
        }
        close(fd)
    }

    /// How a page or other output file named by the user is written.
    public enum OutputTarget: Equatable, Sendable {
        /// A regular file, a link to one, or a name that does not exist yet: written beside,
        /// private (0600), and renamed over the name (a link there is replaced, not written
        /// through; a reader never sees half a file).
        case replaceFile
        /// A character device (`/dev/null`, a terminal), a FIFO, or a name under `/dev/` or
        /// `/proc/` (`/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/1`, whatever they lead to):
        /// opened and written as it is, never replaced.
        case writeDirectly
        /// Something that cannot take a page (a folder, a block device, a socket): the reason.
        case refuse(String)
    }

    /// What writing an output file to `path` means (see ``OutputTarget``).
    public static func outputTarget(_ path: String) -> OutputTarget {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let standard = (absolute as NSString).standardizingPath
        if standard.hasPrefix("/dev/") || standard.hasPrefix("/proc/") { return .writeDirectly }
        var info = stat()
        guard stat(path, &info) == 0 else { return .replaceFile }  // nothing there (or a dangling link)
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .replaceFile
        case S_IFCHR, S_IFIFO: return .writeDirectly
        case S_IFDIR: return .refuse("it is a folder; name a file in it")
        case S_IFBLK: return .refuse("it is a block device; name a file")
        default: return .refuse("it is not a file, a character device or a FIFO")
        }
    }

    /// Writes `bytes` to the output file `path` by ``outputTarget(_:)``'s rule.
    public static func writeOutput(_ bytes: [UInt8], to path: String) throws {
        switch outputTarget(path) {
        case .refuse(let reason):
            throw StoreError.cannotCreate(path: path, reason: reason)
        case .writeDirectly:
            let fd = Foundation.open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw StoreError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw StoreError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
                }
                offset += written
            }
        case .replaceFile:
            let (temporary, fd) = try temporaryFile(beside: path)
            do {
                let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
                try handle.write(contentsOf: Data(bytes))
                try handle.synchronize()
                try handle.close()
            } catch {
                unlink(temporary)
                throw StoreError.cannotCreate(path: path, reason: "\(error)")
            }
            try moveIntoPlace(temporary, to: path, replacing: true)
        }
    }

    /// Creates `path` new, private (0600), never through a symbolic link; the caller writes
    /// it and then moves it into place. A name beside `destination`, in its folder.
    public static func temporaryFile(beside destination: String) throws -> (path: String, fd: Int32) {
        let folder = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StoreError.cannotCreate(path: destination, reason: "cannot create the folder \(folder): \(error.localizedDescription)")
            }
        }
        for _ in 0..<100 {
            let candidate = (folder.isEmpty ? "" : folder + "/") + ".\(name).partial-\(UInt32.random(in: .min ... .max))"
            let fd = Foundation.open(candidate, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 { return (candidate, fd) }
            if errno != EEXIST { throw StoreError.cannotCreate(path: destination, reason: String(cString: strerror(errno))) }
        }
        throw StoreError.cannotCreate(path: destination, reason: "no free temporary name beside it")
    }

    /// Moves a finished temporary file to `destination`, which must not exist (`link`, so a
    /// file or link that appeared there meanwhile is never replaced), or replaces it when
    /// `replacing` (a rename: the old file, or a link at its name, is replaced, not written through).
    public static func moveIntoPlace(_ temporary: String, to destination: String, replacing: Bool) throws {
        if replacing {
            guard rename(temporary, destination) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw StoreError.cannotCreate(path: destination, reason: reason)
            }
            return
        }
        if link(temporary, destination) == 0 {
            unlink(temporary)
            return
        }
        let reason = errno
        unlink(temporary)
        throw StoreError.cannotCreate(path: destination, reason: reason == EEXIST ? "the file exists; choose a new path (a backup never overwrites)" : String(cString: strerror(reason)))
    }

    /// Applies the pending migrations of ``Migration/all`` after checking the ledger.
    /// The migration ledger: gdarchive's own bookkeeping, outside `Migrations/`.
    static let ledgerSQL = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            checksum   TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """

    /// Checks the ledger against the migrations this binary knows; returns the applied versions
    /// (nil for an empty database without a ledger).
    static func validateLedger(_ db: Database, path: String, migrations: [Migration] = Migration.all) throws -> Set<Int>? {
        // Only an empty file, or one gdarchive created, is adopted: another program's database
        // (its own tables, its own `schema_migrations`, a `user_version` or `application_id`
        // of its own) is refused unchanged.
        let userVersion = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let applicationID = try Int.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let stamped = userVersion != 0 || applicationID != 0
        guard try db.tableExists("schema_migrations") else {
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema") ?? 0
            if tables > 0 || stamped { throw StoreError.foreignDatabase(path: path) }
            return nil
        }
        let ledgerColumns = Set(try db.columns(in: "schema_migrations").map(\.name))
        guard ledgerColumns == ["version", "name", "checksum", "applied_at"] else { throw StoreError.foreignDatabase(path: path) }
        let applied = try Row.fetchAll(db, sql: "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        if applied.isEmpty {
            // A ledger with no migration yet is gdarchive's only on a file with nothing else.
            let others = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema WHERE name <> 'schema_migrations' AND name NOT LIKE 'sqlite_%'") ?? 0
            if others > 0 || stamped { throw StoreError.foreignDatabase(path: path) }
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for row in applied {
            let version: Int = row["version"]
            guard let migration = known[version] else {
                throw StoreError.newerSchema(path: path, version: version, name: row["name"])
            }
            if migration.checksum != row["checksum"] as String {
                throw StoreError.migrationModified(path: path, version: version, fileName: migration.fileName)
            }
        }
        return Set(applied.map { $0["version"] as Int })
    }

    static func migrate(_ db: Database, path: String, migrations: [Migration] = Migration.all) throws {
        // The ledger is read in one snapshot: read statement by statement, a second process
        // creating the same new archive could be seen with its tables but not yet its ledger
        // (which it creates first), and the archive refused as another program's.
        var validated: Set<Int>?
        if db.isInsideTransaction {
            validated = try validateLedger(db, path: path, migrations: migrations)
        } else {
            try db.inTransaction(.deferred) {
                validated = try validateLedger(db, path: path, migrations: migrations)
                return .commit
            }
        }
        if validated == nil {
            try db.execute(sql: ledgerSQL)
        }
        let done = validated ?? []
        for migration in migrations where !done.contains(migration.version) {
            try db.inTransaction(.immediate) {
                // Another process may have applied it while we waited for the write lock.
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM schema_migrations WHERE version = ?", arguments: [migration.version]) == true {
                    return .commit
                }
                try db.execute(sql: migration.sql)
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                    arguments: [migration.version, migration.name, migration.checksum, Timestamp.now()])
                return .commit
            }
        }
    }
}
