import Foundation
@testable import GDArchiveIngest
import GDArchiveTestSupport
import Testing

/// The import's reading thread: it reads inputs one after another, ahead of the writer, but
/// never holds more than its budget of parsed batches.
@Suite struct InputReaderTests {
    /// Six export files of 200 findings each (four batches of up to 64 records each).
    func inputs(_ tmp: TemporaryDirectory) throws -> [String] {
        let tree = tmp.url.appendingPathComponent("exports")
        try FindingGenerator(seed: 9).writeExportTree(at: tree, files: 6, findingsPerFile: 200)
        let walker = FileManager.default.enumerator(atPath: tree.path)!
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".gz") }.sorted().map { tree.path + "/" + $0 }
    }

    func job(_ path: String, _ reader: InputReader) -> (InputReader.Job, ItemQueue) {
        let queue = ItemQueue(budget: reader.budget)
        return (InputReader.Job(open: { open(path, O_RDONLY | O_CLOEXEC) }, ownsDescriptor: true, hashing: true, queue: queue), queue)
    }

    @Test func theReaderRunsAheadAcrossInputsWithinItsBudgetAndKeepsTheirOrder() throws {
        let tmp = try TemporaryDirectory()
        let paths = try inputs(tmp)
        #expect(paths.count == 6)
        let reader = InputReader()
        defer { reader.finish() }
        let queues = paths.map { path -> ItemQueue in
            let (job, queue) = job(path, reader)
            reader.enqueue(job)
            return queue
        }
        // Nothing taken yet: the reader went past the first inputs (each holds at most 8
        // batches) and stopped at the shared budget.
        #expect(reader.budget.waitUntilAProducerWaits() == reader.budget.limit)
        // Taking them in order gives every record of each input, in line order, and the
        // content hash last.
        for queue in queues {
            var lines: [Int] = []
            var hashLast = false
            while let batch = queue.take() {
                for item in batch {
                    hashLast = false
                    if case .version(_, let line, _) = item { lines.append(line) }
                    if case .contentHash(let hash) = item { hashLast = hash != nil }
                }
            }
            #expect(lines == Array(1...200))
            #expect(hashLast)
        }
        #expect(reader.budget.batchesInFlight == 0)
    }

    @Test func cancelledInputsAreClosedWithoutBeingRead() throws {
        let tmp = try TemporaryDirectory()
        let paths = try inputs(tmp)
        let reader = InputReader()
        let jobs = paths.map { job($0, reader) }
        for (job, _) in jobs { reader.enqueue(job) }
        _ = reader.budget.waitUntilAProducerWaits()
        // The writer gives up (an error, a stop request): every queue is cancelled in order,
        // and each is closed (its descriptor with it), read or not, without waiting for the
        // writer to take anything.
        for (_, queue) in jobs {
            queue.cancel()
            queue.waitUntilClosed()
        }
        #expect(reader.budget.batchesInFlight == 0)
        reader.finish()
    }
}
