import GDArchiveModel
import Foundation
import GDArchiveJSON
import GDArchiveStore

/// One result of reading an input, ready for the writer: parsing, recognising, canonical JSON,
/// hashing and indicator extraction all happen before it (on the reading thread).
enum ParsedItem: Sendable {
    case version(VersionRecord, line: Int, index: Int)
    case rejected(line: Int, index: Int, kind: String, message: String, excerpt: [UInt8]?, reportLine: Int?, reportColumn: Int?, isRecord: Bool)
    case skipped(line: Int, message: String)
    case readFailure(String)
    /// The input could not be opened (errno).
    case openFailure(Int32)
    case emptyInput
    case contentHash(String?)
}

/// The batches read but not yet written, across every input of an import: the reading thread
/// waits while there are `limit` of them, so memory stays bounded however many inputs it has
/// read ahead. Its lock is the one every queue of the import uses.
final class ReadBudget: @unchecked Sendable {
    let condition = NSCondition()
    var inFlight = 0
    /// Producers waiting in ``ItemQueue/put(_:)`` for room (in the budget or their queue).
    var waitingProducers = 0
    let limit: Int

    init(limit: Int = 16) {
        self.limit = limit
    }

    /// The batches read and not yet taken, now.
    var batchesInFlight: Int {
        condition.lock()
        defer { condition.unlock() }
        return inFlight
    }

    /// Blocks until a producer waits for room, and returns the batches in flight then (for
    /// tests: an observable state, not a pause).
    func waitUntilAProducerWaits() -> Int {
        condition.lock()
        defer { condition.unlock() }
        while waitingProducers == 0 { condition.wait() }
        return inFlight
    }
}

/// A bounded queue of item batches between the reading thread and the writing thread, one per
/// input, so that memory stays bounded while both cores work.
final class ItemQueue: @unchecked Sendable {
    private let budget: ReadBudget
    private var condition: NSCondition { budget.condition }
    private var batches: [[ParsedItem]] = []
    private var closed = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int = 8, budget: ReadBudget = ReadBudget()) {
        self.capacity = capacity
        self.budget = budget
    }

    /// Adds a batch; false if the consumer gave up (the producer should stop).
    func put(_ batch: [ParsedItem]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while (batches.count >= capacity || budget.inFlight >= budget.limit) && !cancelled {
            budget.waitingProducers += 1
            condition.broadcast()
            condition.wait()
            budget.waitingProducers -= 1
        }
        if cancelled { return false }
        batches.append(batch)
        budget.inFlight += 1
        condition.broadcast()
        return true
    }

    /// The next batch, or nil once the producer closed the queue and it is empty.
    func take() -> [ParsedItem]? {
        while true {
            switch take(waitingAtMost: nil) {
            case .batch(let batch): return batch
            case .closed: return nil
            case .idle: continue
            }
        }
    }

    enum Taken {
        case batch([ParsedItem])
        /// Nothing arrived in the time given (a stream that is quiet, an input still opening).
        case idle
        case closed
    }

    /// The next batch, waiting at most `timeout` seconds for one (nil: as long as it takes).
    func take(waitingAtMost timeout: Double?) -> Taken {
        condition.lock()
        defer { condition.unlock() }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while batches.isEmpty && !closed {
            if let deadline {
                if !condition.wait(until: deadline) && batches.isEmpty && !closed { return .idle }
            } else {
                condition.wait()
            }
        }
        if batches.isEmpty { return .closed }
        let batch = batches.removeFirst()
        budget.inFlight -= 1
        condition.broadcast()
        return .batch(batch)
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer stops: wakes and stops the producer.
    func cancel() {
        condition.lock()
        cancelled = true
        budget.inFlight -= batches.count
        batches.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Waits until the producer has closed the queue (after a cancel, so its descriptor is closed).
    func waitUntilClosed() {
        condition.lock()
        while !closed { condition.wait() }
        condition.unlock()
    }
}

/// The one thread that reads, decompresses and parses an import's inputs, one after another
/// in the order they are written, each into its own queue. It runs ahead of the writer across
/// inputs, within the shared ``ReadBudget``: with a thread per input and one input ahead, the
/// reader stopped at the end of each small file until the writer caught up, and the 633 files
/// of the 100k benchmark took a quarter longer to import than the same records in one file.
final class InputReader: @unchecked Sendable {
    struct Job {
        /// Opens the input (on the reading thread: a FIFO with no writer blocks there, not in
        /// the writer, which keeps answering stop requests); -1 with errno set on failure.
        let open: () -> Int32
        let ownsDescriptor: Bool
        let hashing: Bool
        /// A pipe, FIFO or terminal: records are handed over as soon as they are read, not 64 at
        /// a time, so that a quiet stream's last records reach the writer (and its commits).
        var streaming = false
        let queue: ItemQueue
    }

    let budget = ReadBudget()
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var finished = false
    private var running = false

    /// Reads `job` once the inputs enqueued before it are read.
    func enqueue(_ job: Job) {
        condition.lock()
        defer { condition.unlock() }
        jobs.append(job)
        condition.broadcast()
        if !running {
            running = true
            Thread.detachNewThread { [self] in
                Thread.current.name = "gdarchive-read"
                loop()
            }
        }
    }

    /// No more inputs: the thread ends once those enqueued are read or cancelled.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty {
                running = false
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            if !job.queue.isCancelled {
                let fd = job.open()
                if fd < 0 {
                    _ = job.queue.put([.openFailure(errno)])
                } else if job.queue.isCancelled {
                    if job.ownsDescriptor { close(fd) }
                } else {
                    Producer.run(fd: fd, ownsDescriptor: job.ownsDescriptor, hashing: job.hashing, streaming: job.streaming, into: job.queue)
                }
            }
            job.queue.close()
        }
    }
}

enum Producer {
    static func run(fd: Int32, ownsDescriptor: Bool, hashing: Bool, streaming: Bool = false, into queue: ItemQueue) {
        var batch: [ParsedItem] = []
        batch.reserveCapacity(64)
        func flush() -> Bool {
            guard !batch.isEmpty else { return true }
            defer { batch.removeAll(keepingCapacity: true) }
            return queue.put(batch)
        }
        let chunks: ChunkReader
        do {
            chunks = try ChunkReader(fileDescriptor: fd, ownsDescriptor: ownsDescriptor, hashing: hashing)
        } catch {
            if ownsDescriptor { close(fd) }
            _ = queue.put([.readFailure(describe(error))])
            return
        }
        let reader = RecordReader(chunks: chunks)
        var produced = 0
        do {
            while let raw = try reader.next() {
                let items = parse(raw)
                produced += items.count
                batch.append(contentsOf: items)
                // A stream hands over what it has before a read that may wait for more.
                if (batch.count >= 64 || (streaming && !reader.hasBufferedRecords)) && !flush() { return }
            }
            if reader.linesRead == 0 && produced == 0 { batch.append(.emptyInput) }
            batch.append(.contentHash(try chunks.finishHashing()))
        } catch {
            batch.append(.readFailure(describe(error)))
        }
        _ = flush()
    }

    static func describe(_ error: Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        return "\(error)"
    }

    /// Everything that can be done with one JSON text without the archive.
    static func parse(_ raw: RawRecord) -> [ParsedItem] {
        switch raw {
        case .value(let line, let bytes):
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes)
            } catch {
                let (l, c) = position(of: error.offset, in: bytes, startLine: line)
                return [.rejected(line: line, index: 0, kind: "bad-json", message: "invalid JSON: \(error.message)", excerpt: Array(bytes.prefix(200)),
                                  reportLine: l, reportColumn: c, isRecord: true)]
            }
            let excerpt = Array(bytes.prefix(200))
            if RecordClassifier.isForeign(value) {
                // Kept apart until the file shows findings: a file of nothing but such JSON is
                // not findings input, and gets one note (see the importer's FileSession).
                return [.rejected(line: line, index: 0, kind: ParsedItem.foreignJSON,
                                  message: { if case .object = value { return true } else { return false } }() ? "this object is not a GuardDuty finding (it has none of id, accountId, region, type, resource, service); expected a finding, {\"findings\":[…]}, {\"Findings\":[…]} or an EventBridge event"
                                                          : "a JSON \(RecordClassifier.kindName(value)) is not a GuardDuty finding; expected an object",
                                  excerpt: excerpt, reportLine: nil, reportColumn: nil, isRecord: true)]
            }
            let classified = RecordClassifier.classify(value)
            let several = classified.count > 1
            return classified.map { item -> ParsedItem in
                switch item {
                case .finding(let wire, let index):
                    do {
                        return .version(try FindingExtractor.record(from: wire, sizeHint: several ? 4096 : bytes.count), line: line, index: index)
                    } catch let error as RejectedFinding {
                        return .rejected(line: line, index: index, kind: error.kind, message: (several ? "record \(index + 1): " : "") + error.message,
                                         excerpt: excerpt, reportLine: nil, reportColumn: nil, isRecord: true)
                    } catch {
                        return .rejected(line: line, index: index, kind: "not-a-finding", message: "\(error)", excerpt: excerpt,
                                         reportLine: nil, reportColumn: nil, isRecord: true)
                    }
                case .skipped(let index, let reason):
                    return .skipped(line: line, message: (several ? "record \(index + 1): " : "") + "skipped: " + reason)
                case .rejected(let index, let kind, let message):
                    return .rejected(line: line, index: index, kind: kind, message: (several ? "record \(index + 1): " : "") + message,
                                     excerpt: excerpt, reportLine: nil, reportColumn: nil, isRecord: true)
                }
            }
        case .invalid(let line, let message, let excerpt):
            return [.rejected(line: line, index: 0, kind: "bad-json", message: "invalid JSON: " + message, excerpt: excerpt, reportLine: nil, reportColumn: nil, isRecord: true)]
        case .damage(let line, let message):
            return [.rejected(line: line, index: 0, kind: "damaged-input", message: message, excerpt: nil, reportLine: nil, reportColumn: nil, isRecord: false)]
        }
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

extension ParsedItem {
    /// The kind of a rejection of JSON with nothing of GuardDuty in it (stored as
    /// `not-a-finding` once the file shows findings).
    static let foreignJSON = "foreign-json"
}
