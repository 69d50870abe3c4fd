import Foundation
import GDArchiveTestSupport
import Testing

/// One rule each, through every command (README, "One rule each"). Truth is computed here,
/// from the lines written.
@Suite struct OneAnswerTests {
    /// A generated finding version as an object, to change before it is written.
    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static func line(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// `line` made a GuardDuty sample (`service.additionalInfo.sample`).
    static func sample(_ line: String) throws -> String {
        var finding = try object(line)
        var service = try #require(finding["service"] as? [String: Any])
        var info = service["additionalInfo"] as? [String: Any] ?? [:]
        info["sample"] = true
        service["additionalInfo"] = info
        finding["service"] = service
        return try Self.line(finding)
    }

    static func json(_ result: CommandResult) throws -> Any {
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    /// Data rows of a `--format csv` output, split at commas (no cell here holds one).
    static func csvRows(_ result: CommandResult) -> [[String]] {
        result.stdout.split(whereSeparator: \.isNewline).dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func aSampleFindingIsLeftOutWithAllItsVersionsEverywhere() throws {
        let tmp = try TemporaryDirectory()
        let generator = FindingGenerator(seed: 5)
        var lines: [String] = []
        var realVersions = 0
        for n in 0..<20 {
            for v in 1...(1 + n % 3) { lines.append(generator.finding(number: n, version: v, spacing: 86_400 * 2)) }
            realVersions += 1 + n % 3
        }
        // A sample finding whose earlier versions were not samples (its latest arrives first, so
        // the finding is a sample from its first stored version on), and one that always was.
        lines.append(try Self.sample(generator.finding(number: 100, version: 3, spacing: 86_400 * 2)))
        lines.append(generator.finding(number: 100, version: 1, spacing: 86_400 * 2))
        lines.append(generator.finding(number: 100, version: 2, spacing: 86_400 * 2))
        for v in 1...2 { lines.append(try Self.sample(generator.finding(number: 101, version: v, spacing: 86_400 * 2))) }
        let allVersions = realVersions + 5
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", lines.joined(separator: "\n") + "\n")]).status == 0)

        for includeSamples in [false, true] {
            let extra = includeSamples ? ["--include-samples"] : []
            let findings = includeSamples ? 22 : 20, versions = includeSamples ? allVersions : realVersions
            let note = includeSamples ? "" : "note: 2 sample findings left out; add --include-samples to see them\n"
            let latest = try runGDArchive(["--db", db, "query", "--fields", "id", "--format", "tsv"] + extra)
            #expect(latest.stdout.split(separator: "\n").count - 1 == findings && latest.stderr == note, "\(latest.stderr)")
            let all = try runGDArchive(["--db", db, "query", "--all-versions", "--fields", "id", "--format", "tsv"] + extra)
            #expect(all.stdout.split(separator: "\n").count - 1 == versions && all.stderr == note, "\(all.stderr)")
            let summary = try #require(try Self.json(runGDArchive(["--db", db, "report", "summary", "--format", "json"] + extra)) as? [String: Any])
            #expect(summary["findings"] as? Int == findings && summary["versions"] as? Int == versions)
            #expect(summary["samples_left_out"] as? Int == (includeSamples ? 0 : 2))
            let by = Self.csvRows(try runGDArchive(["--db", db, "report", "by", "account_id", "--format", "csv"] + extra))
            #expect(by.map { [$0[1], $0[2]] } == [[String(findings), String(versions)]])
            let timeline = Self.csvRows(try runGDArchive(["--db", db, "report", "timeline", "--bucket", "month", "--format", "csv"] + extra))
            #expect(timeline.compactMap { Int($0[2]) }.reduce(0, +) == versions, "\(timeline)")
            let table = try runGDArchive(["--db", db, "report", "timeline", "--bucket", "month"] + extra).stdout
            #expect(table.contains("2 sample findings left out") == !includeSamples, "\(table.prefix(400))")
            let page = try runGDArchive(["--db", db, "report", "html"] + extra).stdout
            #expect(page.contains(#"id="total-versions">\#(versions)</span>"#))
        }
        // The sql views hold everything; real_findings and real_finding_versions are the default scope.
        let counts = try runGDArchive(["--db", db, "sql", """
            SELECT (SELECT count(*) FROM latest_findings), (SELECT count(*) FROM finding_versions),
                   (SELECT count(*) FROM real_findings), (SELECT count(*) FROM real_finding_versions)
            """, "--format", "tsv"])
        #expect(counts.stdout.split(separator: "\n").last.map(String.init) == "22\t\(allVersions)\t20\t\(realVersions)", "\(counts.stdout)\(counts.stderr)")
    }

    /// The Monday (UTC) that starts the ISO week of an ISO-8601 timestamp, as `YYYY-MM-DD`.
    static func weekStart(_ timestamp: String) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        let start = calendar.dateInterval(of: .weekOfYear, for: formatter.date(from: timestamp)!)!.start
        return String(ISO8601DateFormatter().string(from: start).prefix(10))
    }

    @Test func stackedTimelinesAddUpToTheirBuckets() throws {
        let tmp = try TemporaryDirectory()
        let generator = FindingGenerator(seed: 9)
        var random = SeededGenerator(seed: 28)
        struct Version { var id: String; var updated: String; var label: String; var ip: String? }
        var versions: [Version] = []
        var lines: [String] = []
        let labels = [2: "low", 5: "medium", 8: "high"]
        for n in 0..<40 {
            for v in 1...(1 + n % 4) {
                // Versions a day apart, each with a severity of its own: escalated and
                // de-escalated inside one week; some with another remote IP than the last.
                var finding = try Self.object(generator.finding(number: n, version: v, spacing: 86_400))
                let severity = [2, 5, 8].randomElement(using: &random)!
                finding["severity"] = severity
                var ip: String?
                if var service = finding["service"] as? [String: Any], var action = service["action"] as? [String: Any],
                   var connection = action["networkConnectionAction"] as? [String: Any], var remote = connection["remoteIpDetails"] as? [String: Any] {
                    ip = "192.0.2.\(Int.random(in: 1...3, using: &random))"
                    remote["ipAddressV4"] = ip
                    connection["remoteIpDetails"] = remote
                    action["networkConnectionAction"] = connection
                    service["action"] = action
                    finding["service"] = service
                }
                lines.append(try Self.line(finding))
                versions.append(Version(id: finding["id"] as! String, updated: finding["updatedAt"] as! String, label: labels[severity]!, ip: ip))
            }
        }
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", lines.joined(separator: "\n") + "\n")]).status == 0)

        // Truth: in each week, a finding counts once, under the severity of its last version there.
        var last: [String: [String: Version]] = [:]  // week → finding → last version
        var versionsPer: [String: [String: Int]] = [:]
        for version in versions {
            let week = Self.weekStart(version.updated)
            if let current = last[week]?[version.id], current.updated > version.updated { continue }
            last[week, default: [:]][version.id] = version
        }
        for version in versions { versionsPer[Self.weekStart(version.updated), default: [:]][version.label, default: 0] += 1 }
        var truth: [String: [String: Int]] = [:]
        for (week, findings) in last {
            for version in findings.values { truth[week, default: [:]][version.label, default: 0] += 1 }
        }
        var escalatedInAWeek = false
        for (a, b) in zip(versions, versions.dropFirst()) where a.id == b.id && a.label != b.label {
            if Self.weekStart(a.updated) == Self.weekStart(b.updated) { escalatedInAWeek = true }
        }
        #expect(escalatedInAWeek, "the data changes severity inside a week")

        let stacked = Self.csvRows(try runGDArchive(["--db", db, "report", "timeline", "--bucket", "week", "--by", "severity_label", "--format", "csv"]))
        var printed: [String: [String: Int]] = [:]
        var printedVersions: [String: [String: Int]] = [:]
        for row in stacked where Int(row[2])! > 0 || Int(row[3])! > 0 {
            printed[String(row[0].prefix(10)), default: [:]][row[1]] = Int(row[2])!
            printedVersions[String(row[0].prefix(10)), default: [:]][row[1]] = Int(row[3])!
        }
        #expect(printed.mapValues { $0.filter { $0.value > 0 } } == truth)
        #expect(printedVersions.mapValues { $0.filter { $0.value > 0 } } == versionsPer)
        // The stacks add up to the bucket's findings, in the table and in the HTML page's data.
        let plain = Self.csvRows(try runGDArchive(["--db", db, "report", "timeline", "--bucket", "week", "--format", "csv"]))
        let totals = Dictionary(uniqueKeysWithValues: plain.map { (String($0[0].prefix(10)), Int($0[1])!) })
        #expect(totals.filter { $0.value > 0 } == truth.mapValues { $0.values.reduce(0, +) })
        let page = try runGDArchive(["--db", db, "report", "html", "--bucket", "week", "--since", "2025-01-01", "--until", "2026-02-01"]).stdout
        let start = try #require(page.range(of: #"<script type="application/json" id="gdarchive-data">"#))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let data = try #require(try JSONSerialization.jsonObject(with: Data(page[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
        let chart = try #require(data["timeline_by_severity"] as? [[String: Any]])
        var chartSums: [String: Int] = [:]
        for row in chart { chartSums[String((row["bucket_start"] as! String).prefix(10)), default: 0] += row["findings"] as! Int }
        let chartTotals = try #require(data["timeline"] as? [[String: Any]])
        #expect(chartSums == Dictionary(uniqueKeysWithValues: chartTotals.map { (String(($0["bucket_start"] as! String).prefix(10)), $0["findings"] as! Int) }))
        #expect(chartSums.filter { $0.value > 0 } == truth.mapValues { $0.values.reduce(0, +) })

        // A field with several values: a finding under each of its values in the week, and the
        // bucket's total (the table's total column) counts it once.
        var ipTruth: [String: Set<String>] = [:]
        for version in versions { if let ip = version.ip { ipTruth["\(Self.weekStart(version.updated)) \(ip)", default: []].insert(version.id) } }
        let byIP = Self.csvRows(try runGDArchive(["--db", db, "report", "timeline", "--bucket", "week", "--by", "remote_ip", "--format", "csv"]))
        var ipPrinted: [String: Int] = [:]
        for row in byIP where row[1].hasPrefix("192.0.2.") && Int(row[2])! > 0 { ipPrinted["\(row[0].prefix(10)) \(row[1])"] = Int(row[2])! }
        #expect(ipPrinted == ipTruth.mapValues(\.count))
        #expect(ipTruth.values.contains { _ in true })
        let table = try runGDArchive(["--db", db, "report", "timeline", "--bucket", "week", "--by", "remote_ip"])
        #expect(table.stdout.contains("a finding with several remote_ip values counts once under each; a bucket's total counts it once"))
        let header = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("bucket_start") })
        let columns = header.split(separator: " ").map(String.init)
        let totalColumn = try #require(columns.firstIndex(of: "total"))
        var overlapping = 0
        for row in table.stdout.split(separator: "\n") where row.first?.isNumber == true && row.contains("T00:00:00Z") {
            let cells = row.split(separator: " ").map(String.init)
            let bucket = String(cells[0].prefix(10))
            let stackSum = cells[1..<totalColumn].compactMap { Int($0.replacingOccurrences(of: ",", with: "")) }.reduce(0, +)
            #expect(Int(cells[totalColumn].replacingOccurrences(of: ",", with: "")) == (totals[bucket] ?? 0), "\(row)")
            if stackSum > (totals[bucket] ?? 0) { overlapping += 1 }
        }
        #expect(overlapping > 0, "some week has a finding under two remote IPs")
    }
}
