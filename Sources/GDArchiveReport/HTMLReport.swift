import Foundation
import GDArchiveModel
import GDArchiveStore

/// A self-contained HTML report for managers and auditors: one file, no network (inline CSS,
/// inline SVG charts, a few lines of inline JavaScript for sorting only), every value from a
/// finding HTML-escaped.
///
/// ```swift
/// let html = try HTMLReport.render(scope: ReportScope(filter: "severity >= 7"), bucket: .week, on: archive)
/// try html.write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
///
/// The page embeds, in `<script type="application/json" id="gdarchive-data">`, the same JSON the
/// `report summary`, `report timeline` and `report by` commands print, and draws every number
/// from it, so the page and the CLI always agree.
public enum HTMLReport {
    /// The most findings listed in the table (the rest are counted, not listed).
    public static let maximumFindings = 500
    /// Rows in each top list.
    public static let top = 10

    static let severities = ["critical", "high", "medium", "low"]
    /// Okabe–Ito colours, readable for colour-blind readers and in print; every use also
    /// carries the label as text.
    static let colors = ["critical": "#882255", "high": "#D55E00", "medium": "#E69F00", "low": "#0072B2", "(none)": "#999999"]
    static let groupings = [("type", "Finding types"), ("resource_type", "Resource types"), ("account_id", "Accounts"),
                            ("region", "Regions"), ("remote_ip", "Remote IP addresses"), ("domain", "Domains")]

    public static func render(scope: ReportScope, bucket: Bucket = .week, measure: Measure = .findings, timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                              on archive: Archive, now: Int64 = Timestamp.nowMilliseconds()) throws -> String {
        // One snapshot for the whole page: its cards, chart, lists and histories agree even
        // while an import commits.
        try archive.read { reader in try render(scope: scope, bucket: bucket, measure: measure, timeZone: timeZone, in: reader, now: now) }
    }

    static func render(scope: ReportScope, bucket: Bucket, measure: Measure, timeZone: TimeZone,
                       in reader: ArchiveReader, now: Int64) throws -> String {
        let archive = reader.archive
        let (summaryOutput, summaryValues, _) = try Reports.summary(scope: scope, in: reader, now: now)
        let timeline = try Reports.timeline(scope: scope, bucket: bucket, timeZone: timeZone, measure: measure, in: reader, now: now)
        let bySeverity = try Reports.timeline(scope: scope, bucket: bucket, by: "severity_label", timeZone: timeZone, measure: measure, in: reader, now: now)
        var groups: [(String, String, ReportOutput)] = []
        for (field, title) in groupings {
            groups.append((field, title, try Reports.by(field, scope: scope, measure: measure, top: top, in: reader, now: now)))
        }
        var request = scope.queryRequest
        request.fields = ["id", "type", "severity", "severity_label", "resource_type", "account_id", "region", "first_seen", "last_seen", "count"]
        request.sort = "severity"
        request.descending = true
        request.limit = maximumFindings + 1
        let findings = try FindingQuery.run(request, in: reader, now: now)

        // The data, exactly as the CLI prints it.
        let data = """
            {"summary": \(RowRenderer.renderRecord(columns: summaryValues.map(\.0), values: summaryValues.map(\.1), as: .json).trimmingCharacters(in: .newlines)),
             "timeline": \(RowRenderer.render(timeline.rows, as: .json).trimmingCharacters(in: .newlines)),
             "timeline_by_severity": \(RowRenderer.render(bySeverity.rows, as: .json).trimmingCharacters(in: .newlines)),
             "by": {\(groups.map { "\"\($0.0)\": " + RowRenderer.render($0.2.rows, as: .json).trimmingCharacters(in: .newlines) }.joined(separator: ",\n  "))}}
            """
        let values = Dictionary(uniqueKeysWithValues: summaryValues.map { ($0.0, $0.1) })
        func number(_ key: String) -> String {
            if case .int(let i)? = values[key] { return RowRenderer.groupThousands(i) }
            return "–"
        }
        func text(_ key: String) -> String {
            if case .text(let s)? = values[key] { return escape(s) }
            return "–"
        }

        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>GuardDuty findings report</title>
            <style>\(css)</style>
            </head>
            <body>
            <header>
            <h1>GuardDuty findings</h1>
            <dl class="meta">
            <dt>Archive</dt><dd>\(escape(archive.path))</dd>
            <dt>Filter</dt><dd>\(escape(scope.filter.flatMap { $0.isEmpty ? nil : $0 } ?? "none"))</dd>
            <dt>Time range</dt><dd>\(escape(scope.rangeDescription(now: now) ?? "\(scope.timeField.fieldName) from the beginning until now"))</dd>
            <dt>Generated</dt><dd>\(escape(Timestamp.format(epochMilliseconds: now)))</dd>
            <dt>Activity</dt><dd>\(text("first_activity")) – \(text("last_activity"))</dd>
            </dl>
            <div class="totals">
            <div class="total"><span class="value" id="total-findings">\(number("findings"))</span><span class="label">findings</span></div>
            <div class="total"><span class="value" id="total-versions">\(number("versions"))</span><span class="label">versions</span></div>
            <div class="total"><span class="value" id="total-occurrences">\(number("occurrences"))</span><span class="label">occurrences</span></div>
            \(severities.map { "<div class=\"total sev-\($0)\"><span class=\"value\">\(number($0))</span><span class=\"label\"><span class=\"swatch\" style=\"background:\(colors[$0]!)\"></span>\($0)</span></div>" }.joined(separator: "\n"))
            </div>
            <p class="note">\(summaryOutput.samplesLeftOut > 0 ? "\(summaryOutput.samplesLeftOut) GuardDuty sample finding\(summaryOutput.samplesLeftOut == 1 ? " was" : "s were") left out." : "No sample findings were left out.")
            Findings are distinct findings; versions are the stored versions of them; occurrences are GuardDuty's own count growth as the archive saw it.</p>
            </header>
            <main>
            <section>
            <h2>Timeline: \(escape(measure.rawValue)) per \(escape(bucket.rawValue)), by severity</h2>
            \(timelineSVG(bySeverity: bySeverity.rows, totals: timeline.rows, measure: measure.rawValue))
            </section>
            <section class="grid">

            """
        for (field, title, output) in groups {
            html += "<div class=\"panel\"><h2>\(escape(title))</h2>\(barsSVG(output.rows, field: field, measure: measure.rawValue))</div>\n"
        }
        html += "</section>\n<section>\n<h2>Findings (latest version of each)</h2>\n"
        var listed = findings.rows.rows
        if listed.count > maximumFindings {
            html += "<p class=\"note\">Showing the \(maximumFindings) most severe findings; use <code>gdarchive query</code> for the rest.</p>\n"
            listed = Array(listed.prefix(maximumFindings))
        }
        if listed.isEmpty {
            html += "<p class=\"note\">No findings in scope.</p>\n"
        }
        let columns = findings.rows.columns
        html += "<table id=\"findings\"><thead><tr>"
        for (i, column) in ["Type", "Severity", "Resource", "Account", "Region", "First seen", "Last seen", "Count"].enumerated() {
            html += "<th data-column=\"\(i)\" data-numeric=\"\(i == 1 || i == 7)\" tabindex=\"0\">\(column)</th>"
        }
        html += "</tr></thead>\n"
        for row in listed {
            func cell(_ name: String) -> String {
                guard let i = columns.firstIndex(of: name) else { return "" }
                switch row[i] {
                case .text(let s): return s
                case .int(let n): return String(n)
                case .double(let d): return d == d.rounded() ? String(Int64(d)) : String(d)
                case .bool(let b): return b ? "true" : "false"
                case .list(let items): return items.map(RowRenderer.plain).joined(separator: ", ")
                case .null: return ""
                }
            }
            let label = cell("severity_label")
            let id = cell("id")
            var history = ""
            if let story = try FindingHistory.load(id: id, in: reader).first(where: { $0.accountId == cell("account_id") && $0.region == cell("region") }) {
                history = "<details><summary>\(story.versions.count) version\(story.versions.count == 1 ? "" : "s")</summary><table class=\"history\"><tr><th>Updated</th><th>Count</th><th>+Count</th><th>Severity</th><th>Archived</th><th>Changed</th></tr>"
                for v in story.versions {
                    history += "<tr><td>\(escape(v.updatedAt ?? ""))</td><td>\(v.count.map(String.init) ?? "")</td><td>\(v.countIncrease.map(String.init) ?? "")</td><td>\(v.severity.map { $0 == $0.rounded() ? String(Int64($0)) : String($0) } ?? "")</td><td>\(v.archived.map { $0 ? "yes" : "no" } ?? "")</td><td>\(escape(FindingHistory.summarize(v.changedFields)))</td></tr>"
                }
                history += "</table></details>"
            }
            html += """
                <tbody><tr>
                <td data-value="\(escape(cell("type")))"><span class="type">\(escape(cell("type")))</span><div class="id">\(escape(id))</div>\(history)</td>
                <td data-value="\(escape(cell("severity")))"><span class="sev sev-\(escape(label))" style="border-color:\(colors[label] ?? "#999")">\(escape(label)) \(escape(cell("severity")))</span></td>
                <td data-value="\(escape(cell("resource_type")))">\(escape(cell("resource_type")))</td>
                <td data-value="\(escape(cell("account_id")))">\(escape(cell("account_id")))</td>
                <td data-value="\(escape(cell("region")))">\(escape(cell("region")))</td>
                <td data-value="\(escape(cell("first_seen")))" title="\(escape(cell("first_seen")))">\(escape(shortTime(cell("first_seen"))))</td>
                <td data-value="\(escape(cell("last_seen")))" title="\(escape(cell("last_seen")))">\(escape(shortTime(cell("last_seen"))))</td>
                <td data-value="\(escape(cell("count")))" class="num">\(escape(cell("count")))</td>
                </tr></tbody>

                """
        }
        html += "</table>\n</section>\n</main>\n"
        html += "<footer>Made by gdarchive from \(escape(archive.path)). The numbers are those of <code>gdarchive report … --format json</code>, embedded below.</footer>\n"
        html += "<script type=\"application/json\" id=\"gdarchive-data\">\(scriptSafe(data))</script>\n"
        html += "<script>\(script)</script>\n</body>\n</html>\n"
        return html
    }

    /// `2025-01-06T02:12:02.014Z` → `2025-01-06 02:12` (UTC), for table cells.
    static func shortTime(_ iso: String) -> String {
        guard iso.count >= 16 else { return iso }
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5))
    }

    /// HTML-escapes text (element content and attribute values).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case _ where scalar.value < 0x20 && scalar != "\n" && scalar != "\t": out += "&#xFFFD;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// JSON that cannot end, or change the parsing of, the `<script>` element it sits in:
    /// `<`, `>` and `&` (which occur only inside JSON strings) become `\u003c`, `\u003e`, `\u0026`.
    static func scriptSafe(_ json: String) -> String {
        json.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }

    /// Stacked bars per bucket (critical at the bottom … low on top is drawn critical first),
    /// every bucket present, with the occurrences line on its own scale.
    static func timelineSVG(bySeverity: RowSet, totals: RowSet, measure: String) -> String {
        let width = 960.0, height = 280.0, left = 56.0, right = 56.0, top = 16.0, bottom = 48.0
        let buckets = totals.rows.map { if case .text(let s) = $0[0] { return s } else { return "" } }
        guard !buckets.isEmpty else { return "<p class=\"note\">No activity in range.</p>" }
        let measureIndex = bySeverity.columns.firstIndex(of: measure)!
        let labelIndex = bySeverity.columns.firstIndex(of: "severity_label")!
        var stacks = Array(repeating: [String: Int64](), count: buckets.count)
        let bucketIndex = Dictionary(buckets.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for row in bySeverity.rows {
            guard case .text(let bucket) = row[0], let i = bucketIndex[bucket], case .text(let label) = row[labelIndex] else { continue }
            stacks[i][label, default: 0] += row[measureIndex].integerValue
        }
        let occurrenceIndex = totals.columns.firstIndex(of: "occurrences")!
        let occurrences = totals.rows.map { $0[occurrenceIndex].integerValue }
        let maxStack = max(1, stacks.map { $0.values.reduce(0, +) }.max() ?? 1)
        let maxOccurrences = max(1, occurrences.max() ?? 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let step = plotWidth / Double(buckets.count)
        let barWidth = max(1, step * 0.8)
        var svg = "<svg class=\"chart timeline\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(measure)) per bucket by severity, with occurrences\">"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\" class=\"axis\"/>"
        for tick in 0...4 {
            let y = top + plotHeight - plotHeight * Double(tick) / 4
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotWidth)\" y2=\"\(y)\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" class=\"tick\" text-anchor=\"end\">\(Int64((Double(maxStack) * Double(tick) / 4).rounded()))</text>"
            svg += "<text x=\"\(left + plotWidth + 6)\" y=\"\(y + 4)\" class=\"tick occ\">\(Int64((Double(maxOccurrences) * Double(tick) / 4).rounded()))</text>"
        }
        let labelEvery = max(1, Int((Double(buckets.count) / 12).rounded(.up)))
        for (i, bucket) in buckets.enumerated() {
            let x = left + Double(i) * step + (step - barWidth) / 2
            var y = top + plotHeight
            var tooltip = "\(bucket):"
            for label in severities + ["(none)"] {
                let value = stacks[i][label] ?? 0
                guard value > 0 else { continue }
                let h = plotHeight * Double(value) / Double(maxStack)
                y -= h
                svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(h)\" fill=\"\(colors[label] ?? "#999")\"><title>\(escape(bucket)) \(escape(label)): \(value) \(escape(measure))</title></rect>"
                tooltip += " \(label) \(value)"
            }
            if stacks[i].values.reduce(0, +) == 0 {
                svg += "<rect x=\"\(x)\" y=\"\(top + plotHeight - 1)\" width=\"\(barWidth)\" height=\"1\" class=\"empty\"><title>\(escape(bucket)): none</title></rect>"
            }
            if i % labelEvery == 0 {
                svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(top + plotHeight + 16)\" class=\"tick\" text-anchor=\"middle\">\(escape(String(bucket.prefix(10))))</text>"
            }
        }
        let points = occurrences.enumerated().map { i, v in
            "\(left + Double(i) * step + step / 2),\(top + plotHeight - plotHeight * Double(v) / Double(maxOccurrences))"
        }.joined(separator: " ")
        svg += "<polyline points=\"\(points)\" class=\"occurrences\"><title>occurrences per bucket</title></polyline>"
        var legendX = left
        for label in severities {
            svg += "<rect x=\"\(legendX)\" y=\"\(height - 16)\" width=\"12\" height=\"12\" fill=\"\(colors[label]!)\"/><text x=\"\(legendX + 16)\" y=\"\(height - 6)\" class=\"legend\">\(label)</text>"
            legendX += 90
        }
        svg += "<line x1=\"\(legendX)\" y1=\"\(height - 10)\" x2=\"\(legendX + 20)\" y2=\"\(height - 10)\" class=\"occurrences\"/><text x=\"\(legendX + 26)\" y=\"\(height - 6)\" class=\"legend\">occurrences (right scale)</text>"
        return svg + "</svg>"
    }

    /// Horizontal bars for a `report by` result.
    static func barsSVG(_ rows: RowSet, field: String, measure: String) -> String {
        guard !rows.rows.isEmpty else { return "<p class=\"note\">None in scope.</p>" }
        let measureIndex = rows.columns.firstIndex(of: measure)!
        let maximum = max(1, rows.rows.map { $0[measureIndex].integerValue }.max() ?? 1)
        let rowHeight = 22.0, width = 460.0, labelWidth = 250.0, barSpace = 150.0
        let height = rowHeight * Double(rows.rows.count) + 4
        var svg = "<svg class=\"chart bars\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(measure)) by \(escape(field))\">"
        for (i, row) in rows.rows.enumerated() {
            let name: String
            if case .text(let s) = row[0] { name = s } else { name = "" }
            let value = row[measureIndex].integerValue
            let y = Double(i) * rowHeight + 2
            let shown = name.count > 38 ? String(name.prefix(37)) + "…" : name
            let w = max(value > 0 ? 1 : 0, barSpace * Double(value) / Double(maximum))
            svg += "<text x=\"0\" y=\"\(y + 15)\" class=\"bar-label\"><title>\(escape(name))</title>\(escape(shown))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(w)\" height=\"\(rowHeight - 8)\" class=\"bar\"><title>\(escape(name)): \(value) \(escape(measure))</title></rect>"
            svg += "<text x=\"\(labelWidth + w + 6)\" y=\"\(y + 15)\" class=\"bar-value\">\(RowRenderer.groupThousands(value))</text>"
        }
        return svg + "</svg>"
    }

    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;color:#1b1b1b;background:#fff}
        header,main,footer{max-width:1000px;margin:0 auto;padding:0 16px}
        h1{font-size:1.6rem;margin:20px 0 8px}h2{font-size:1.1rem;margin:24px 0 8px}
        .meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:.9rem;color:#444}
        .meta dt{font-weight:600}.meta dd{margin:0;word-break:break-all}
        .totals{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
        .total{border:1px solid #ccc;border-radius:6px;padding:8px 14px;min-width:90px}
        .total .value{display:block;font-size:1.5rem;font-weight:700}.total .label{font-size:.85rem;color:#444}
        .swatch{display:inline-block;width:10px;height:10px;margin-right:4px;border:1px solid #333}
        .note{font-size:.85rem;color:#555}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(470px,1fr));gap:8px 24px}
        svg.chart{max-width:100%;height:auto;font-size:11px}
        .axis{stroke:#333}.grid line,.chart .grid{stroke:#e3e3e3}
        .tick,.legend{fill:#444}.tick.occ{fill:#000}
        .occurrences{fill:none;stroke:#000;stroke-width:2;stroke-dasharray:5 3}
        .empty{fill:#bbb}.bar{fill:#4477AA}.bar-label,.bar-value{fill:#222}
        table{border-collapse:collapse;width:100%;font-size:.85rem}
        th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
        th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}th:focus{outline:2px solid #0072B2}
        td.num{text-align:right}td{overflow-wrap:anywhere}.id{font-family:ui-monospace,monospace;font-size:.75rem;color:#666}
        .sev{border-left:6px solid;padding-left:4px;white-space:nowrap}
        table.history{font-size:.78rem;margin:4px 0}details summary{cursor:pointer;color:#0072B2;font-size:.8rem}
        footer{font-size:.8rem;color:#666;margin:24px auto}
        @media print{th{position:static}details{display:block}details>*{display:block}}
        """

    /// Sorting by a click on a header (the page works without it), and a self-check the tests
    /// read: script errors and the charts' rendered sizes.
    static let script = """
        (function(){var errors=[];window.addEventListener('error',function(e){errors.push(String(e.message));});
        var table=document.getElementById('findings');
        if(table){table.querySelectorAll('th').forEach(function(th){function sort(){var i=+th.dataset.column,num=th.dataset.numeric==='true',asc=th.dataset.dir!=='asc';
        th.dataset.dir=asc?'asc':'desc';var bodies=Array.prototype.slice.call(table.tBodies);
        bodies.sort(function(a,b){var x=a.rows[0].cells[i].dataset.value,y=b.rows[0].cells[i].dataset.value;
        var c=num?(parseFloat(x)||0)-(parseFloat(y)||0):x.localeCompare(y);return asc?c:-c;});
        bodies.forEach(function(b){table.appendChild(b);});}
        th.addEventListener('click',sort);th.addEventListener('keydown',function(e){if(e.key==='Enter')sort();});});}
        window.addEventListener('load',function(){var sizes=Array.prototype.map.call(document.querySelectorAll('svg.chart'),function(s){var r=s.getBoundingClientRect();return Math.round(r.width)+'x'+Math.round(r.height);});
        document.body.setAttribute('data-chart-sizes',sizes.join(' '));document.body.setAttribute('data-script-errors',String(errors.length));});})();
        """
}
