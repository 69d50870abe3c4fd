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
        // show tells a sample finding's whole story, every version (samples are left out of counts, not hidden).
        let story = try #require(try Self.json(runGDArchive(["--db", db, "show", generator.id(100), "--format", "json"])) as? [[String: Any]])
        #expect(story.count == 3 && story.filter { $0["latest"] as? Bool == true }.map { $0["version"] as? Int } == [3])
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

        // show gives each version's severity as written.
        for id in Set(versions.map(\.id)).sorted().prefix(5) {
            let story = try #require(try Self.json(runGDArchive(["--db", db, "show", id, "--format", "json"])) as? [[String: Any]])
            let written = versions.filter { $0.id == id }.map(\.label)
            #expect(story.compactMap { ($0["severity"] as? Int).flatMap { labels[$0] } } == written, "\(id)")
        }
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

    @Test func pathsThroughListsCountEachValueOncePerFinding() throws {
        let tmp = try TemporaryDirectory()
        let generator = FindingGenerator(seed: 4)
        var random = SeededGenerator(seed: 44)
        let paths = ["resource.s3BucketDetails.name", "resource.instanceDetails.tags.value",
                     "service.action.portProbeAction.portProbeDetails.localPortDetails.port"]
        // Per finding id, its versions in order, each with the values of each path (in body order, repeats kept).
        var history: [String: [(updated: String, values: [String: [String]])]] = [:]
        var lines: [String] = []
        for n in 0..<60 {
            for v in 1...2 {
                var finding = try Self.object(generator.finding(number: n, version: v, spacing: 86_400 * 20))
                var values: [String: [String]] = [:]
                var resource = try #require(finding["resource"] as? [String: Any])
                if var buckets = resource["s3BucketDetails"] as? [[String: Any]] {
                    let names = (0..<Int.random(in: 1...3, using: &random)).map { _ in "bucket-\(Int.random(in: 0..<4, using: &random))" }
                    buckets = names.map { ["arn": "arn:aws:s3:::\($0)", "name": $0, "type": "Destination", "tags": [] as [Any]] }
                    resource["s3BucketDetails"] = buckets
                    values[paths[0]] = names
                }
                if var instance = resource["instanceDetails"] as? [String: Any] {
                    let tags = (0..<Int.random(in: 0...3, using: &random)).map { _ in "tag-\(Int.random(in: 0..<4, using: &random))" }
                    instance["tags"] = tags.map { ["key": "k", "value": $0] }
                    resource["instanceDetails"] = instance
                    values[paths[1]] = tags
                }
                finding["resource"] = resource
                if var service = finding["service"] as? [String: Any], var action = service["action"] as? [String: Any],
                   var probe = action["portProbeAction"] as? [String: Any], let details = probe["portProbeDetails"] as? [[String: Any]] {
                    let ports = (0..<Int.random(in: 1...3, using: &random)).map { _ in [22, 80, 443].randomElement(using: &random)! }
                    probe["portProbeDetails"] = ports.map { port -> [String: Any] in
                        var detail = details[0]
                        detail["localPortDetails"] = ["port": port, "portName": "P\(port)"]
                        return detail
                    }
                    action["portProbeAction"] = probe
                    service["action"] = action
                    finding["service"] = service
                    values[paths[2]] = ports.map(String.init)
                }
                lines.append(try Self.line(finding))
                history[finding["id"] as! String, default: []].append((finding["updatedAt"] as! String, values))
            }
        }
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", lines.joined(separator: "\n") + "\n")]).status == 0)
        let latest = history.mapValues { $0.max { $0.updated < $1.updated }! }

        for path in paths {
            // report by: each distinct value of a finding's latest version once; (none) without one.
            var truth: [String: Int] = [:]
            for (_, version) in latest {
                let values = Set(version.values[path] ?? [])
                if values.isEmpty { truth["(none)", default: 0] += 1 }
                for value in values { truth[value, default: 0] += 1 }
            }
            let by = Self.csvRows(try runGDArchive(["--db", db, "report", "by", path, "--format", "csv"]))
            #expect(Dictionary(uniqueKeysWithValues: by.map { ($0[0], Int($0[1])!) }) == truth, "\(path)")
            #expect(truth.count >= 3, "\(path) has several values")
            // A filter on one value finds the same findings.
            let value = try #require(truth.keys.filter { $0 != "(none)" }.sorted().first)
            let literal = Int(value) != nil ? value : "'\(value)'"
            let found = try runGDArchive(["--db", db, "query", "\(path) = \(literal)", "--fields", "id", "--format", "tsv"])
            #expect(found.stdout.split(separator: "\n").count - 1 == truth[value], "\(path) = \(literal): \(found.stderr)")
            // timeline --by: in each month, a finding under each value one of its versions there has.
            var monthly: [String: Set<String>] = [:]
            for (id, versions) in history {
                for version in versions {
                    for value in version.values[path] ?? [] { monthly["\(version.updated.prefix(7)) \(value)", default: []].insert(id) }
                }
            }
            let timeline = Self.csvRows(try runGDArchive(["--db", db, "report", "timeline", "--bucket", "month", "--by", path, "--format", "csv"]))
            var printed: [String: Int] = [:]
            for row in timeline where row[1] != "(none)" && Int(row[2])! > 0 { printed["\(row[0].prefix(7)) \(row[1])"] = Int(row[2])! }
            #expect(printed == monthly.mapValues(\.count), "\(path)")
        }

        // --fields: the values as a JSON array (numbers as numbers), joined in CSV.
        let rows = try #require(try Self.json(runGDArchive(["--db", db, "query", "--fields", "id," + paths.joined(separator: ","), "--format", "json", "--limit", "1000"])) as? [[String: Any]])
        #expect(rows.count == 60)
        for row in rows {
            let version = try #require(latest[row["id"] as! String])
            #expect((row[paths[0]] as? [String]) == (version.values[paths[0]] ?? []))
            #expect((row[paths[1]] as? [String]) == (version.values[paths[1]] ?? []))
            #expect((row[paths[2]] as? [Int])?.map(String.init) == (version.values[paths[2]] ?? []))
        }
        let csv = try runGDArchive(["--db", db, "query", "--fields", "id,resource.s3BucketDetails.name", "--format", "csv", "resource_type = 'S3Bucket'"]).stdout
        let bucketFinding = try #require(latest.first { ($0.value.values[paths[0]]?.count ?? 0) > 1 })
        #expect(csv.contains("\(bucketFinding.key),\"\(bucketFinding.value.values[paths[0]]!.joined(separator: ", "))\""), "\(csv)")

        // An object is no value to count by: the error names the paths below it.
        for object in ["resource", "resource.s3BucketDetails"] {
            let refused = try runGDArchive(["--db", db, "report", "by", object])
            #expect(refused.status == 64)
            #expect(refused.stderr.contains("'\(object)' holds an object") && refused.stderr.contains("'\(object).\(object == "resource" ? "instanceDetails" : "name")'"), "\(refused.stderr)")
        }
    }
}
