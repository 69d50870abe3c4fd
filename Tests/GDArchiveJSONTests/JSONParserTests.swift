import Foundation
import GDArchiveJSON
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func keepsNumbersAsWrittenAndMembersInOrder() throws {
        let value = try parse(#" {"b": 1.639010703E9, "a": [true, false, null, -0.50, 12345678901234567890123], "b": "again"} "#)
        #expect(value == .object([
            JSONMember(key: "b", value: .number("1.639010703E9")),
            JSONMember(key: "a", value: .array([.bool(true), .bool(false), .null, .number("-0.50"), .number("12345678901234567890123")])),
            JSONMember(key: "b", value: .string("again")),
        ]))
        #expect(value["b"] == .string("again"))  // the last of repeated keys
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        #expect(try parse("\"caf\u{e9} \u{1b}[31m\"".replacingOccurrences(of: "\u{1b}", with: "\\u001b")) == .string("café \u{1b}[31m"))
    }

    @Test(arguments: [
        (#"{"a":1,}"#, 7, "expected a quoted member name"),
        (#"[1,2"#, 4, "unexpected end of input"),
        (#"{"a" 1}"#, 5, "expected ':'"),
        (#"NaN"#, 0, "NaN and Infinity are not JSON"),
        (#"[Infinity]"#, 1, "NaN and Infinity are not JSON"),
        (#"01"#, 1, "leading zero"),
        (#"1.e5"#, 2, "expected a digit after '.'"),
        (#"{"a":tru}"#, 8, "expected 'true'"),
        (#""\ud800x""#, 1, "unpaired surrogate"),
        (#""\q""#, 1, "invalid escape"),
        (#"{} {}"#, 3, "after the end of the JSON value"),
        ("\"tab\there\"", 4, "unescaped control character"),
    ])
    func reportsWhatIsWrongAndWhere(text: String, offset: Int, message: String) {
        let error = #expect(throws: JSONParseError.self) { try parse(text) }
        #expect(error?.offset == offset)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0x61, 0xC3, 0x28, 0x22]
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        #expect(error?.message.contains("invalid UTF-8") == true)
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: JSONParseError.self) { try parse(deep) }
        #expect(error?.message.contains("nested deeper than 512") == true)
        #expect(throws: Never.self) { try parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)) }
    }

    @Test func readsNumbersAndStringsAsColumnsNeedThem() throws {
        #expect(JSONValue.number("1.639010703E9").doubleValue == 1_639_010_703)
        #expect(JSONValue.string("16509").int64Value == 16509)
        #expect(JSONValue.number("5.0").int64Value == 5)
        #expect(JSONValue.number("5.5").int64Value == nil)
        #expect(JSONValue.string("true").boolValue == true)
        #expect(try parse(#"{"service":{"action":{"actionType":"PORT_PROBE"}}}"#)[path: "service.action.actionType"] == .string("PORT_PROBE"))
    }
}
