import CGDArchiveCodec
import Foundation

/// Compresses finding bodies for `version_blobs`, and reads them back.
///
/// The first stored version of a finding (its *base*) is one zstd frame on its own; every later
/// version is a zstd frame compressed with the base's text as its dictionary (a zstd *prefix*),
/// so a version that differs from the base in a few fields costs a few dozen bytes. Bases never
/// have bases of their own, so reading any body takes at most two decompressions.
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

    /// zstd level 3 (zstd's default): measured against levels 1 and 9 on the benchmark corpus,
    /// the sizes of deltas barely move and level 3 costs little more than level 1.
    public init(level: Int32 = 3) {
        guard let context = gdarchive_codec_create(level) else { fatalError("out of memory creating a zstd context") }
        self.context = context
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

    /// The text of one frame, compressed against `base` when given.
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
            guard n == size else { throw StoreError.bodyCodec("a stored body does not decompress (damaged, or its base is missing)") }
            return out
        }
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

    /// Forgets every cached base (after a rollback, a cached base may no longer exist).
    public func forgetCachedBases() {
        bases.removeAll()
        cachedBytes = 0
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
