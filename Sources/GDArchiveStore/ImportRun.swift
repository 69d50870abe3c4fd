import Foundation
import GRDB

/// One import run (a row of `import_runs`) and the transactions it writes in: the Store owns
/// the unit of work, so crash safety lives here (commit groups, rollback, forgetting the
/// codec's cached bases after one, the import's page cache, a replaced archive never written
/// to).
///
/// ```swift
/// let run = try ImportRun.begin(in: archive, command: "gdarchive import exports")
/// try run.importing(commitInterval: .seconds(2)) { tx in
///     try tx.begin()
///     let writer = try tx.writer(forms: nil)
///     // … store records through `writer`, `try tx.commitIfDue()` between files …
/// }
/// try run.finish(status: "completed")
/// ```
public final class ImportRun {
    public let archive: Archive
    public let id: Int64
    /// One body codec for the run: its cache of finding bases outlives each transaction.
    public let bodies = BodyCodec()

    private init(archive: Archive, id: Int64) {
        self.archive = archive
        self.id = id
    }

    /// Records the start of a run (committed at once).
    public static func begin(in archive: Archive, command: String) throws -> ImportRun {
        ImportRun(archive: archive, id: try ArchiveWriter.beginRun(in: archive, command: command))
    }

    /// Records the end of the run: `completed`, `interrupted` or `failed`.
    public func finish(status: String, unchangedFiles: Int = 0) throws {
        try ArchiveWriter.finishRun(in: archive, runID: id, status: status, unchangedFiles: unchangedFiles)
    }

    /// The frame of an import: one connection with the import's page cache, one transaction
    /// at a time (``ImportTransaction``), committed in groups of about `commitInterval` by
    /// `body` and at the end (then checked: an archive replaced meanwhile is an error). On an
    /// error what is open is rolled back and the cached bases forgotten (they may be gone
    /// with it).
    public func importing<T>(commitInterval: Duration, _ body: (ImportTransaction) throws -> T) throws -> T {
        try archive.database.writeWithoutTransaction { db in
            try Archive.setPageCache(db, forImport: true)
            defer { try? Archive.setPageCache(db, forImport: false) }
            let tx = ImportTransaction(db: db, interval: commitInterval, run: self, statements: try WriteStatements(db))
            do {
                let result = try body(tx)
                try tx.commit()
                // Replaced after the last commit's check: what it stored is not there.
                try archive.stopIfReplaced(db)
                return result
            } catch {
                tx.rollback()
                // The bases stored by the rolled-back files are gone with them.
                bodies.forgetCachedBases()
                throw error
            }
        }
    }

    /// One input in a transaction of its own (begun, and committed when `body` returns).
    public func importingOneFile<T>(_ body: (ImportTransaction) throws -> T) throws -> T {
        do {
            return try archive.database.writeWithoutTransaction { db in
                let tx = ImportTransaction(db: db, interval: .seconds(2), run: self, statements: try WriteStatements(db))
                try tx.begin()
                do {
                    let result = try body(tx)
                    try tx.commit()
                    return result
                } catch {
                    tx.rollback()
                    throw error
                }
            }
        } catch {
            // The bases this transaction stored are gone with it.
            bodies.forgetCachedBases()
            throw error
        }
    }
}

/// What the archive remembers of an input file (`source_files`).
public struct KnownFile: Sendable, Equatable {
    public var size: Int64?
    public var mtimeNanoseconds: Int64?
    public var sha256: String?
}

/// The transaction of an import's commit group (see ``ImportRun/importing(commitInterval:_:)``):
/// it holds the files of about `interval` of work, and is committed at the first file
/// boundary after it has been open that long (a streamed input commits inside itself).
public final class ImportTransaction {
    let db: Database
    let interval: Duration
    public let run: ImportRun
    /// The run's prepared statements (and what the last store had to say: `notes`).
    public let statements: WriteStatements
    private let clock = ContinuousClock()
    private var openedAt: ContinuousClock.Instant?

    init(db: Database, interval: Duration, run: ImportRun, statements: WriteStatements) {
        self.db = db
        self.interval = interval
        self.run = run
        self.statements = statements
    }

    /// Opens the transaction unless it is open. IMMEDIATE: the write lock is taken at once.
    public func begin() throws {
        guard openedAt == nil else { return }
        try db.execute(sql: "BEGIN IMMEDIATE")
        openedAt = clock.now
    }

    /// Whether the transaction has been open for the interval.
    public var isDue: Bool {
        if let openedAt { return clock.now - openedAt >= interval }
        return false
    }

    /// Commits if the transaction has been open for the interval (call between files).
    public func commitIfDue() throws {
        if isDue { try commit() }
    }

    /// Commits, unless the archive was replaced meanwhile (``Archive/stopIfReplaced(_:)``).
    public func commit() throws {
        guard openedAt != nil else { return }
        do {
            try run.archive.stopIfReplaced(db)
        } catch {
            openedAt = nil
            throw error
        }
        try db.execute(sql: "COMMIT")
        openedAt = nil
    }

    public func rollback() {
        guard openedAt != nil else { return }
        if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
        openedAt = nil
    }

    /// What the archive remembers of the file recorded under `path`.
    public func knownFile(path: String) throws -> KnownFile? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT size, mtime_ns, content_sha256 FROM source_files WHERE path = ?"), arguments: [path])
            .map { KnownFile(size: $0["size"], mtimeNanoseconds: $0["mtime_ns"], sha256: $0["content_sha256"]) }
    }

    /// A writer of the run's versions in this transaction.
    public func writer(forms: FormRule? = nil) throws -> ArchiveWriter {
        try ArchiveWriter(db: db, runID: run.id, bodies: run.bodies, statements: statements, forms: forms)
    }
}
