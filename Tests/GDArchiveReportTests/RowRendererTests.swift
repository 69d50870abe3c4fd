@testable import GDArchiveReport
import Testing

@Suite struct RowRendererTests {
    @Test func trailingPaddingIsTrimmedInLinearTime() {
        #expect(("a b" + String(repeating: " ", count: 100_000)).trimmingTrailingSpaces == "a b")
        #expect("   ".trimmingTrailingSpaces == "")
        #expect(" x ".trimmingTrailingSpaces == " x")
    }

    @Test func aTableCellIsCutAt200Characters() {
        #expect(RowRenderer.forTable(.text(String(repeating: "é", count: 200))) == .text(String(repeating: "é", count: 200)))
        #expect(RowRenderer.forTable(.text(String(repeating: "é", count: 201))) == .text(String(repeating: "é", count: 199) + "…(+2 characters)"))
        #expect(RowRenderer.forTable(.int(7)) == .int(7))
    }

    let rows = RowSet(columns: ["type", "findings", "note"], rows: [
        [.text("Recon:EC2/Portscan"), .int(1234), .text("a,b \"quoted\"")],
        [.text("evil\u{1b}[31mred\ttab"), .int(7), .null],
    ])

    @Test func tableAlignsColumnsGroupsThousandsAndDefusesControlCharacters() {
        let expected = [
            "type" + String(repeating: " ", count: 20) + "findings  note",
            String(repeating: "─", count: 22) + "  " + String(repeating: "─", count: 8) + "  " + String(repeating: "─", count: 12),
            "Recon:EC2/Portscan" + String(repeating: " ", count: 9) + "1,234  a,b \"quoted\"",
            "evil\\u{1b}[31mred\\ttab" + String(repeating: " ", count: 9) + "7",
        ].joined(separator: "\n") + "\n"
        #expect(RowRenderer.render(rows, as: .table) == expected)
    }

    @Test func jsonAndJSONLinesKeepTypesAndEscape() {
        #expect(RowRenderer.render(rows, as: .json) == """
            [{"type":"Recon:EC2/Portscan","findings":1234,"note":"a,b \\"quoted\\""},
             {"type":"evil\\u001b[31mred\\ttab","findings":7,"note":null}]

            """)
        #expect(RowRenderer.render(rows, as: .jsonl).split(separator: "\n").count == 2)
        #expect(RowRenderer.render(RowSet(columns: ["a"], rows: []), as: .json) == "[]\n")
    }

    @Test func csvQuotesAndTSVEscapes() {
        // Raw cells (--raw-cells): exactly as stored.
        #expect(RowRenderer.render(rows, as: .csv, cells: .raw) == "type,findings,note\r\nRecon:EC2/Portscan,1234,\"a,b \"\"quoted\"\"\"\r\nevil\u{1b}[31mred\ttab,7,\r\n")
        #expect(RowRenderer.render(rows, as: .tsv, cells: .raw) == "type\tfindings\tnote\nRecon:EC2/Portscan\t1234\ta,b \"quoted\"\nevil\u{1b}[31mred\\ttab\t7\t\n")
        // By default, safe to open in a spreadsheet: the escape character is shown, not sent.
        #expect(RowRenderer.render(rows, as: .csv) == "type,findings,note\r\nRecon:EC2/Portscan,1234,\"a,b \"\"quoted\"\"\"\r\nevil\\u{1b}[31mred\ttab,7,\r\n")
    }

    @Test func aSingleRecordIsAnObjectInJSONAndAListingInTables() {
        #expect(RowRenderer.renderRecord(columns: ["path", "findings"], values: [.text("/a"), .int(12000)], as: .json) == "{\"path\":\"/a\",\"findings\":12000}\n")
        #expect(RowRenderer.renderRecord(columns: ["path", "findings"], values: [.text("/a"), .int(12000)], as: .table) == "path      /a\nfindings  12,000\n")
    }
}
