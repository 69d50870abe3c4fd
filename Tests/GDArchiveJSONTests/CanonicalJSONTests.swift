import Foundation
import GDArchiveJSON
import Testing

@Suite struct CanonicalJSONTests {
    func canonical(_ text: String) throws -> String { CanonicalJSON.string(try JSONParser.parse(Array(text.utf8))) }

    @Test func sortsKeysRemovesWhitespaceAndKeepsRepeatedKeys() throws {
        #expect(try canonical(#"{ "b" : 1 , "a" : { "d" : [ 1, 2 ], "c" : null }, "b": 2 }"#) == #"{"a":{"c":null,"d":[1,2]},"b":1,"b":2}"#)
    }

    @Test func sortsKeysByTheirUTF8Bytes() throws {
        // "Z" (0x5A) < "a" (0x61) < "é" (0xC3 0xA9); "e\u{301}" (decomposed) sorts apart from "é".
        #expect(try canonical(#"{"é":1,"a":2,"Z":3,"e\u0301":4}"#) == "{\"Z\":3,\"a\":2,\"e\u{301}\":4,\"é\":1}")
    }

    @Test(arguments: [
        ("1.639010703E9", "1639010703"), ("1639010703.0", "1639010703"), ("5.0", "5"), ("5", "5"), ("-0.50", "-0.5"),
        ("0", "0"), ("-0", "0"), ("0.000", "0"), ("1e3", "1000"), ("1E+3", "1000"), ("12.5e-1", "1.25"), ("1e-7", "1e-7"),
        ("0.000001", "0.000001"), ("1e400", "1e400"), ("1728014790.3773646", "1728014790.3773646"),
        ("123456789012345678901234567890", "1.2345678901234567890123456789e29"), ("100e-2", "1"), ("0.0001e4", "1"),
    ])
    func writesNumbersAsExactDecimals(input: String, expected: String) {
        #expect(CanonicalJSON.normalizeNumber(input) == expected)
    }

    @Test func equalValuesWrittenDifferentlyHaveOneCanonicalForm() throws {
        let a = try canonical(#"{"service":{"count":3,"scanStartedAt":1.639010703E9},"id":"x"}"#)
        let b = try canonical("{\n  \"id\": \"x\",\n  \"service\": {\"scanStartedAt\": 1639010703, \"count\": 3.0}\n}")
        #expect(a == b)
    }

    @Test func escapesOnlyWhatJSONRequires() throws {
        #expect(try canonical(#""quote \" backslash \\ slash \/ nl \n esc \u001b del \u007f é""#)
            == "\"quote \\\" backslash \\\\ slash / nl \\n esc \\u001b del \u{7f} é\"")
    }

    @Test func anyStringRoundTripsThroughCanonicalForm() throws {
        // A seeded property test: random strings of awkward scalars survive write → parse.
        var state: UInt64 = 42
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let pool: [Unicode.Scalar] = ["\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1b}", "\u{7f}", "a", "Z", "é", "\u{2028}", "😀", "'", ";", "-", "{", "]"]
        for _ in 0..<2000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int(next() % 24) { s.append(pool[Int(next() % UInt64(pool.count))]) }
            let original = String(s)
            let written = CanonicalJSON.string(.object([JSONMember(key: original, value: .string(original))]))
            let back = try JSONParser.parse(Array(written.utf8))
            #expect(back == .object([JSONMember(key: original, value: .string(original))]))
            #expect(CanonicalJSON.string(back) == written)
        }
    }
}
