import Foundation
import GDArchiveStore

/// An import run fed one input at a time, for callers that produce their inputs as they go
/// (`gdarchive pull` writes each page of `get-findings` output and imports it at once).
///
/// ```swift
/// let session = try importer.beginSession()
/// try session.importFile(at: "/tmp/page-1.json", recordedAs: "aws guardduty get-findings …")
/// let summary = try session.finish()
/// ```
public final class ImportSession {
    private let importer: Importer
    private let start = ContinuousClock().now
    public private(set) var summary = ImportSummary()
    private var finished = false

    init(importer: Importer, runID: Int64, archivePath: String) {
        self.importer = importer
        summary.runID = runID
        summary.archivePath = archivePath
    }

    /// Imports one file in one transaction, recording it under `name` (its provenance).
    @discardableResult
    public func importFile(at path: String, recordedAs name: String) throws -> ArchiveWriter.Counts {
        summary.filesOpened += 1
        let counts = try importer.importInOwnTransaction(displayPath: name, storedPath: name, runID: summary.runID) {
            Foundation.open(path, O_RDONLY | O_CLOEXEC)
        }
        summary.counts += counts
        return counts
    }

    /// Ends the run (`completed`, or `interrupted` if asked) and returns the summary.
    public func finish(interrupted: Bool = false) throws -> ImportSummary {
        guard !finished else { return summary }
        finished = true
        summary.interrupted = interrupted
        try ArchiveWriter.finishRun(in: importer.archive, runID: summary.runID, status: interrupted ? "interrupted" : "completed")
        let elapsed = (ContinuousClock().now - start).components
        summary.elapsedSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return summary
    }
}

extension Importer {
    /// Imports one input in a transaction of its own.
    func importInOwnTransaction(displayPath: String, storedPath: String, runID: Int64, open: @escaping () -> Int32) throws -> ArchiveWriter.Counts {
        do {
            return try archive.database.writeWithoutTransaction { db in
                var counts = ArchiveWriter.Counts()
                try db.inTransaction(.immediate) {
                    var stopped = false
                    counts = try importOne(db, displayPath: displayPath, storedPath: storedPath, runID: runID, stat: nil,
                                           source: ReadSource(ownsDescriptor: true, open: open), statements: try WriteStatements(db),
                                           stopped: &stopped)
                    return .commit
                }
                return counts
            }
        } catch {
            // The bases this transaction stored are gone with it.
            bodies.forgetCachedBases()
            throw error
        }
    }

    /// Starts a run whose inputs are given one by one.
    public func beginSession() throws -> ImportSession {
        try DerivedData.refreshIfNeeded(archive)
        let runID = try ArchiveWriter.beginRun(in: archive, command: command)
        return ImportSession(importer: self, runID: runID, archivePath: archive.path)
    }
}
