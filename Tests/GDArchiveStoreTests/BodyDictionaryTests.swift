import Foundation
import GDArchiveModel
@testable import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

/// Bases compressed with a dictionary trained on earlier bases (migration 13).
@Suite struct BodyDictionaryTests {
    static let generator = FindingGenerator(seed: 13)

    static func text(_ n: Int, version: Int = 1) -> [UInt8] {
        Array(generator.finding(number: n, version: version).utf8)
    }

    /// Trains a codec on `count` generated bases; returns the dictionary.
    static func trained(_ codec: BodyCodec, count: Int) throws -> Data {
        var dictionary: Data?
        for n in 0..<count {
            let result = codec.trainingSample(text(n))
            #expect((result == nil) == (n < count - 1), "a dictionary once the samples are complete, not before")
            dictionary = result ?? dictionary
        }
        return try #require(dictionary)
    }

    @Test func aDictionaryTrainedOnBasesShrinksTheNextOnesAndTheFramesNameIt() throws {
        let codec = BodyCodec(trainingSamples: 300)
        let dictionary = try Self.trained(codec, count: 300)
        #expect(dictionary.count <= BodyCodec.dictionaryCapacity)
        let alone = try codec.compress(Self.text(5_000), base: nil)
        #expect(BodyCodec.dictionary(of: alone) == nil)
        let id = try codec.addDictionary(dictionary)
        try codec.useDictionary(id)
        let base = try codec.compress(Self.text(5_000), base: nil)
        #expect(BodyCodec.dictionary(of: base) == id)
        #expect(base.count * 2 < alone.count, "with the dictionary \(base.count) bytes, alone \(alone.count)")
        #expect(try codec.decompress(base, base: nil) == Self.text(5_000))
        // Later versions are still compressed against their base's text, without the dictionary.
        let delta = try codec.compress(Self.text(5_000, version: 2), base: Self.text(5_000))
        #expect(BodyCodec.dictionary(of: delta) == nil)
        #expect(try codec.decompress(delta, base: Self.text(5_000)) == Self.text(5_000, version: 2))
        // Another codec reads the base only once it has the dictionary.
        let reader = BodyCodec()
        #expect { try reader.decompress(base, base: nil) } throws: { "\($0)".contains("needs dictionary \(id)") }
        try reader.addDictionary(dictionary)
        #expect(try reader.decompress(base, base: nil) == Self.text(5_000))
        // Once a dictionary is in use, bases are no longer collected.
        #expect(codec.trainingSample(Self.text(9_000)) == nil)
    }

    /// Stores versions of generated findings `numbers` (two versions of every third) with one
    /// writer and codec; returns the bodies stored.
    @discardableResult
    static func store(_ numbers: Range<Int>, in db: Database, run: Int64, bodies: BodyCodec) throws -> [String] {
        let writer = try ArchiveWriter(db: db, runID: run, bodies: bodies)
        let file = try writer.sourceFile(path: "/x")
        var stored: [String] = []
        for n in numbers {
            for version in 1...(n % 3 == 0 ? 2 : 1) {
                let body = generator.finding(number: n, version: version)
                var record = VersionRecord(id: generator.id(n), accountId: "111122223333", region: "us-east-1", body: body)
                record.updatedAt = String(format: "2025-01-%02dT00:00:00.000Z", version)
                record.count = Int64(version)
                _ = try writer.store(record, file: file, line: n * 2 + version, recordIndex: 0)
                stored.append(body)
            }
        }
        return stored
    }

    @Test func theWriterTrainsOnceAndEveryBodyReadsBackThroughTheView() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("a.sqlite")
        let archive = try Archive.open(path: path)
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        let bodies = BodyCodec(trainingSamples: 200)
        let stored = try archive.database.write { try Self.store(0..<600, in: $0, run: run, bodies: bodies) }
        // A second run's codec finds the dictionary and uses it; it trains no other.
        let more = try archive.database.write { try Self.store(600..<700, in: $0, run: run, bodies: BodyCodec(trainingSamples: 200)) }
        let (dictionaries, frames) = try archive.database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM body_dictionaries")!,
             try Row.fetchAll(db, sql: "SELECT version_id, data, base_version_id FROM version_blobs ORDER BY version_id"))
        }
        #expect(dictionaries == 1)
        let bases = frames.filter { ($0["base_version_id"] as Int64?) == nil }
        let withDictionary = bases.filter { BodyCodec.dictionary(of: $0["data"]) != nil }
        // The first 200 bases trained it; the other 500 use it. No delta does.
        #expect(bases.count == 700 && withDictionary.count == 500)
        #expect(frames.allSatisfy { ($0["base_version_id"] as Int64?) == nil || BodyCodec.dictionary(of: $0["data"]) == nil })
        #expect(try archive.check().problems == [])
        // A new connection's SQL function reads the dictionary from the archive when a frame needs it.
        let reopened = try Archive.open(path: path)
        let viaView = try reopened.database.read { try String.fetchAll($0, sql: "SELECT body FROM version_bodies ORDER BY version_id") }
        #expect(viaView == stored + more)
    }

    @Test func checkSaysWhichDictionaryIsMissing() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        try archive.database.write { try Self.store(0..<120, in: $0, run: run, bodies: BodyCodec(trainingSamples: 100)) }
        let id = try archive.database.write { db -> Int64 in
            let id = try Int64.fetchOne(db, sql: "SELECT dictionary_id FROM body_dictionaries")!
            try db.execute(sql: "DELETE FROM body_dictionaries")
            return id
        }
        // The bases stored after the dictionary was trained, and their later versions (the
        // first 20 named, the rest counted).
        let problems = try archive.check().problems
        #expect(problems.count == 21 && problems.last?.hasPrefix("… and ") == true)
        #expect(problems.dropLast().allSatisfy { $0.contains("its body needs dictionary \(id), which the archive does not have") }, "\(problems)")
    }

    @Test func aRolledBackDictionaryIsNeverUsedAfterwards() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        let bodies = BodyCodec(trainingSamples: 100)
        struct Stop: Error {}
        // The transaction that trained the dictionary rolls back: the dictionary goes with it.
        #expect(throws: Stop.self) {
            try archive.database.write { db in
                try Self.store(0..<150, in: db, run: run, bodies: bodies)
                #expect(bodies.activeDictionary != nil)
                throw Stop()
            }
        }
        bodies.forgetCachedBases()
        #expect(bodies.activeDictionary == nil)
        try archive.database.write { try Self.store(150..<200, in: $0, run: run, bodies: bodies) }
        let dictionaries = try archive.database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM body_dictionaries")! }
        #expect(dictionaries == 0)
        #expect(try archive.check().problems == [])
    }
}

/// `gdarchive compact`: bases stored without the dictionary are recompressed with it.
@Suite struct CompactTests {
    @Test func compactTrainsOnStoredBasesAndRecompressesThemWithoutChangingABody() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        // As an archive made before migration 13: no dictionary, every base alone.
        let stored = try archive.database.write { try BodyDictionaryTests.store(0..<300, in: $0, run: run, bodies: BodyCodec(trainingSamples: 0)) }
        let bodies = { try archive.database.read { try String.fetchAll($0, sql: "SELECT body FROM version_bodies ORDER BY version_id") } }
        let baseFrames = {
            try archive.database.read { try Data.fetchAll($0, sql: "SELECT data FROM version_blobs WHERE base_version_id IS NULL ORDER BY version_id") }
        }
        #expect(try bodies() == stored)
        #expect(try baseFrames().allSatisfy { BodyCodec.dictionary(of: $0) == nil })
        let sizeBefore = try baseFrames().reduce(0) { $0 + $1.count }

        let report = try archive.compact(trainingSamples: 200)
        #expect(report.trained && report.hasDictionary)
        #expect(report.recompressed == 300)
        #expect(report.bytesAfter < report.bytesBefore)
        let frames = try baseFrames()
        #expect(frames.count == 300 && frames.allSatisfy { BodyCodec.dictionary(of: $0) != nil })
        #expect(frames.reduce(0) { $0 + $1.count } * 2 < sizeBefore)
        #expect(try bodies() == stored)
        #expect(try archive.check().problems == [])

        // Again: nothing left to do.
        let again = try archive.compact(trainingSamples: 200)
        #expect(!again.trained && again.hasDictionary && again.recompressed == 0)
        // And the writer goes on with the dictionary compact trained.
        let more = try archive.database.write { try BodyDictionaryTests.store(300..<320, in: $0, run: run, bodies: BodyCodec(trainingSamples: 0)) }
        #expect(try bodies() == stored + more)
        #expect(try baseFrames().allSatisfy { BodyCodec.dictionary(of: $0) != nil })
    }

    @Test func withTooFewBasesCompactTrainsNothingAndChangesNoBody() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        let stored = try archive.database.write { try BodyDictionaryTests.store(0..<50, in: $0, run: run, bodies: BodyCodec(trainingSamples: 0)) }
        let report = try archive.compact(trainingSamples: 200)
        #expect(!report.trained && !report.hasDictionary && report.recompressed == 0)
        #expect(try archive.database.read { try String.fetchAll($0, sql: "SELECT body FROM version_bodies ORDER BY version_id") } == stored)
    }
}
