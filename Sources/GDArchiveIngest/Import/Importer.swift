import Foundation
import GDArchiveModel
import GDArchiveJSON
import GDArchiveStore

/// What an import did, for the summary line and the exit status.
public struct ImportSummary: Sendable, Equatable {
    public var counts = ArchiveWriter.Counts()
    /// Inputs named on the command line that could not be read at all.
    public var unreadableInputs = 0
    /// Files skipped because they were unchanged since they were last read.
    public var unchangedFiles = 0
    /// Files left out by `--since`.
    public var filesOutsideRange = 0
    /// Files opened (read, or hashed to see whether they changed).
    public var filesOpened = 0
    /// True when a stop was requested (SIGINT/SIGTERM) and the import ended after a file.
    public var interrupted = false
    public var elapsedSeconds = 0.0
    public var archivePath = ""
    public var runID: Int64 = 0

    /// True when any input was rejected (exit status 65).
    public var hasErrors: Bool { counts.errors > 0 || unreadableInputs > 0 }

    /// `1 record`, `2 records`.
    public static func plural(_ n: Int, _ word: String) -> String {
        "\(n) " + (n == 1 ? word : word + "s")
    }

    /// The one summary line printed on stderr.
    public var line: String {
        let c = counts
        let plural = Self.plural
        var files = plural(c.files, "file")
        if unchangedFiles > 0 { files += " (+\(unchangedFiles) unchanged, not read)" }
        if filesOutsideRange > 0 { files += " (+\(filesOutsideRange) before --since)" }
        var parts = [
            files, plural(c.records, "record"),
            plural(c.newFindings, "new finding"), plural(c.newVersions, "new version"),
            "\(c.knownVersions) already stored", "\(c.skipped) skipped (not findings)",
            plural(c.errors + unreadableInputs, "error"),
        ].joined(separator: ", ")
        if c.newVersions == 0 { parts += " (nothing new)" }
        let stopped = interrupted ? " (stopped early on request; run again to finish)" : ""
        return "import: \(parts) in \(String(format: "%.2f", elapsedSeconds))s; archive \(archivePath)\(stopped)"
    }

    /// The summary as JSON fields (for `--log-format json`).
    public var fields: [(String, Any)] {
        [("files", counts.files), ("unchanged_files", unchangedFiles), ("files_outside_range", filesOutsideRange),
         ("files_opened", filesOpened), ("records", counts.records), ("new_findings", counts.newFindings),
         ("new_versions", counts.newVersions), ("known_versions", counts.knownVersions), ("skipped", counts.skipped),
         ("errors", counts.errors + unreadableInputs), ("interrupted", interrupted), ("elapsed_seconds", elapsedSeconds),
         ("archive", archivePath), ("run_id", runID)]
    }
}

/// What happened to one input file (for `-v` and JSON logs).
public struct FileReport: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// Read and stored.
        case read
        /// Not opened: same size and modification time as when it was last read.
        case unchanged
        /// Opened and hashed: same content as when it was last read, so not read again.
        case sameContent = "same-content"
        /// Left out by `--since`.
        case outsideRange = "outside-range"
    }
    public var path: String
    public var outcome: Outcome
    public var counts: ArchiveWriter.Counts
}

/// How an import runs, beyond its inputs.
public struct ImportOptions {
    /// Read files again even when they are unchanged.
    public var rescan = false
    /// Only exports on or after this instant (milliseconds): `YYYY/MM/DD` folders of the
    /// AWSLogs layout are compared by date without being opened; other files by modification time.
    public var since: Int64?
    /// Asked between files; true stops the import after the file being read (it commits).
    public var shouldStop: () -> Bool = { false }
    /// Called after each file.
    public var fileDone: ((FileReport) -> Void)?
    /// Called after each file with (files done, files in total if known, versions so far).
    public var progress: ((Int, Int?, Int) -> Void)?
    /// Count the files first, so that progress has a total.
    public var countFilesFirst = false
    /// Files are committed in groups: a transaction spans whole files and is committed at the
    /// first file boundary after it has been open this long, and at the end. One commit per
    /// file rewrites the same index pages for every file and halves the import's speed; a
    /// kill loses at most this much work, which the next run redoes.
    public var commitInterval: Duration = .seconds(2)
    /// Called after each commit of a streamed input (standard input, a FIFO), with no
    /// transaction open, with the stop request: lets other writers that wait have their turn
    /// (``ArchiveLock/yieldIfOthersWait(shouldStop:)``); returns whether it did, since the
    /// archive may then have changed.
    public var yieldToWaitingWriters: ((_ shouldStop: () -> Bool) throws -> Bool)?

    public init() {}
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
/// Each input file is imported whole in one transaction together with its provenance, its
/// errors, what the file looked like (size, modification time, SHA-256) and the run's
/// counters; a transaction holds the files of about ``ImportOptions/commitInterval`` of work.
/// A killed import leaves either all of a file or none of it, and a rerun finishes the job
/// (versions are stored once, by content hash). A file unchanged since it was last read
/// completely is not opened again. Records are streamed; memory does not grow with the number
/// or size of files.
///
/// - Throws: ``StoreError`` (``StoreError/init(translating:)`` tells SQLite's failures apart) when the archive cannot be written
///   (the files not yet committed are rolled back, earlier ones stay).
public final class Importer {
    let archive: Archive
    let command: String
    private let diagnostics: (Diagnostic) -> Void
    /// Error rows an import may still store (``ErrorBudget``).
    let errorBudget = ErrorBudget()
    /// How many files the reading thread may have been given ahead of the one being written
    /// (each open; what it has read of them is bounded by ``ReadBudget``).
    static let filesAhead = 16

    public init(archive: Archive, command: String, diagnostics: @escaping (Diagnostic) -> Void) {
        self.archive = archive
        self.command = command
        self.diagnostics = diagnostics
    }

    /// Imports every input (`-` is standard input) and returns the summary.
    public func run(inputs: [String], options: ImportOptions = ImportOptions()) throws -> ImportSummary {
        errorBudget.left = ErrorBudget.perImport
        let clock = ContinuousClock()
        let start = clock.now
        var summary = ImportSummary()
        summary.archivePath = archive.path
        try DerivedData.refreshIfNeeded(archive)
        var total: Int? = nil
        if options.countFilesFirst {
            var counter = InputWalker(paths: inputs, since: options.since, archivePath: archive.path)
            var n = 0
            while let entry = counter.next() {
                if case .file = entry { n += 1 } else if case .stdin = entry { n += 1 }
            }
            total = n
        }
        let run = try ImportRun.begin(in: archive, command: command)
        summary.runID = run.id
        var walker = InputWalker(paths: inputs, since: options.since, archivePath: archive.path)
        var done = 0
        do {
            try run.importing(commitInterval: options.commitInterval) { group in
                // Steps planned ahead: the next files to read are already being parsed, one
                // after another on the reading thread, while this one writes the current file.
                let reader = InputReader()
                defer { reader.finish() }
                var ahead: [Step] = []
                func plan(_ entry: InputWalker.Entry) throws -> Step {
                    switch entry {
                    case .stdin:
                        return .read(display: "-", stored: "<stdin>", info: nil, source: ReadSource(ownsDescriptor: false, streaming: true, reader: reader) { 0 })
                    case .problem(let path, let message, let isError):
                        return .problem(path: path, message: message, isError: isError)
                    case .file(let path, let info):
                        let stored = try storedPath(group, path)
                        if !info.isRegular {
                            // A FIFO or device named on the command line: a stream, read as it comes.
                            return .read(display: path, stored: stored, info: nil, source: ReadSource(ownsDescriptor: true, streaming: true, reader: reader) {
                                Foundation.open(path, O_RDONLY | O_CLOEXEC)
                            })
                        }
                        if let since = options.since, !InputWalker.isOnOrAfter(since, path: path, info: info) {
                            return .outsideRange(path)
                        }
                        if !options.rescan, let known = try group.knownFile(path: stored) {
                            if known.size == info.size && known.mtimeNanoseconds == info.mtimeNanoseconds {
                                return .unchanged(path)
                            }
                            // Same size, new modification time (a re-sync, a touch): compare contents.
                            if let hash = known.sha256, known.size == info.size {
                                if let current = Self.contentHash(path), current == hash {
                                    return .sameContent(path: path, stored: stored, info: info, hash: hash)
                                }
                            }
                        }
                        return .read(display: path, stored: stored, info: info, source: ReadSource(ownsDescriptor: true, reader: reader) {
                            Foundation.open(path, O_RDONLY | O_CLOEXEC)
                        })
                    }
                }
                func nextStep() throws -> Step? {
                    if !ahead.isEmpty { return ahead.removeFirst() }
                    return try walker.next().map(plan)
                }
                /// Plans up to the next ``Importer/filesAhead`` files to read (at most 256 steps
                /// ahead) and starts them; the reading thread reads them in turn, as far ahead
                /// as its budget of batches allows.
                func lookAhead() throws {
                    var reads = ahead.lazy.filter(\.isRead).count
                    while reads < Self.filesAhead, ahead.count < 256, let entry = walker.next() {
                        let step = try plan(entry)
                        ahead.append(step)
                        if case .read(_, _, let info, let source) = step {
                            source.start(hashing: info != nil)
                            reads += 1
                        }
                    }
                }
                func cancelAhead() {
                    for case .read(_, _, _, let source) in ahead { source.cancel() }
                    ahead.removeAll()
                }
                let shouldStop = options.shouldStop
                do {
                    while let step = try nextStep() {
                        // A stop request ends the import between files (and commits them).
                        if options.shouldStop() {
                            summary.interrupted = true
                            if case .read(_, _, _, let source) = step { source.cancel() }
                            cancelAhead()
                            break
                        }
                        switch step {
                        case .outsideRange(let path):
                            summary.filesOutsideRange += 1
                            options.fileDone?(FileReport(path: path, outcome: .outsideRange, counts: .init()))
                            continue
                        case .unchanged(let path):
                            summary.unchangedFiles += 1
                            options.fileDone?(FileReport(path: path, outcome: .unchanged, counts: .init()))
                        case .sameContent(let path, let stored, let info, let hash):
                            summary.filesOpened += 1
                            try group.begin()
                            try group.writer().recordFileState(path: stored, size: info.size, mtimeNanoseconds: info.mtimeNanoseconds, sha256: hash)
                            summary.unchangedFiles += 1
                            options.fileDone?(FileReport(path: path, outcome: .sameContent, counts: .init()))
                        case .problem(let path, let message, let isError):
                            diagnostics(Diagnostic(severity: isError ? .error : .note, path: path, message: message))
                            if isError { summary.unreadableInputs += 1 }
                            continue
                        case .read(let display, let stored, let info, let source):
                            summary.filesOpened += 1
                            source.start(hashing: info != nil)
                            let counts: ArchiveWriter.Counts
                            var stopped = false
                            do {
                                try lookAhead()
                                try group.begin()
                                counts = try importOne(group, displayPath: display, storedPath: stored, stat: info, source: source,
                                                       streamCommits: true, shouldStop: shouldStop,
                                                       yield: options.yieldToWaitingWriters, stopped: &stopped)
                            } catch {
                                source.cancel()
                                throw error
                            }
                            summary.counts += counts
                            options.fileDone?(FileReport(path: display, outcome: .read, counts: counts))
                            if stopped {
                                // Stopped inside the input: what was read is committed below,
                                // the rest of it (and of the import) is left for the next run.
                                summary.interrupted = true
                                source.cancel()
                                cancelAhead()
                                break
                            }
                        }
                        done += 1
                        options.progress?(done, total, summary.counts.newVersions)
                        try group.commitIfDue()
                    }
                } catch {
                    cancelAhead()
                    throw error
                }
            }
        } catch {
            try? run.finish(status: "failed")
            throw error
        }
        try run.finish(status: summary.interrupted ? "interrupted" : "completed", unchangedFiles: summary.unchangedFiles)
        let elapsed = (clock.now - start).components
        summary.elapsedSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return summary
    }

    /// The path a file is recorded under: its real path, with symbolic links resolved, so that
    /// a tree reached through a linked folder is the same tree (not read and sighted again);
    /// the path as written where an older gdarchive recorded it so and the real path is new.
    private func storedPath(_ tx: ImportTransaction, _ path: String) throws -> String {
        let written = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let resolved = realpath(path, nil) else { return written }
        defer { free(resolved) }
        let real = String(cString: resolved)
        if real != written, try tx.knownFile(path: real) == nil, try tx.knownFile(path: written) != nil { return written }
        return real
    }

    /// SHA-256 (hex) of a file's bytes, or nil if it cannot be read.
    static func contentHash(_ path: String) -> String? {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, let reader = try? ChunkReader(fileDescriptor: fd, hashing: true) else { return nil }
        return try? reader.finishHashing()
    }

    /// Imports one input inside the transaction `group` (open).
    ///
    /// - Parameters:
    ///   - streamCommits: whether a streamed input (standard input, a FIFO) commits `group`
    ///     (the commit group of a run) when its interval has passed, between records and
    ///     while the stream is quiet, so that a stream that never ends loses at most that much.
    ///   - shouldStop: asked between batches and while the input is quiet (at least four
    ///     times a second); true stops reading the input: `stopped` is set, what was read is
    ///     kept (committed by the caller), and the input's state is not recorded, so the next
    ///     run reads it again.
    ///   - yield: after each of a streamed input's commits: lets waiting writers have their
    ///     turn (``ImportOptions/yieldToWaitingWriters``).
    func importOne(_ group: ImportTransaction, displayPath: String, storedPath: String, stat info: InputWalker.FileInfo?,
                   source: ReadSource, streamCommits: Bool = false,
                   shouldStop: () -> Bool = { false }, yield: ((() -> Bool) throws -> Bool)? = nil,
                   stopped: inout Bool) throws -> ArchiveWriter.Counts {
        var counts = ArchiveWriter.Counts()
        let writer = try group.writer(forms: GuardDutyModel.formRule)
        let file = try writer.sourceFile(path: storedPath)
        counts.files = 1
        var session = FileSession(writer: writer, file: file, displayPath: displayPath, diagnostics: diagnostics, budget: errorBudget)
        var contentHash: String?
        var complete = false
        source.start(hashing: info != nil)
        let queue = source.queue!
        /// Counts already added to the run by a streamed input's commits.
        var recorded = ArchiveWriter.Counts()
        func pause() throws -> Bool {
            if shouldStop() { return true }
            if source.streaming, streamCommits, group.isDue {
                if session.counts != recorded {
                    try writer.add(session.counts - recorded)
                    recorded = session.counts
                }
                // Also while quiet: the transaction holds SQLite's write lock.
                try group.commit()
                // Other writers take their turn here; what this run knew of the archive may be
                // out of date after it.
                if let yield, try yield(shouldStop) { try writer.afterOtherWriters() }
                if shouldStop() { return true }
                try group.begin()
            }
            return false
        }
        // Reading, parsing and hashing run on another thread while this one writes.
        do {
            reading: while true {
                switch queue.take(waitingAtMost: 0.25) {
                case .closed:
                    complete = true
                    break reading
                case .idle:
                    if try pause() { break reading }
                case .batch(let batch):
                    for item in batch {
                        switch item {
                        case .contentHash(let hash): contentHash = hash
                        case .emptyInput:
                            diagnostics(Diagnostic(severity: .warning, path: displayPath, message: "empty input; nothing to import"))
                        case .readFailure(let reason):
                            try session.reject(line: 0, recordIndex: 0, kind: "unreadable", message: "read failed: \(reason); the records before the failure were kept", excerpt: nil)
                        case .openFailure(let code):
                            try session.reject(line: 0, recordIndex: 0, kind: "unreadable", message: "cannot open: \(String(cString: strerror(code)))", excerpt: nil)
                        default:
                            try session.apply(item)
                        }
                    }
                    if try pause() { break reading }
                }
            }
        } catch {
            source.cancel()
            throw error
        }
        stopped = !complete
        try session.finish()
        if session.counts.errors > session.printedErrors {
            let unstored = session.counts.errors - session.storedErrors
            let stored = unstored > 0
                ? (session.storedErrors > 0 ? "the first \(session.storedErrors) are in the archive's import_errors table, the other \(unstored) were only counted"
                    : "none of them was stored (this import had stored \(ErrorBudget.perImport) already), they were only counted")
                : "they are in the archive's import_errors table"
            diagnostics(Diagnostic(severity: .note, path: displayPath, message: "\(session.counts.errors - session.printedErrors) more errors in this file were not shown (the first \(FileSession.printLimit) are); \(stored)"))
        }
        try session.recordUnstoredErrors()
        counts.records = session.counts.records
        counts.newFindings = session.counts.newFindings
        counts.newVersions = session.counts.newVersions
        counts.knownVersions = session.counts.knownVersions
        counts.skipped = session.counts.skipped
        counts.errors = session.counts.errors
        if complete, let info, let contentHash {
            try writer.recordFileState(file: file, size: info.size, mtimeNanoseconds: info.mtimeNanoseconds, sha256: contentHash)
        }
        try writer.add(counts - recorded)
        return counts
    }
}

/// What the import does with one entry of the walk, decided before its turn.
enum Step {
    case outsideRange(String)
    case unchanged(String)
    case sameContent(path: String, stored: String, info: InputWalker.FileInfo, hash: String)
    case problem(path: String, message: String, isError: Bool)
    case read(display: String, stored: String, info: InputWalker.FileInfo?, source: ReadSource)

    var isRead: Bool { if case .read = self { return true } else { return false } }
}

/// An input to read: opened, and parsed on the reading thread, once started.
final class ReadSource {
    private let open: () -> Int32
    private let ownsDescriptor: Bool
    /// Standard input, a FIFO or a device: read as it comes, committed as it goes.
    let streaming: Bool
    private let reader: InputReader?
    private(set) var queue: ItemQueue?
    private var started = false

    /// - Parameter reader: the import's reading thread; without one, the input is read on a
    ///   thread of its own.
    init(ownsDescriptor: Bool, streaming: Bool = false, reader: InputReader? = nil, open: @escaping () -> Int32) {
        self.ownsDescriptor = ownsDescriptor
        self.streaming = streaming
        self.reader = reader
        self.open = open
    }

    /// Hands the input to the reading thread, which opens and parses it in its turn (once).
    func start(hashing: Bool) {
        guard !started else { return }
        started = true
        let reader = self.reader ?? InputReader()
        let queue = ItemQueue(budget: reader.budget)
        reader.enqueue(InputReader.Job(open: open, ownsDescriptor: ownsDescriptor, hashing: hashing, streaming: streaming, queue: queue))
        if self.reader == nil { reader.finish() }
        self.queue = queue
    }

    /// Stops the producer without waiting for it: it may be blocked opening or reading an
    /// input that never ends (a FIFO with no writer, idle standard input). An input not yet
    /// opened is never opened; one being read is closed when its read returns.
    func cancel() {
        queue?.cancel()
    }
}

/// How many error rows one import stores in all: past ``perImport``, a file's errors are only
/// counted (in its one `more-errors` row), so thousands of bad files cannot grow the archive
/// by their excerpts (a file stores at most ``FileSession/storeLimit``).
final class ErrorBudget {
    static let perImport = 10_000
    var left = perImport
}

/// The records of one input file, stored through one writer.
private struct FileSession {
    let writer: ArchiveWriter
    let file: Int64
    let displayPath: String
    let diagnostics: (Diagnostic) -> Void
    let budget: ErrorBudget
    var counts = ArchiveWriter.Counts()
    /// Errors printed for this file; past ``printLimit`` they are only recorded.
    var printedErrors = 0
    static let printLimit = 20
    /// Errors stored for this file (in `import_errors`); past ``storeLimit`` they are only
    /// counted, so a flood of bad lines cannot grow the archive without bound.
    var storedErrors = 0
    static let storeLimit = 1000
    /// Until the file shows something of GuardDuty, its texts that are not JSON (and do not
    /// start like JSON) and its JSON with nothing of GuardDuty in it are held back: a file of
    /// nothing else (a README, a YAML file with JSON blocks, an INI file such as AWS
    /// `credentials`) gets one note, with nothing of its content printed or stored, and is
    /// skipped; a file whose bytes are not text gets one error saying how to convert it.
    var undecided = true
    var held: [ParsedItem] = []
    var heldCount = 0

    /// Whether a rejection is held back while the file is undecided (see ``undecided``).
    static func isHeld(_ item: ParsedItem) -> Bool {
        guard case .rejected(_, _, let kind, _, let excerpt, _, _, _) = item else { return false }
        if kind == ParsedItem.foreignJSON { return true }
        guard kind == "bad-json", let excerpt else { return false }
        return !startsLikeJSON(excerpt)
    }

    /// Whether a text starts as JSON would: `{` then a member name or `}`, `[` then a value or
    /// `]` (so `[default]`, an INI section, does not), each possibly at the end of its line.
    static func startsLikeJSON(_ bytes: [UInt8]) -> Bool {
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        guard let start = bytes.firstIndex(where: { !isBlank($0) }) else { return false }
        let first = bytes[start]
        guard first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return false }
        guard let next = bytes[(start + 1)...].first(where: { !isBlank($0) }) else { return true }
        if first == UInt8(ascii: "{") { return next == UInt8(ascii: "\"") || next == UInt8(ascii: "}") }
        return Array("\"{[]-0123456789tfn".utf8).contains(next)
    }

    /// Stores one parsed item (on the writing thread, inside the file's transaction).
    mutating func apply(_ item: ParsedItem) throws {
        if undecided {
            if Self.isHeld(item) {
                heldCount += 1
                if held.count < Self.storeLimit { held.append(item) }
                return
            }
            try decideJSON()
        }
        switch item {
        case .version(let record, let line, let index):
            counts.records += 1
            switch try writer.store(record, file: file, line: line, recordIndex: index) {
            case .newFinding: counts.newFindings += 1; counts.newVersions += 1
            case .newVersion: counts.newVersions += 1
            case .known: counts.knownVersions += 1
            }
            for note in writer.statements.notes {
                diagnostics(Diagnostic(severity: .note, path: displayPath, line: line, message: "finding \(VisibleText.escaped(record.id)): " + note))
            }
            writer.statements.notes.removeAll()
        case .rejected(let line, let index, let kind, let message, let excerpt, let reportLine, let reportColumn, let isRecord):
            if isRecord { counts.records += 1 }
            try reject(line: line, recordIndex: index, kind: kind == ParsedItem.foreignJSON ? "not-a-finding" : kind, message: message,
                       excerpt: excerpt, reportLine: reportLine, reportColumn: reportColumn)
        case .skipped(let line, let message):
            counts.records += 1
            counts.skipped += 1
            diagnostics(Diagnostic(severity: .note, path: displayPath, line: line, message: message))
        case .readFailure, .openFailure, .emptyInput, .contentHash:
            break
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
        guard storedErrors < Self.storeLimit, budget.left > 0 else { return }
        storedErrors += 1
        budget.left -= 1
        let text = excerpt.map { String(decoding: $0.prefix(200), as: UTF8.self) }
        try writer.recordError(file: file, line: line, recordIndex: recordIndex, kind: kind, message: message, excerpt: text)
    }

    /// The file has JSON in it: what was held back is reported as the errors it is.
    mutating func decideJSON() throws {
        undecided = false
        let items = held
        held = []
        for item in items { try apply(item) }
        counts.errors += heldCount - items.count
        counts.records += heldCount - items.count
    }

    /// At the end of the file: if nothing in it was of GuardDuty, one note says so and it is
    /// skipped, or, if its bytes are not text, one error says how to convert it. Neither
    /// prints or stores anything of its content.
    mutating func finish() throws {
        guard undecided, heldCount > 0 else { return }
        let items = held
        held = []
        var foreign = 0
        var firstLine = 0
        var notText: (line: Int, excerpt: [UInt8])?
        for item in items {
            guard case .rejected(let line, _, let kind, _, let excerpt, _, _, _) = item else { continue }
            if firstLine == 0 { firstLine = line }
            if kind == ParsedItem.foreignJSON { foreign += 1; continue }
            if notText == nil, let excerpt, !Self.isText(excerpt) { notText = (line, excerpt) }
        }
        if let notText {
            // One error for the file (it is one problem, however many lines it seemed to have).
            counts.records += 1
            try reject(line: notText.line, recordIndex: 0, kind: "not-text",
                       message: Self.notTextMessage(notText.excerpt, path: displayPath), excerpt: nil)
            return
        }
        let what = foreign == 0 ? "not JSON" : foreign == heldCount ? "JSON with nothing of GuardDuty in it" : "text and JSON with nothing of GuardDuty in it"
        diagnostics(Diagnostic(severity: .note, path: displayPath, line: firstLine > 0 ? firstLine : nil,
                               message: "\(what); skipped, nothing in it was imported"))
        counts.skipped += 1
    }

    /// Whether bytes are text: valid UTF-8 (after the transcoding of UTF-16 and UTF-32) with
    /// no NUL and no other control character than tab, line breaks, form feed and escape.
    static func isText(_ bytes: [UInt8]) -> Bool {
        // An excerpt may end inside a character: up to 3 bytes at its end may be cut off.
        let valid = (0...min(3, bytes.count)).contains { cut in String(validating: bytes[..<(bytes.count - cut)], as: UTF8.self) != nil }
        return valid && !bytes.contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D && $0 != 0x0C && $0 != 0x1B }
    }

    /// What a file that is not text is, when its first bytes say, and how to read it.
    static func notTextMessage(_ start: [UInt8], path: String) -> String {
        let compressed: [(magic: [UInt8], name: String, command: String)] = [
            ([0x28, 0xB5, 0x2F, 0xFD], "zstd", "zstd -d"), ([0x42, 0x5A, 0x68], "bzip2", "bunzip2 -k"),
            ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz", "unxz -k"), ([0x50, 0x4B, 0x03, 0x04], "zip", "unzip"),
        ]
        if let format = compressed.first(where: { start.starts(with: $0.magic) }) {
            return "not text: it is compressed with \(format.name), and gdarchive reads gzip and plain text; decompress it first (\(format.command) \(path)); nothing in it was imported"
        }
        return "not text: it is not UTF-8, UTF-16 or UTF-32 (it has bytes that are no character, or NUL); if it is text in another encoding, convert it first (iconv -f ENCODING -t UTF-8 \(path) > converted.json); nothing in it was imported"
    }

    /// Records, in one row, how many errors of the file were counted but not stored.
    func recordUnstoredErrors() throws {
        let unstored = counts.errors - storedErrors
        guard unstored > 0 else { return }
        try writer.recordError(file: file, line: 0, recordIndex: 0, kind: "more-errors",
                               message: "\(unstored) more errors in this file were counted but not stored (a file stores at most \(Self.storeLimit), an import \(ErrorBudget.perImport))", excerpt: nil)
    }

}
