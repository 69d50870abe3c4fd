import Foundation
import GDArchiveJSON
import GDArchiveStore
import GRDB

/// What an import did, for the summary line and the exit status.
public struct ImportSummary: Sendable, Equatable {
    public var counts = ArchiveWriter.Counts()
    /// Inputs named on the command line that could not be read at all.
    public var unreadableInputs = 0
    public var elapsedSeconds = 0.0
    public var archivePath = ""
    public var runID: Int64 = 0

    /// True when any input was rejected (exit status 65).
    public var hasErrors: Bool { counts.errors > 0 || unreadableInputs > 0 }

    /// The one summary line printed on stderr.
    public var line: String {
        let c = counts
        func plural(_ n: Int, _ word: String, _ words: String? = nil) -> String {
            "\(n) " + (n == 1 ? word : (words ?? word + "s"))
        }
        var parts = [
            plural(c.files, "file"), plural(c.records, "record"),
            plural(c.newFindings, "new finding"), plural(c.newVersions, "new version"),
            "\(c.knownVersions) already stored", "\(c.skipped) skipped (not findings)",
            plural(c.errors + unreadableInputs, "error"),
        ].joined(separator: ", ")
        if c.newVersions == 0 { parts += " (nothing new)" }
        return "import: \(parts) in \(String(format: "%.2f", elapsedSeconds))s; archive \(archivePath)"
    }
}

/// Imports GuardDuty findings from files, directory trees and standard input.
///
/// ```swift
/// let archive = try Archive.open(path: "archive.sqlite")
/// let importer = Importer(archive: archive, command: "gdarchive import exports") { print($0) }
/// let summary = try importer.run(inputs: ["exports"])
/// print(summary.line)
/// ```
///
/// Each input file is imported in one transaction together with its provenance, its errors
/// and the run's counters: a killed import leaves either all of a file or none of it, and a
/// rerun finishes the job (versions are stored once, by content hash). Records are streamed;
/// memory does not grow with the number or size of files.
///
/// - Throws: ``StoreError`` or GRDB's `DatabaseError` when the archive cannot be written
///   (the file being imported is rolled back, earlier files stay).
public final class Importer {
    private let archive: Archive
    private let command: String
    private let diagnostics: (Diagnostic) -> Void

    public init(archive: Archive, command: String, diagnostics: @escaping (Diagnostic) -> Void) {
        self.archive = archive
        self.command = command
        self.diagnostics = diagnostics
    }

    /// Imports every input (`-` is standard input) and returns the summary.
    public func run(inputs: [String]) throws -> ImportSummary {
        let clock = ContinuousClock()
        let start = clock.now
        var summary = ImportSummary()
        summary.archivePath = archive.path
        try DerivedData.refreshIfNeeded(archive)
        let runID = try ArchiveWriter.beginRun(in: archive, command: command)
        summary.runID = runID
        var walker = InputWalker(paths: inputs)
        do {
            while let entry = walker.next() {
                switch entry {
                case .stdin:
                    summary.counts += try importOne(displayPath: "-", storedPath: "<stdin>", runID: runID) { 0 }
                case .file(let path):
                    let stored = URL(fileURLWithPath: path).standardizedFileURL.path
                    summary.counts += try importOne(displayPath: path, storedPath: stored, runID: runID) {
                        Foundation.open(path, O_RDONLY | O_CLOEXEC)
                    }
                case .problem(let path, let message, let isError):
                    diagnostics(Diagnostic(severity: isError ? .error : .note, path: path, message: message))
                    if isError { summary.unreadableInputs += 1 }
                }
            }
        } catch {
            try? ArchiveWriter.finishRun(in: archive, runID: runID, status: "failed")
            throw error
        }
        try ArchiveWriter.finishRun(in: archive, runID: runID, status: "completed")
        summary.elapsedSeconds = Double((clock.now - start).components.attoseconds) / 1e18
            + Double((clock.now - start).components.seconds)
        return summary
    }

    /// Imports one input in one transaction.
    private func importOne(displayPath: String, storedPath: String, runID: Int64, open: () -> Int32) throws -> ArchiveWriter.Counts {
        try archive.database.writeWithoutTransaction { db in
            var counts = ArchiveWriter.Counts()
            try db.inTransaction(.immediate) {
                counts = ArchiveWriter.Counts()
                let writer = ArchiveWriter(db: db, runID: runID)
                let file = try writer.sourceFile(path: storedPath)
                counts.files = 1
                var session = FileSession(writer: writer, file: file, displayPath: displayPath, diagnostics: diagnostics)
                let fd = open()
                if fd < 0 {
                    try session.reject(line: 0, recordIndex: 0, kind: "unreadable", message: "cannot open: \(String(cString: strerror(errno)))", excerpt: nil)
                } else {
                    do {
                        let reader = RecordReader(chunks: try ChunkReader(fileDescriptor: fd, ownsDescriptor: displayPath != "-"))
                        while let raw = try reader.next() { try session.handle(raw) }
                        if reader.linesRead == 0 && session.counts.records == 0 && session.counts.errors == 0 {
                            diagnostics(Diagnostic(severity: .warning, path: displayPath, message: "empty input; nothing to import"))
                        }
                    } catch let error as POSIXError {
                        try session.reject(line: 0, recordIndex: 0, kind: "unreadable", message: "read failed: \(String(cString: strerror(error.code.rawValue))); the records before the failure were kept", excerpt: nil)
                    }
                }
                if session.counts.errors > session.printedErrors {
                    diagnostics(Diagnostic(severity: .note, path: displayPath, message: "\(session.counts.errors - session.printedErrors) more errors in this file were recorded but not shown (the first \(FileSession.printLimit) are); they are in the archive's import_errors table"))
                }
                counts.records = session.counts.records
                counts.newFindings = session.counts.newFindings
                counts.newVersions = session.counts.newVersions
                counts.knownVersions = session.counts.knownVersions
                counts.skipped = session.counts.skipped
                counts.errors = session.counts.errors
                try writer.add(counts)
                return .commit
            }
            return counts
        }
    }
}

/// The records of one input file, stored through one writer.
private struct FileSession {
    let writer: ArchiveWriter
    let file: Int64
    let displayPath: String
    let diagnostics: (Diagnostic) -> Void
    var counts = ArchiveWriter.Counts()
    /// Errors printed for this file; past ``printLimit`` they are only recorded.
    var printedErrors = 0
    static let printLimit = 20

    mutating func handle(_ raw: RawRecord) throws {
        switch raw {
        case .value(let line, let bytes):
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes)
            } catch {
                let (l, c) = Self.position(of: error.offset, in: bytes, startLine: line)
                counts.records += 1
                try reject(line: line, recordIndex: 0, kind: "bad-json", message: "invalid JSON: \(error.message)",
                           excerpt: bytes, reportLine: l, reportColumn: c)
                return
            }
            let items = RecordClassifier.classify(value)
            let several = items.count > 1
            for item in items {
                counts.records += 1
                switch item {
                case .finding(let wire, let index):
                    do {
                        let record = try FindingExtractor.record(from: wire)
                        switch try writer.store(record, file: file, line: line, recordIndex: index) {
                        case .newFinding: counts.newFindings += 1; counts.newVersions += 1
                        case .newVersion: counts.newVersions += 1
                        case .known: counts.knownVersions += 1
                        }
                    } catch let rejected as RejectedFinding {
                        try reject(line: line, recordIndex: index, kind: rejected.kind,
                                   message: (several ? "record \(index + 1): " : "") + rejected.message, excerpt: bytes)
                    }
                case .skipped(let index, let reason):
                    counts.skipped += 1
                    diagnostics(Diagnostic(severity: .note, path: displayPath, line: line,
                                           message: (several ? "record \(index + 1): " : "") + "skipped: " + reason))
                case .rejected(let index, let kind, let message):
                    try reject(line: line, recordIndex: index, kind: kind, message: (several ? "record \(index + 1): " : "") + message, excerpt: bytes)
                }
            }
        case .invalid(let line, let message, let excerpt):
            counts.records += 1
            try reject(line: line, recordIndex: 0, kind: "bad-json", message: "invalid JSON: " + message, excerpt: excerpt)
        case .damage(let line, let message):
            try reject(line: line, recordIndex: 0, kind: "damaged-input", message: message, excerpt: nil)
        }
    }

    mutating func reject(line: Int, recordIndex: Int, kind: String, message: String, excerpt: [UInt8]?,
                         reportLine: Int? = nil, reportColumn: Int? = nil) throws {
        counts.errors += 1
        if printedErrors < Self.printLimit {
            printedErrors += 1
            diagnostics(Diagnostic(severity: .error, path: displayPath, line: (reportLine ?? line) > 0 ? (reportLine ?? line) : nil,
                                   column: reportColumn, message: message))
        }
        let text = excerpt.map { String(decoding: $0.prefix(200), as: UTF8.self) }
        try writer.recordError(file: file, line: line, recordIndex: recordIndex, kind: kind, message: message, excerpt: text)
    }

    /// Line and column (1-based, in bytes) of `offset` inside a text that starts at `startLine`.
    static func position(of offset: Int, in bytes: [UInt8], startLine: Int) -> (Int, Int) {
        var line = startLine
        var lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }
}
