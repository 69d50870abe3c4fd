import Foundation
import GDArchiveModel

/// Renders a ``RowSet`` in any ``OutputFormat``.
///
/// ```swift
/// print(RowRenderer.render(RowSet(columns: ["a"], rows: [[.int(1)]]), as: .json), terminator: "")
/// // [{"a":1}]
/// ```
///
/// Every rendering ends with a newline (an empty JSON array is `[]`). Table output never
/// passes a value's control characters to the terminal: they are shown as `\n`, `\u{1b}`, ….
public enum RowRenderer {
    /// - Parameter groupThousands: tables write integers as `1,234,567` (counts, for people);
    ///   false for values that are data (`gdarchive sql`: ids, epoch milliseconds).
    public static func render(_ set: RowSet, as format: OutputFormat, headers: Bool = true, cells: CellEscaping = .spreadsheetSafe,
                              groupThousands: Bool = true) -> String {
        switch format {
        case .table: return table(set, headers: headers, groupThousands: groupThousands)
        case .json:
            return "[" + set.rows.map { object(set.columns, $0) }.joined(separator: ",\n ") + "]\n"
        case .jsonl:
            return set.rows.map { object(set.columns, $0) + "\n" }.joined()
        case .csv, .tsv:
            return streamStart(columns: set.columns, as: format, headers: headers)
                + set.rows.map { streamRow($0, columns: set.columns, as: format, first: false, cells: cells) }.joined()
        }
    }

    /// The text before the first row of a stream (`[` for JSON, the header for CSV/TSV).
    public static func streamStart(columns: [String], as format: OutputFormat, headers: Bool = true) -> String {
        switch format {
        case .json: return "["
        case .csv: return headers ? columns.map(csvField).joined(separator: ",") + "\r\n" : ""
        case .tsv: return headers ? columns.map(tsvField).joined(separator: "\t") + "\n" : ""
        case .jsonl, .table: return ""
        }
    }

    /// One row of a stream (not for tables, which need every row to align their columns).
    public static func streamRow(_ row: [Cell], columns: [String], as format: OutputFormat, first: Bool,
                                 cells: CellEscaping = .spreadsheetSafe) -> String {
        switch format {
        case .json: return (first ? "" : ",\n ") + object(columns, row)
        case .jsonl: return object(columns, row) + "\n"
        case .csv: return row.map { csvField(delimited($0, cells)) }.joined(separator: ",") + "\r\n"
        case .tsv: return row.map { tsvField(delimited($0, cells)) }.joined(separator: "\t") + "\n"
        case .table: return ""
        }
    }

    /// A cell's text for CSV/TSV: text cells made spreadsheet-safe unless asked for raw.
    static func delimited(_ cell: Cell, _ escaping: CellEscaping) -> String {
        let text = plain(cell)
        switch (cell, escaping) {
        case (.text, .spreadsheetSafe), (.list, .spreadsheetSafe): return spreadsheetSafe(text)
        default: return text
        }
    }

    /// OWASP's rule for CSV injection, plus the display rule for invisible characters. Line
    /// breaks and tabs stay (CSV quotes them, TSV escapes them) but not at the start.
    public static func spreadsheetSafe(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" || scalar == "\t" || !VisibleText.isInvisible(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += VisibleText.escape(scalar)
            }
        }
        if let first = out.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { return "'" + out }
        return out
    }

    /// The text after the last row of a stream.
    public static func streamEnd(as format: OutputFormat) -> String {
        format == .json ? "]\n" : ""
    }

    /// One record (for example `status`): a JSON object in `json`, a two-column listing in
    /// `table`, a one-row table in the other formats.
    public static func renderRecord(columns: [String], values: [Cell], as format: OutputFormat) -> String {
        switch format {
        case .json:
            return object(columns, values) + "\n"
        case .table:
            let width = columns.map(\.count).max() ?? 0
            return zip(columns, values).map { name, value in
                name + String(repeating: " ", count: width - name.count) + "  " + visible(display(value))
            }.joined(separator: "\n") + "\n"
        default:
            return render(RowSet(columns: columns, rows: [values]), as: format)
        }
    }

    static func object(_ columns: [String], _ values: [Cell]) -> String {
        "{" + zip(columns, values).map { jsonString($0) + ":" + json($1) }.joined(separator: ",") + "}"
    }

    static func json(_ cell: Cell) -> String {
        switch cell {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)) : "null"
        case .text(let s): return jsonString(s)
        case .list(let items): return "[" + items.map(json).joined(separator: ",") + "]"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The value as plain text (CSV/TSV).
    static func plain(_ cell: Cell) -> String {
        switch cell {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double: return json(cell)
        case .text(let s): return s
        case .list(let items): return items.map(plain).joined(separator: ", ")
        }
    }

    /// The value as people read it (table): thousands separators on integers.
    static func display(_ cell: Cell) -> String {
        switch cell {
        case .int(let i): return groupThousands(i)
        case .list(let items) where items.count > 6: return items.prefix(6).map(plain).joined(separator: ", ") + ", +\(items.count - 6) more"
        default: return plain(cell)
        }
    }

    /// 1234567 → "1,234,567".
    public static func groupThousands(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// Text from a finding as a person may see it: ``VisibleText``, the one rule.
    public static func visible(_ s: String) -> String { VisibleText.escaped(s) }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func tsvField(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\\": out += "\\\\"
            default: out.append(c)
            }
        }
        return out
    }

    /// The longest text a table cell shows: a table is for reading at a terminal; a longer
    /// value (a body, a 64,000-character forged type) is cut, with how much is left out, and
    /// the machine formats print it whole. So a table's width and memory are bounded by its
    /// rows, and rendering it is linear.
    public static let tableCellLimit = 200

    /// A cell as a table shows it: text longer than ``tableCellLimit`` characters is cut.
    public static func forTable(_ cell: Cell) -> Cell {
        guard case .text(let text) = cell, text.utf8.count > tableCellLimit else { return cell }
        var kept = Substring(text).prefix(tableCellLimit)
        guard kept.endIndex < text.endIndex else { return cell }
        let left = text[kept.endIndex...].count
        kept = kept.prefix(tableCellLimit - 1)
        return .text(kept + "…(+\(groupThousands(Int64(left + 1))) characters)")
    }

    static func table(_ set: RowSet, headers: Bool, groupThousands: Bool = true) -> String {
        let cells = set.rows.map { $0.map { visible(groupThousands ? display(forTable($0)) : plain(forTable($0))) } }
        // Column names can be values too (`report timeline --by`): the same rule.
        let names = set.columns.map(visible)
        var widths = names.map { headers ? $0.count : 0 }
        for row in cells {
            for (i, value) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], value.count) }
        }
        func line(_ values: [String], numeric: [Bool]) -> String {
            values.enumerated().map { i, v in
                let pad = String(repeating: " ", count: widths[i] - v.count)
                return numeric[i] ? pad + v : v + pad
            }.joined(separator: "  ").trimmingTrailingSpaces
        }
        var out: [String] = []
        let numericColumns = set.columns.indices.map { i in
            !set.rows.isEmpty && set.rows.allSatisfy { i < $0.count && ($0[i].isNumeric || $0[i] == .null) }
        }
        if headers {
            out.append(line(names, numeric: numericColumns))
            out.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        }
        for row in cells { out.append(line(row, numeric: numericColumns)) }
        return out.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// Without the spaces at its end (in linear time: a regular expression such as `\\s+$`
    /// retries from every space of a long run, which made a padded table quadratic).
    var trimmingTrailingSpaces: String {
        var end = utf8.endIndex
        while end > utf8.startIndex, utf8[utf8.index(before: end)] == UInt8(ascii: " ") { end = utf8.index(before: end) }
        return String(self[..<end])
    }
}
