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
    private let run: ImportRun
    private let start = ContinuousClock().now
    public private(set) var summary = ImportSummary()
    private var finished = false

    init(importer: Importer, run: ImportRun) {
        self.importer = importer
        self.run = run
        summary.runID = run.id
        summary.archivePath = run.archive.path
    }

    /// Imports one file in one transaction, recording it under `name` (its provenance).
    @discardableResult
    public func importFile(at path: String, recordedAs name: String) throws -> ArchiveWriter.Counts {
        summary.filesOpened += 1
        let counts = try importer.importInOwnTransaction(run, displayPath: name, storedPath: name) {
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
        try run.finish(status: interrupted ? "interrupted" : "completed")
        let elapsed = (ContinuousClock().now - start).components
        summary.elapsedSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return summary
    }
}

extension Importer {
    /// Imports one input in a transaction of its own.
    func importInOwnTransaction(_ run: ImportRun, displayPath: String, storedPath: String, open: @escaping () -> Int32) throws -> ArchiveWriter.Counts {
        try run.importingOneFile { tx in
            var stopped = false
            return try importOne(tx, displayPath: displayPath, storedPath: storedPath, stat: nil,
                                 source: ReadSource(ownsDescriptor: true, open: open), stopped: &stopped)
        }
    }

    /// Starts a run whose inputs are given one by one.
    public func beginSession() throws -> ImportSession {
        try DerivedData.refreshIfNeeded(archive)
        return ImportSession(importer: self, run: try ImportRun.begin(in: archive, command: command))
    }
}
