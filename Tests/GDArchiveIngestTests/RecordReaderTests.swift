import Foundation
import GDArchiveIngest
import GDArchiveJSON
import GDArchiveTestSupport
import Testing

/// Reads `bytes` through a pipe-free path: a temporary file.
func readRecords(_ bytes: [UInt8]) throws -> [RawRecord] {
    let tmp = try TemporaryDirectory()
    let path = try tmp.write("input", bytes)
    let fd = open(path, O_RDONLY)
    let reader = RecordReader(chunks: try ChunkReader(fileDescriptor: fd))
    var out: [RawRecord] = []
    while let record = try reader.next() { out.append(record) }
    return out
}

func readRecords(_ text: String) throws -> [RawRecord] { try readRecords(Array(text.utf8)) }

func value(_ line: Int, _ text: String) -> RawRecord { .value(line: line, bytes: Array(text.utf8)) }

@Suite struct RecordReaderTests {
    @Test func splitsJSONLines() throws {
        #expect(try readRecords("{\"a\":1}\n{\"b\":2}\n\n{\"c\":3}") == [value(1, "{\"a\":1}"), value(2, "{\"b\":2}"), value(4, "{\"c\":3}")])
    }

    @Test func readsAPrettyDocumentAsOneValue() throws {
        let text = "{\n  \"a\": [\n    1,\n    \"}]{\"\n  ]\n}\n"
        #expect(try readRecords(text) == [value(1, "{\n  \"a\": [\n    1,\n    \"}]{\"\n  ]\n}")])
    }

    @Test func readsDocumentsOneAfterAnother() throws {
        #expect(try readRecords("{\"a\":1}{\"b\":2} [3]\n{\n\"c\":4}\n") == [value(1, "{\"a\":1}"), value(1, "{\"b\":2}"), value(1, "[3]"), value(2, "{\n\"c\":4}")])
    }

    @Test func aLineCutShortDoesNotSwallowTheNextOnes() throws {
        let records = try readRecords("{\"a\":1}\n{\"b\":\"cut\n{\"c\":3}\n")
        #expect(records.count == 3)
        #expect(records[0] == value(1, "{\"a\":1}"))
        guard case .invalid(let line, let message, _) = records[1] else { Issue.record("expected invalid, got \(records[1])"); return }
        #expect(line == 2)
        #expect(message.contains("not closed before line 3"))
        #expect(records[2] == value(3, "{\"c\":3}"))
    }

    @Test func aValueLeftOpenAtTheEndIsReported() throws {
        let records = try readRecords("{\"a\":1}\n{\"b\":\n")
        #expect(records.count == 2)
        guard case .invalid(2, let message, _) = records[1] else { Issue.record("\(records)"); return }
        #expect(message.contains("ends before this JSON value is closed"))
    }

    @Test func ignoresAByteOrderMarkAndCarriageReturns() throws {
        #expect(try readRecords([0xEF, 0xBB, 0xBF] + Array("{\"a\":1}\r\n{\"b\":2}\r\n".utf8)) == [value(1, "{\"a\":1}"), value(2, "{\"b\":2}")])
    }

    @Test func aScalarLineIsItsOwnValue() throws {
        #expect(try readRecords("not json at all\r\n  42 \n") == [value(1, "not json at all"), value(2, "42")])
    }

    @Test func readsGzipIncludingSeveralMembers() throws {
        let bytes = Gzip.compress(Array("{\"a\":1}\n{\"b\":2}\n".utf8)) + Gzip.compress(Array("{\"c\":3}\n".utf8))
        #expect(try readRecords(bytes) == [value(1, "{\"a\":1}"), value(2, "{\"b\":2}"), value(3, "{\"c\":3}")])
    }

    @Test func aTruncatedGzipKeepsTheCompleteLinesAndReportsTheCut() throws {
        var lines = ""
        for i in 0..<200 { lines += "{\"n\":\(i),\"pad\":\"\(String(repeating: "x", count: i % 37))\"}\n" }
        let full = Gzip.compress(Array(lines.utf8), level: 1)
        let records = try readRecords(Array(full.prefix(full.count * 2 / 3)))
        guard case .damage(let line, let message) = records.last else { Issue.record("no damage reported"); return }
        #expect(message.contains("truncated"))
        let values = records.dropLast()
        #expect(!values.isEmpty)
        #expect(values.count == line - 1)  // every line before the cut, and none after
        for (i, record) in values.enumerated() {
            #expect(record == value(i + 1, "{\"n\":\(i),\"pad\":\"\(String(repeating: "x", count: i % 37))\"}"))
        }
    }

    @Test func aCorruptGzipIsReportedAsDamage() throws {
        var bytes = Gzip.compress(Array("{\"a\":1}\n".utf8))
        bytes[bytes.count - 6] ^= 0xFF  // the CRC
        let records = try readRecords(bytes)
        #expect(records.first == value(1, "{\"a\":1}"))
        guard case .damage(_, let message) = records.last else { Issue.record("\(records)"); return }
        #expect(message.contains("corrupt"))
    }

    @Test func trailingGarbageAfterGzipIsReported() throws {
        let records = try readRecords(Gzip.compress(Array("{\"a\":1}\n".utf8)) + Array("garbage".utf8))
        #expect(records.first == value(1, "{\"a\":1}"))
        guard case .damage(_, let message) = records.last else { Issue.record("\(records)"); return }
        #expect(message.contains("after the end of the gzip stream"))
    }

    @Test func anEmptyInputHasNoRecords() throws {
        #expect(try readRecords("") == [])
        #expect(try readRecords(Gzip.compress([])) == [])
    }
}

/// Text that parses as JSON is never split, however its lines begin; the cut-short-line rule
/// only decides where a text that does not parse ends.
@Suite struct UnindentedJSONTests {
    @Test func nestedValuesInColumnOneStayInTheirDocument() throws {
        // Python's json.dumps(indent=0): array elements start in column 1.
        let python = "{\n\"id\": \"a\",\n\"probes\": [\n{\n\"port\": 22\n},\n{\n\"port\": 80\n}\n],\n\"tags\": [\n[\n1\n]\n]\n}\n"
        #expect(try readRecords(python) == [value(1, String(python.dropLast()))])
        // A member whose value starts on the next line, in column 1 ("resource":\n{…}).
        let member = "{\"id\": \"b\", \"resource\":\n{\"type\": \"Instance\"}}\n{\"id\": \"c\"}\n"
        #expect(try readRecords(member) == [value(1, "{\"id\": \"b\", \"resource\":\n{\"type\": \"Instance\"}}"), value(3, "{\"id\": \"c\"}")])
        // A top-level array of findings, one element a line.
        let array = "[\n{\"id\": \"d\"},\n{\"id\": \"e\"}\n]\n"
        #expect(try readRecords(array) == [value(1, String(array.dropLast()))])
        for case .value(_, let bytes) in try readRecords(python + member + array) {
            #expect(throws: Never.self) { try JSONParser.parse(bytes) }
        }
    }

    @Test func aCutLineIsStillCutWhereTheOpenTextCannotGoOn() throws {
        // After a complete member, inside a string, after a comma in an object: cut short.
        for cut in ["{\"a\":1", "{\"a\":\"cu", "{\"a\":1,", "{\"a\":1,\"b\""] {
            let records = try readRecords(cut + "\n{\"c\":3}\n")
            #expect(records.count == 2, "\(cut)")
            guard case .invalid(1, let message, _) = records.first else { Issue.record("\(cut): \(records)"); continue }
            #expect(message.contains("not closed before line 2"))
            #expect(records.last == value(2, "{\"c\":3}"))
        }
    }

    @Test func aTextCutWhereAValueWasExpectedGivesBackTheLinesAfterIt() throws {
        // Cut right after a colon: the next lines were taken as its value, and the text then
        // never closes; it is cut at the first of them and they are read again.
        let records = try readRecords("{\"a\":\n{\"b\":1}\n{\"c\":2}\n")
        #expect(records.count == 3, "\(records)")
        guard case .invalid(1, let message, _) = records.first else { Issue.record("\(records)"); return }
        #expect(message.contains("not closed before line 2"))
        #expect(Array(records.dropFirst()) == [value(2, "{\"b\":1}"), value(3, "{\"c\":2}")])
        // The same at the end of the input.
        let atEnd = try readRecords("{\"a\":[\n{\"b\":1}\n")
        #expect(atEnd.count == 2, "\(atEnd)")
        #expect(atEnd.last == value(2, "{\"b\":1}"))
    }

    @Test func aHostileFileOfOpenValuesIsReadInLinearTimeWithoutDeepRecursion() throws {
        // Every line opens a value where the previous one expects a value, and none closes:
        // each is cut and read again at most once.
        let lines = 200_000
        let records = try readRecords(String(repeating: "{\"a\":\n", count: lines) + "{\"ok\":1}\n")
        #expect(records.last == value(lines + 1, "{\"ok\":1}") || records.contains(value(lines + 1, "{\"ok\":1}")))
        #expect(records.count >= 2 && records.count <= lines + 2, "\(records.count)")
    }
}
