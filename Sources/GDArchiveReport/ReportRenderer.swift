/// Renders a ``ReportOutput``: for people (table) with a header, thousands separators and a
/// proportional bar per row drawn with Unicode block characters; for machines (json, jsonl,
/// csv, tsv) as the plain rows, every measure included.
///
/// ```swift
/// print(ReportRenderer.render(try Reports.by("resource_type", scope: ReportScope(), on: archive), as: .table))
/// ```
public enum ReportRenderer {
    /// The widest bar, in character cells.
    public static let barWidth = 40
    /// Fills for stacked bars, one per value of `--by` (cycled), and the legend marks them.
    static let fills: [Character] = ["█", "▓", "▒", "░", "▚", "◼", "▞", "▪"]

    public static func render(_ output: ReportOutput, as format: OutputFormat, cells: CellEscaping = .spreadsheetSafe) -> String {
        guard format == .table else { return RowRenderer.render(output.rows, as: format, cells: cells) }
        var text = output.header.map { RowRenderer.visible($0) + "\n" }.joined() + (output.header.isEmpty ? "" : "\n")
        if let stack = output.stackColumn, let measure = output.barColumn {
            text += stacked(output.rows, stack: stack, measure: measure, totals: output.stackTotals)
        } else if let measure = output.barColumn {
            text += withBars(output.rows, measure: measure)
        } else {
            text += RowRenderer.render(output.rows, as: .table)
        }
        return text
    }

    /// A bar of `value / maximum` of ``barWidth`` cells, with eighth-cell precision.
    public static func bar(_ value: Int64, of maximum: Int64, width: Int = barWidth, fill: Character = "█") -> String {
        guard maximum > 0, value > 0 else { return "" }
        let eighths = Int((Double(value) / Double(maximum) * Double(width * 8)).rounded())
        let partials: [Character] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"].map { $0.first ?? " " }
        var bar = String(repeating: fill, count: eighths / 8)
        if fill == "█" && eighths % 8 > 0 { bar.append(partials[eighths % 8]) }
        if bar.isEmpty { bar = fill == "█" ? "▏" : String(fill) }  // never hide a non-zero value
        return bar
    }

    static func withBars(_ rows: RowSet, measure: String) -> String {
        guard let column = rows.columns.firstIndex(of: measure) else { return RowRenderer.render(rows, as: .table) }
        let maximum = rows.rows.map { $0[column].integerValue }.max() ?? 0
        var set = rows
        set.columns.append("")
        set.rows = rows.rows.map { $0 + [.text(bar($0[column].integerValue, of: maximum))] }
        return RowRenderer.render(set, as: .table)
    }

    /// One row per bucket: the measure for each value of the stack column, the total (the
    /// bucket's own from `totals` when given: stacks of a field with several values per
    /// finding overlap), and a stacked bar; a legend says which fill is which value.
    static func stacked(_ rows: RowSet, stack: String, measure: String, totals bucketTotals: RowSet? = nil) -> String {
        guard let stackIndex = rows.columns.firstIndex(of: stack), let measureIndex = rows.columns.firstIndex(of: measure) else {
            return RowRenderer.render(rows, as: .table)
        }
        var order: [String] = []
        var perBucket: [(String, [String: Int64])] = []
        for row in rows.rows {
            guard case .text(let bucket) = row[0], case .text(let key) = row[stackIndex] else { continue }
            if !order.contains(key) { order.append(key) }
            if perBucket.last?.0 != bucket { perBucket.append((bucket, [:])) }
            perBucket[perBucket.count - 1].1[key] = row[measureIndex].integerValue
        }
        // Severity labels stack from critical to low; other values alphabetically.
        let severityOrder = ["critical", "high", "medium", "low", "(none)"]
        if order.allSatisfy(severityOrder.contains) { order.sort { severityOrder.firstIndex(of: $0)! < severityOrder.firstIndex(of: $1)! } }
        var totals = perBucket.map { $0.1.values.reduce(0, +) }
        if let bucketTotals, let column = bucketTotals.columns.firstIndex(of: measure) {
            let own = Dictionary(bucketTotals.rows.compactMap { row -> (String, Int64)? in
                guard case .text(let bucket) = row[0] else { return nil }
                return (bucket, row[column].integerValue)
            }, uniquingKeysWith: { a, _ in a })
            totals = perBucket.enumerated().map { own[$0.element.0] ?? totals[$0.offset] }
        }
        // The bars are drawn to the largest stack (which may exceed the largest total).
        let maximum = perBucket.map { $0.1.values.reduce(0, +) }.max() ?? 0
        var set = RowSet(columns: ["bucket_start"] + order + ["total", ""], rows: [])
        for (i, (bucket, values)) in perBucket.enumerated() {
            var barText = ""
            var drawn = 0
            var running: Int64 = 0
            for (k, key) in order.enumerated() {
                running += values[key] ?? 0
                let target = maximum > 0 ? Int((Double(running) / Double(maximum) * Double(barWidth)).rounded()) : 0
                var cells = max(0, target - drawn)
                if cells == 0 && (values[key] ?? 0) > 0 { cells = 1 }  // a non-zero value is always visible
                barText += String(repeating: fills[k % fills.count], count: cells)
                drawn += cells
            }
            set.rows.append([.text(bucket)] + order.map { .int(values[$0] ?? 0) } + [.int(totals[i]), .text(barText)])
        }
        let legend = order.enumerated().map { "\(fills[$0.offset % fills.count]) \(RowRenderer.visible($0.element))" }.joined(separator: "  ")
        return RowRenderer.render(set, as: .table) + "\n" + measure + ": " + legend + "\n"
    }
}
