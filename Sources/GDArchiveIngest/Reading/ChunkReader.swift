import CZlib
import Foundation
import GDArchiveModel

/// Damage in an input stream: what was read before it is good, what follows is lost.
public struct InputDamage: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Reads an input as a sequence of byte chunks, decompressing gzip (detected by its magic
/// bytes, never by file name; multi-member gzip included) on the way.
///
/// ```swift
/// let reader = try ChunkReader(fileDescriptor: fd)
/// while let chunk = try reader.next() { consume(chunk) }
/// ```
///
/// - Throws: ``InputDamage`` from ``next()`` when the gzip stream is truncated or corrupt,
///   after every chunk before the damage has been returned; `POSIXError` for read failures.
public final class ChunkReader {
    /// Whether the input was gzip-compressed.
    public private(set) var isGzip = false
    /// Compressed (raw) bytes read so far.
    public private(set) var rawBytesRead = 0
    /// SHA-256 of the raw bytes, when hashing was asked for.
    private var hasher: SHA256.Hasher?

    private let fd: Int32
    private let ownsDescriptor: Bool
    private var raw: [UInt8]
    private var rawCount = 0
    private var rawEOF = false
    private var stream = z_stream()
    private var streamActive = false
    private var out: [UInt8]
    private var pendingPlain: [UInt8]? = nil
    private var finished = false

    static let rawChunkSize = 256 * 1024
    static let outChunkSize = 512 * 1024

    /// Reads from `fd`; closes it when done if `ownsDescriptor`.
    public init(fileDescriptor fd: Int32, ownsDescriptor: Bool = true, hashing: Bool = false) throws {
        self.fd = fd
        self.hasher = hashing ? SHA256.Hasher() : nil
        self.ownsDescriptor = ownsDescriptor
        self.raw = [UInt8](repeating: 0, count: Self.rawChunkSize)
        self.out = [UInt8](repeating: 0, count: Self.outChunkSize)
        try fillRaw(atLeast: 2)
        if rawCount >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
            isGzip = true
            try startMember()
        } else {
            pendingPlain = Array(raw[0..<rawCount])
            rawCount = 0
        }
    }

    deinit {
        if streamActive { inflateEnd(&stream) }
        if ownsDescriptor { close(fd) }
    }

    /// Reads until `raw` holds at least `n` bytes or the input ends.
    private func fillRaw(atLeast n: Int) throws {
        while rawCount < n && !rawEOF {
            let got = raw.withUnsafeMutableBytes { buffer in
                Foundation.read(fd, buffer.baseAddress! + rawCount, buffer.count - rawCount)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if got == 0 {
                rawEOF = true
            } else {
                if hasher != nil {
                    raw.withUnsafeBufferPointer { hasher!.update(UnsafeBufferPointer(rebasing: $0[rawCount..<(rawCount + got)])) }
                }
                rawCount += got
                rawBytesRead += got
            }
        }
    }

    /// Reads whatever is left of the input (after damage, say) and returns the SHA-256 of all
    /// of it, in hexadecimal. Only with `hashing: true`.
    public func finishHashing() throws -> String? {
        guard hasher != nil else { return nil }
        while !rawEOF {
            rawCount = 0
            try fillRaw(atLeast: raw.count)
        }
        return SHA256.hex(hasher!.finalize())
    }

    private func startMember() throws {
        if streamActive {
            inflateReset(&stream)
        } else {
            stream = z_stream()
            guard gdarchive_inflate_init(&stream) == Z_OK else {
                throw InputDamage(message: "cannot start gzip decompression (zlib refused)")
            }
            streamActive = true
        }
    }

    /// The input's text encoding, once its first bytes are read (see ``TextTranscoder``).
    public var encoding: TextEncoding? { transcoder.encoding }
    private var transcoder = TextTranscoder()
    private var transcoderFinished = false

    /// The next chunk of (decompressed) text in UTF-8, or nil at the end: UTF-16 and UTF-32
    /// input is transcoded, and the markers that only frame the text (byte order marks, the
    /// record separators of a JSON text sequence) are dropped (see ``TextTranscoder``).
    public func next() throws -> ArraySlice<UInt8>? {
        while true {
            guard let chunk = try nextBytes() else {
                if transcoderFinished { return nil }
                transcoderFinished = true
                let rest = transcoder.finish()
                return rest.isEmpty ? nil : rest
            }
            let text = transcoder.feed(chunk)
            if !text.isEmpty { return text }
        }
    }

    /// The next chunk of (decompressed) bytes, or nil at the end.
    private func nextBytes() throws -> ArraySlice<UInt8>? {
        if let plain = pendingPlain {
            pendingPlain = nil
            if !plain.isEmpty { return plain[...] }
        }
        if finished {
            if let damage = damageAfterChunk {
                damageAfterChunk = nil
                throw damage
            }
            return nil
        }
        if !isGzip {
            rawCount = 0
            try fillRaw(atLeast: 1)
            if rawCount == 0 { finished = true; return nil }
            let chunk = raw[0..<rawCount]
            rawCount = 0
            return chunk
        }
        return try nextGzip()
    }

    private func nextGzip() throws -> ArraySlice<UInt8>? {
        while true {
            if rawCount == 0 { try fillRaw(atLeast: 1) }
            if rawCount == 0 && rawEOF {
                finished = true
                throw InputDamage(message: "the gzip data ends early (the file is truncated); the lines before the cut were read")
            }
            var produced = 0
            var consumed = 0
            let status: Int32 = raw.withUnsafeMutableBufferPointer { rawBuffer in
                out.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_in = rawBuffer.baseAddress
                    stream.avail_in = uInt(rawCount)
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    consumed = rawCount - Int(stream.avail_in)
                    produced = outBuffer.count - Int(stream.avail_out)
                    return status
                }
            }
            // Keep the unconsumed input at the front of `raw`.
            if consumed > 0 {
                raw.withUnsafeMutableBytes { buffer in
                    let base = buffer.baseAddress!
                    memmove(base, base + consumed, rawCount - consumed)
                }
                rawCount -= consumed
            }
            switch status {
            case Z_OK, Z_BUF_ERROR:
                if produced > 0 { return out[0..<produced] }
                if status == Z_BUF_ERROR && rawCount > 0 {
                    throw InputDamage(message: "the gzip data is corrupt (zlib made no progress)")
                }
                continue
            case Z_STREAM_END:
                try afterMember()
                if produced > 0 { return out[0..<produced] }
                if finished { return try next() }
            default:
                finished = true
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                damageAfterChunk = InputDamage(message: "the gzip data is corrupt (\(reason)); the lines before the damage were read")
                if produced > 0 { return out[0..<produced] }
                return try next()
            }
        }
    }

    private var damageAfterChunk: InputDamage?

    /// After one gzip member ends: another member, harmless zero padding, or trailing garbage.
    private func afterMember() throws {
        try fillRaw(atLeast: 2)
        if rawCount == 0 { finished = true; return }
        if rawCount >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
            try startMember()
            return
        }
        // Zero padding (some tools pad to a block size) is ignored; anything else is reported.
        var allZero = true
        while allZero && rawCount > 0 {
            allZero = raw[0..<rawCount].allSatisfy { $0 == 0 }
            rawCount = 0
            if allZero { try fillRaw(atLeast: 1) }
        }
        finished = true
        if !allZero {
            damageAfterChunk = InputDamage(message: "unexpected data after the end of the gzip stream was ignored")
        }
    }
}
