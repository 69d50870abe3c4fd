import CGDArchiveCodec
import Foundation
import GRDB

/// Compresses finding bodies for `version_blobs`, and reads them back.
///
/// The first stored version of a finding (its *base*) is one zstd frame on its own; every later
/// version is a zstd frame compressed with the base's text as its dictionary (a zstd *prefix*),
/// so a version that differs from the base in a few fields costs a few dozen bytes. Bases never
/// have bases of their own, so reading any body takes at most two decompressions.
///
/// Bases themselves are compressed with a dictionary trained on an archive's first
/// ``trainingSamples`` bases (migration 13 keeps it in `body_dictionaries`; the frame names
/// it): findings share most of their structure and wording, so a base costs about a sixth of
/// what it costs alone.
///
/// ```swift
/// let codec = BodyCodec()
/// let base = try codec.compress(Array(first.utf8), base: nil)
/// let delta = try codec.compress(Array(second.utf8), base: Array(first.utf8))
/// let text = try codec.decompress(delta, base: Array(first.utf8))   // == second
/// ```
///
/// Not thread-safe: one codec per thread (the import's writer thread owns one).
public final class BodyCodec {
    private let context: OpaquePointer
    /// Decompressed bases by version id: most new versions belong to findings seen recently.
    private var bases: [Int64: [UInt8]] = [:]
    private var cachedBytes = 0
    /// The most the base cache holds, in bytes, before it starts over.
    public static let cacheLimit = 16 << 20

    /// How many bases a dictionary is trained on (about 3 MB of JSON).
    public let trainingSamples: Int
    /// The largest dictionary trained: 16 KiB compressed the benchmark's bases as well as 64.
    public static let dictionaryCapacity = 16 << 10
    /// The dictionary new bases are compressed with, if any.
    public private(set) var activeDictionary: UInt32?
    /// Whether the archive's dictionaries were read (see ``loadDictionaries(_:)``).
    private var dictionariesLoaded = false
    /// Bases collected for training, one after the other, and their sizes.
    private var samples: [UInt8] = []
    private var sampleSizes: [Int] = []
    /// No more training in this run (it failed once).
    private var trainingFailed = false

    /// zstd level 3 (zstd's default): measured against levels 1 and 9 on the benchmark corpus,
    /// the sizes of deltas barely move and level 3 costs little more than level 1.
    public init(level: Int32 = 3, trainingSamples: Int = 1000) {
        guard let context = gdarchive_codec_create(level) else { fatalError("out of memory creating a zstd context") }
        self.context = context
        self.trainingSamples = trainingSamples
    }

    deinit { gdarchive_codec_free(context) }

    /// One zstd frame holding `text`, compressed against `base` when given.
    public func compress(_ text: [UInt8], base: [UInt8]?) throws -> Data {
        let capacity = gdarchive_codec_bound(text.count)
        var out = Data(count: capacity)
        let written = out.withUnsafeMutableBytes { dst in
            text.withUnsafeBytes { src in
                withOptionalBytes(base) { prefix, prefixCount in
                    gdarchive_codec_compress(context, src.baseAddress, src.count, prefix, prefixCount, dst.baseAddress, capacity)
                }
            }
        }
        guard written > 0 else { throw StoreError.bodyCodec("cannot compress a body of \(text.count) bytes") }
        out.count = written
        return out
    }

    /// The text of one frame, compressed against `base` when given (or with a dictionary the
    /// codec has: see ``loadDictionaries(_:)``).
    public func decompress(_ frame: Data, base: [UInt8]?) throws -> [UInt8] {
        try frame.withUnsafeBytes { src -> [UInt8] in
            let size = gdarchive_codec_content_size(src.baseAddress, src.count)
            guard size >= 0 else { throw StoreError.bodyCodec("a stored body is not a zstd frame with its size (damaged?)") }
            var out = [UInt8](repeating: 0, count: Int(size))
            let n = out.withUnsafeMutableBytes { dst in
                withOptionalBytes(base) { prefix, prefixCount in
                    gdarchive_codec_decompress(context, src.baseAddress, src.count, prefix, prefixCount, dst.baseAddress, dst.count)
                }
            }
            if n == -2 { throw StoreError.missingDictionary(gdarchive_codec_frame_dictionary(src.baseAddress, src.count)) }
            guard n == size else { throw StoreError.bodyCodec("a stored body does not decompress (damaged, or its base is missing)") }
            return out
        }
    }

    /// The id of the trained dictionary a frame was compressed with, or nil.
    public static func dictionary(of frame: Data) -> UInt32? {
        let id = frame.withUnsafeBytes { gdarchive_codec_frame_dictionary($0.baseAddress, $0.count) }
        return id == 0 ? nil : id
    }

    /// Adds a trained dictionary; returns its id.
    @discardableResult
    public func addDictionary(_ dictionary: Data) throws -> UInt32 {
        let id = dictionary.withUnsafeBytes { gdarchive_codec_add_dictionary(context, $0.baseAddress, $0.count) }
        guard id != 0 else { throw StoreError.bodyCodec("not a zstd dictionary (\(dictionary.count) bytes)") }
        return id
    }

    /// Compresses new bases with dictionary `id` (added before), or without one.
    public func useDictionary(_ id: UInt32?) throws {
        guard gdarchive_codec_use_dictionary(context, id ?? 0) == 0 else { throw StoreError.bodyCodec("no dictionary \(id ?? 0) to compress with") }
        activeDictionary = id
    }

    /// Reads the archive's dictionaries (once, until ``forgetCachedBases()``) and compresses
    /// new bases with the latest.
    public func loadDictionaries(_ db: Database) throws {
        guard !dictionariesLoaded else { return }
        var latest: UInt32?
        for row in try Row.fetchAll(db, sql: "SELECT dictionary_id, data FROM body_dictionaries ORDER BY trained_at, dictionary_id") {
            latest = try addDictionary(row["data"])
        }
        try useDictionary(latest)
        dictionariesLoaded = true
    }

    /// Collects a new base for training while no dictionary is in use; once there are
    /// ``trainingSamples``, returns the dictionary trained on them (which the caller stores,
    /// then passes to ``addDictionary(_:)`` and ``useDictionary(_:)``). Nil while collecting, or
    /// when training failed (too little or too uniform text); then this run stops trying.
    public func trainingSample(_ text: [UInt8]) -> Data? {
        guard activeDictionary == nil, !trainingFailed, trainingSamples > 0 else { return nil }
        samples += text
        sampleSizes.append(text.count)
        guard sampleSizes.count >= trainingSamples else { return nil }
        var dictionary = Data(count: Self.dictionaryCapacity)
        let sizes = sampleSizes
        let size = dictionary.withUnsafeMutableBytes { dst in
            samples.withUnsafeBytes { src in
                sizes.withUnsafeBufferPointer { gdarchive_codec_train(dst.baseAddress, dst.count, src.baseAddress, $0.baseAddress, UInt32($0.count)) }
            }
        }
        samples = []
        sampleSizes = []
        guard size > 0 else {
            trainingFailed = true
            return nil
        }
        dictionary.count = size
        return dictionary
    }

    /// The decompressed text of base `versionID`, from the cache or from `load` (which returns
    /// its stored frame).
    func base(_ versionID: Int64, load: () throws -> Data?) throws -> [UInt8]? {
        if let cached = bases[versionID] { return cached }
        guard let frame = try load() else { return nil }
        let text = try decompress(frame, base: nil)
        remember(versionID, text)
        return text
    }

    /// Keeps the text of a new base for the versions that follow it.
    func remember(_ versionID: Int64, _ text: [UInt8]) {
        if cachedBytes + text.count > Self.cacheLimit {
            bases.removeAll(keepingCapacity: true)
            cachedBytes = 0
        }
        bases[versionID] = text
        cachedBytes += text.count
    }

    /// Forgets every cached base, the dictionary in use and the training samples: after a
    /// rollback, a cached base or a new dictionary may no longer exist. The next
    /// ``loadDictionaries(_:)`` reads them again.
    public func forgetCachedBases() {
        bases.removeAll()
        cachedBytes = 0
        activeDictionary = nil
        gdarchive_codec_use_dictionary(context, 0)
        dictionariesLoaded = false
        samples = []
        sampleSizes = []
    }

    /// Registers `gdarchive_body(data, base_data)` and `gdarchive_compress(text, base_text)` on
    /// a raw SQLite connection.
    public static func registerFunctions(on connection: OpaquePointer) -> Int32 {
        gdarchive_register_codec_functions(connection)
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { body($0.baseAddress, $0.count) }
}
