import Foundation

/// The text encoding of an input: told by its byte order mark or, without one, by where its
/// first characters have zero bytes (JSON text begins with an ASCII character; RFC 4627 §3).
public enum TextEncoding: String, Equatable, Sendable {
    case utf8 = "UTF-8", utf16LE = "UTF-16LE", utf16BE = "UTF-16BE", utf32LE = "UTF-32LE", utf32BE = "UTF-32BE"
}

/// Turns an input's bytes into UTF-8 as they stream by: UTF-16 and UTF-32 (with or without a
/// byte order mark: Windows PowerShell 5.1's `>` writes UTF-16LE with one) are transcoded,
/// leading UTF-8 byte order marks are dropped however many there are, and the record
/// separator that starts each text of a JSON text sequence (RFC 7464, `jq --seq`: `\u{1E}`
/// at the start of a line) becomes a space. UTF-8 input is passed through without copying.
/// What cannot be a character (a lone surrogate, a UTF-32 unit past U+10FFFF) becomes the
/// byte 0xFF, which is never valid UTF-8, so the text it is in is reported as not UTF-8.
/// Line breaks are kept, so line numbers are those of the input.
///
/// ```swift
/// var transcoder = TextTranscoder()
/// let utf8 = transcoder.feed([0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00][...]) + transcoder.finish()   // "{}"
/// ```
public struct TextTranscoder {
    /// The encoding, once the first bytes told it.
    public private(set) var encoding: TextEncoding?
    private var head: [UInt8] = []
    private var leftover: [UInt8] = []
    private var highSurrogate: UInt32?
    private var atLineStart = true
    private var strippedBOM = false
    static let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

    public init() {}

    /// The UTF-8 text of the next chunk (possibly empty while the first bytes are gathered).
    public mutating func feed(_ chunk: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard let encoding else {
            head += chunk
            // UTF-8 byte order marks, however many (a doubled one comes from tools that add
            // one to text that had one).
            while head.starts(with: Self.utf8BOM) {
                head.removeFirst(3)
                strippedBOM = true
            }
            if strippedBOM {
                if head.count < 3 && Self.utf8BOM.starts(with: head) { return [] }  // perhaps another one
                self.encoding = .utf8
                let rest = head
                head = []
                return convert(rest[...], encoding: .utf8)
            }
            guard head.count >= 4 else { return [] }
            return detect()
        }
        return convert(chunk, encoding: encoding)
    }

    /// What is left at the end of the input.
    public mutating func finish() -> ArraySlice<UInt8> {
        var out: ArraySlice<UInt8> = encoding == nil ? detect() : []
        if !leftover.isEmpty || highSurrogate != nil {
            out.append(0xFF)  // a cut-off code unit or a lone high surrogate
            leftover = []
            highSurrogate = nil
        }
        return out
    }

    private mutating func detect() -> ArraySlice<UInt8> {
        var bytes = head[...]
        head = []
        func starts(_ prefix: [UInt8]) -> Bool { bytes.starts(with: prefix) }
        let detected: TextEncoding
        if starts([0xEF, 0xBB, 0xBF]) {
            while bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
            detected = .utf8
        } else if starts([0x00, 0x00, 0xFE, 0xFF]) {
            bytes = bytes.dropFirst(4); detected = .utf32BE
        } else if starts([0xFF, 0xFE, 0x00, 0x00]) {
            bytes = bytes.dropFirst(4); detected = .utf32LE
        } else if starts([0xFE, 0xFF]) {
            bytes = bytes.dropFirst(2); detected = .utf16BE
        } else if starts([0xFF, 0xFE]) {
            bytes = bytes.dropFirst(2); detected = .utf16LE
        } else if bytes.count >= 4, bytes[bytes.startIndex] == 0, bytes[bytes.startIndex + 1] == 0, bytes[bytes.startIndex + 2] == 0,
                  bytes[bytes.startIndex + 3] != 0 {
            detected = .utf32BE
        } else if bytes.count >= 4, bytes[bytes.startIndex] != 0, bytes[bytes.startIndex + 1] == 0, bytes[bytes.startIndex + 2] == 0,
                  bytes[bytes.startIndex + 3] == 0 {
            detected = .utf32LE
        } else if bytes.count >= 2, bytes[bytes.startIndex] == 0, bytes[bytes.startIndex + 1] != 0, bytes[bytes.startIndex + 1] < 0x80 {
            detected = .utf16BE
        } else if bytes.count >= 2, bytes[bytes.startIndex] != 0, bytes[bytes.startIndex] < 0x80, bytes[bytes.startIndex + 1] == 0 {
            detected = .utf16LE
        } else {
            detected = .utf8
        }
        encoding = detected
        return convert(bytes, encoding: detected)
    }

    private mutating func convert(_ chunk: ArraySlice<UInt8>, encoding: TextEncoding) -> ArraySlice<UInt8> {
        switch encoding {
        case .utf8:
            return separatorsToSpaces(chunk)
        case .utf16LE, .utf16BE:
            var out: [UInt8] = []
            out.reserveCapacity(chunk.count)
            var input = leftover + chunk
            let usable = input.count & ~1
            leftover = Array(input[usable...])
            input.removeLast(input.count - usable)
            let little = encoding == .utf16LE
            var i = 0
            while i < usable {
                let unit = little ? UInt32(input[i]) | UInt32(input[i + 1]) << 8 : UInt32(input[i]) << 8 | UInt32(input[i + 1])
                i += 2
                if let high = highSurrogate {
                    highSurrogate = nil
                    if (0xDC00...0xDFFF).contains(unit) {
                        Self.append(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00), to: &out)
                        continue
                    }
                    out.append(0xFF)  // a high surrogate not followed by a low one
                }
                switch unit {
                case 0xD800...0xDBFF: highSurrogate = unit
                case 0xDC00...0xDFFF: out.append(0xFF)
                default: Self.append(unit, to: &out)
                }
            }
            return separatorsToSpaces(out[...])
        case .utf32LE, .utf32BE:
            var out: [UInt8] = []
            out.reserveCapacity(chunk.count / 2)
            let input = leftover + chunk
            let usable = input.count & ~3
            leftover = Array(input[usable...])
            let little = encoding == .utf32LE
            var i = 0
            while i < usable {
                let b = (UInt32(input[i]), UInt32(input[i + 1]), UInt32(input[i + 2]), UInt32(input[i + 3]))
                let scalar = little ? b.0 | b.1 << 8 | b.2 << 16 | b.3 << 24 : b.0 << 24 | b.1 << 16 | b.2 << 8 | b.3
                i += 4
                if scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { out.append(0xFF) } else { Self.append(scalar, to: &out) }
            }
            return separatorsToSpaces(out[...])
        }
    }

    private static func append(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6)); out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12)); out.append(UInt8(0x80 | (scalar >> 6) & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18)); out.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
            out.append(UInt8(0x80 | (scalar >> 6) & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// A record separator (0x1E) at the start of a line becomes a space (JSON text
    /// sequences); anywhere else it is left for the JSON parser to refuse.
    private mutating func separatorsToSpaces(_ chunk: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard !chunk.isEmpty else { return chunk }
        let lineStart = atLineStart
        atLineStart = chunk.last == 0x0A
        let found = chunk.withUnsafeBytes { memchr($0.baseAddress!, 0x1E, $0.count) != nil }
        guard found else { return chunk }
        var out = Array(chunk)
        for i in out.indices where out[i] == 0x1E && (i == 0 ? lineStart : out[i - 1] == 0x0A) {
            out[i] = 0x20
        }
        return out[...]
    }
}
