import Foundation
@testable import GDArchiveIngest
import Testing

@Suite struct TextTranscoderTests {
    /// The UTF-8 that a transcoder makes of `bytes` fed in pieces of `piece` bytes.
    static func transcode(_ bytes: [UInt8], piece: Int) -> (text: [UInt8], encoding: TextEncoding?) {
        var transcoder = TextTranscoder()
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            out += transcoder.feed(bytes[i..<min(bytes.count, i + piece)])
            i += piece
        }
        out += transcoder.finish()
        return (out, transcoder.encoding)
    }

    static let text = "{\"title\":\"Zugriff über Tor 🧅\",\"n\":[1,2]}\n{\"x\":\"\u{1E}\"}\n"

    @Test(arguments: [
        ([0xFF, 0xFE] as [UInt8], String.Encoding.utf16LittleEndian, TextEncoding.utf16LE),
        ([0xFE, 0xFF], .utf16BigEndian, .utf16BE),
        ([], .utf16LittleEndian, .utf16LE),
        ([], .utf16BigEndian, .utf16BE),
        ([0xFF, 0xFE, 0x00, 0x00], .utf32LittleEndian, .utf32LE),
        ([0x00, 0x00, 0xFE, 0xFF], .utf32BigEndian, .utf32BE),
        ([], .utf32LittleEndian, .utf32LE),
        ([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF], .utf8, .utf8),
    ])
    func everyEncodingBecomesTheSameUTF8WhateverThePieces(bom: [UInt8], encoding: String.Encoding, expected: TextEncoding) throws {
        let bytes = bom + Array(try #require(Self.text.data(using: encoding)))
        for piece in [1, 2, 3, 5, 4096] {
            let (text, detected) = Self.transcode(bytes, piece: piece)
            #expect(detected == expected)
            #expect(text == Array(Self.text.utf8), "pieces of \(piece)")
        }
    }

    @Test func recordSeparatorsThatStartATextBecomeSpaces() {
        let sequence = Array("\u{1E}{\"a\":1}\n\u{1E}{\"b\":2}\n{\"c\":\"\u{1E}\"}\n".utf8)
        for piece in [1, 7, 100] {
            #expect(Self.transcode(sequence, piece: piece).text == Array(" {\"a\":1}\n {\"b\":2}\n{\"c\":\"\u{1E}\"}\n".utf8))
        }
    }

    @Test func whatIsNoCharacterBecomesABytesThatIsNeverUTF8() {
        // A lone high surrogate, a lone low one, and a cut-off last unit.
        let utf16: [UInt8] = [0xFF, 0xFE, 0x7B, 0x00, 0x00, 0xD8, 0x41, 0x00, 0x00, 0xDC, 0x7D, 0x00, 0x41]
        let (text, _) = Self.transcode(utf16, piece: 1)
        #expect(text == [0x7B, 0xFF, 0x41, 0xFF, 0x7D, 0xFF])
        #expect(String(validating: text, as: UTF8.self) == nil)
    }

    @Test func plainUTF8IsPassedThrough() {
        let plain = Array("{\"a\":\"ü\"}\n".utf8)
        #expect(Self.transcode(plain, piece: 3) == (plain, .utf8))
        #expect(Self.transcode([0x7B, 0x7D], piece: 1) == ([0x7B, 0x7D], .utf8), "shorter than 4 bytes")
    }
}
