import Foundation
import GDArchiveTestSupport
import Testing

@Suite struct QueryCLITests {
    /// An archive built from all the fixtures.
    func fixtureArchive() throws -> (TemporaryDirectory, String) {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let result = try runGDArchive(["--db", db, "import", "--quiet", try tmp.copyFixture(".", as: "Fixtures")])
        #expect(result.status == 65)  // the fixtures hold broken input on purpose
        return (tmp, db)
    }

    @Test func rawOutputRebuildsTheSameVersionsInAnotherArchive() throws {
        let (tmp, db) = try fixtureArchive()
        let raw = try runGDArchive(["--db", db, "query", "--all-versions", "--raw", "--include-samples", "--format", "jsonl"])
        #expect(raw.status == 0)
        let copy = tmp.path("copy.sqlite")
        let imported = try runGDArchive(["--db", copy, "import", "-"], stdin: Array(raw.stdout.utf8))
        #expect(imported.status == 0)
        let hashes = "SELECT hex(hash) FROM versions ORDER BY 1"
        let original = try runGDArchive(["--db", db, "sql", hashes, "--format", "tsv"])
        let rebuilt = try runGDArchive(["--db", copy, "sql", hashes, "--format", "tsv"])
        #expect(original.stdout == rebuilt.stdout)
        #expect(original.stdout.split(separator: "\n").count == 44)  // header + 43 versions
    }

    @Test func aBadFilterIsShownWithACaretAndExits64() throws {
        let (tmp, db) = try fixtureArchive()
        defer { withExtendedLifetime(tmp) {} }
        let result = try runGDArchive(["--db", db, "query", "severity >= 7 and resouce_type = 'Instance'"])
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == """
            error: unknown field 'resouce_type'
              severity >= 7 and resouce_type = 'Instance'
                                ^~~~~~~~~~~~
            hint: did you mean 'resource_type'?

            """)
        let since = try runGDArchive(["--db", db, "query", "--since", "last tuesday"])
        #expect(since.status == 64)
        #expect(since.stderr.hasPrefix("in --since: error: updated_at compares with a timestamp"))
    }

    /// Relative times start with a dash, as the help and README write them (`--since -90d`):
    /// taken as the option's value, not as another option.
    @Test func relativeTimesAreOptionValues() throws {
        let (tmp, db) = try fixtureArchive()
        defer { withExtendedLifetime(tmp) {} }
        let all = try runGDArchive(["--db", db, "query", "--format", "csv"])
        #expect(all.status == 0 && all.stdout.split(whereSeparator: \.isNewline).count > 5)
        // The fixtures are from 2025: all of them in the last 30,000 days, none in the last day.
        #expect(try runGDArchive(["--db", db, "query", "--since", "-30000d", "--format", "csv"]).stdout == all.stdout)
        let recent = try runGDArchive(["--db", db, "query", "--since", "-1d", "--format", "csv"])
        #expect(recent.status == 0, "\(recent.stderr)")
        #expect(recent.stdout.split(whereSeparator: \.isNewline).count == 1)  // the header
        #expect(try runGDArchive(["--db", db, "query", "--until", "-1d", "--format", "csv"]).stdout == all.stdout)
        let report = try runGDArchive(["--db", db, "report", "by", "resource_type", "--since", "-30000d", "--format", "csv"])
        #expect(report.status == 0, "\(report.stderr)")
        // The same findings and versions; occurrences in a window are the versions'
        // contributions, which differ from the latest count only after a reset (AccessKey's
        // finding b: 3, then 1).
        let everything = try runGDArchive(["--db", db, "report", "by", "resource_type", "--format", "csv"]).stdout
        func firstColumns(_ csv: String) -> [String] { csv.split(whereSeparator: \.isNewline).map { $0.split(separator: ",").prefix(3).joined(separator: ",") } }
        #expect(firstColumns(report.stdout) == firstColumns(everything))
        #expect(report.stdout.contains("AccessKey,5,7,9") && everything.contains("AccessKey,5,7,6"), "\(report.stdout)")
        let timeline = try runGDArchive(["--db", db, "report", "timeline", "--since", "-30000d", "--until", "-1d"])
        #expect(timeline.status == 0, "\(timeline.stderr)")
        // Years (365 days), as in the README's example.
        let year = try runGDArchive(["--db", db, "report", "timeline", "--bucket", "month", "--by", "remote_ip", "--top", "10", "--since", "-1y"])
        #expect(year.status == 0, "\(year.stderr)")
        #expect(try runGDArchive(["--db", db, "query", "--since", "-100y", "--format", "csv"]).stdout == all.stdout)
        let importing = try runGDArchive(["--db", db, "import", "--since", "-7d", try tmp.copyFixture("exports")])
        #expect(importing.status == 0, "\(importing.stderr)")
    }

    @Test func queryPrintsEveryFormatWithFieldNamesAsKeys() throws {
        let (tmp, db) = try fixtureArchive()
        defer { withExtendedLifetime(tmp) {} }
        let args = ["--db", db, "query", "resource_type = 'Lambda'", "--fields", "id,type,count,remote_ip,lambda_function"]
        let json = try runGDArchive(args + ["--format", "json"])
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(objects.count == 1)
        #expect(objects.first?["lambda_function"] as? String == "resize-images")
        #expect(objects.first?["count"] as? Int == 6)
        #expect(Set(objects.first?.keys ?? [:].keys) == ["id", "type", "count", "remote_ip", "lambda_function"])
        let csv = try runGDArchive(args + ["--format", "csv"]).stdout
        #expect(csv.hasPrefix("id,type,count,remote_ip,lambda_function\r\n"))
        let tsv = try runGDArchive(args + ["--format", "tsv"]).stdout
        #expect(tsv.split(separator: "\n").count == 2)
        let table = try runGDArchive(args).stdout
        #expect(table.contains("resize-images"))
    }

    @Test(.enabled(if: Paths.samples != nil, Comment(rawValue: Paths.samplesMissing)))
    func samplesAreLeftOutWithANote() throws {
        let samples = try #require(Paths.samples)
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", samples.appendingPathComponent("single-findings").path])
        let result = try runGDArchive(["--db", db, "query", "--format", "jsonl"])
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "note: 8 sample findings left out; add --include-samples to see them\n")
        let all = try runGDArchive(["--db", db, "query", "--format", "jsonl", "--include-samples"])
        #expect(all.stdout.split(separator: "\n").count == 8)
    }

    @Test func tableOutputNeverPassesControlCharactersToTheTerminal() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let hostile = #"{"id":"f","accountId":"1","region":"r","title":"\u001b]0;pwned\u0007\u001b[2J evil\r\nline"}"#
        _ = try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", hostile + "\n")])
        let table = try runGDArchive(["--db", db, "query", "--fields", "id,title"]).stdout
        #expect(!table.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(table.contains(#"\u{1b}]0;pwned\u{7}\u{1b}[2J evil\r\nline"#))
        // The stored value is kept as is.
        let json = try runGDArchive(["--db", db, "query", "--fields", "title", "--format", "json"]).stdout
        #expect(json.contains(#"\u001b]0;pwned\u0007\u001b[2J evil\r\nline"#))
    }

    @Test func showTellsTheStoryAndUnknownIdsSuggestPrefixes() throws {
        let (tmp, db) = try fixtureArchive()
        defer { withExtendedLifetime(tmp) {} }
        let portProbe = "23b8c1e9392446debeb13b9046685257"
        let show = try runGDArchive(["--db", db, "show", portProbe, "--format", "csv"])
        #expect(show.status == 0)
        let lines = show.stdout.split(separator: "\r\n")
        #expect(lines.count == 4)
        #expect(lines[0] == "account_id,region,id,version,updated_at,count,count_increase,last_seen,severity,archived,latest,first_seen_in,changed")
        #expect(lines[3].contains(",3,2025-01-07T02:00:00.000Z,43,30,"))
        let raw = try runGDArchive(["--db", db, "show", portProbe, "--raw"])
        #expect(raw.stdout.split(separator: "\n").count == 3)
        let unknown = try runGDArchive(["--db", db, "show", "23b8"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no finding with id '23b8'"))
        #expect(unknown.stderr.contains("ids starting with '23b8': \(portProbe)"))
    }

    @Test func csvAndTSVAreSafeToOpenInASpreadsheetUnlessAskedForRawCells() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let titles = [#"=HYPERLINK(\"http://evil\",\"x\")"#, "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", #"\tlead"#, #"bell\u0007 esc\u001b[2J rtl\u202egnp.exe zw\u200bsp"#, "plain"]
        let lines = titles.enumerated().map { #"{"id":"f\#($0.offset)","accountId":"1","region":"r","title":"\#($0.element)","severity":-5,"service":{"count":3}}"# }
        _ = try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", lines.joined(separator: "\n") + "\n")])
        for format in ["csv", "tsv"] {
            let safe = try runGDArchive(["--db", db, "query", "--fields", "id,title,severity", "--sort", "id", "--format", format]).stdout
            let rows = safe.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).dropFirst().map(String.init)
            #expect(rows.count == titles.count, "\(format): \(safe)")
            for row in rows {
                let title = row.split(separator: format == "csv" ? "," : "\t", maxSplits: 1)[1].drop { $0 == "\"" }
                #expect(!["=", "+", "-", "@", "\t"].contains(title.first.map(String.init) ?? ""), "\(format): \(row)")
            }
            #expect(safe.contains("'=HYPERLINK") && safe.contains("'+cmd") && safe.contains("'@SUM") && safe.contains("'-2+3"))
            #expect(!safe.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E || $0.value == 0x200B }, "\(format)")
            #expect(safe.contains(#"\u{202e}"#))
            // Numbers are numbers: a negative one keeps its sign.
            #expect(safe.contains(format == "csv" ? ",-5\r\n" : "\t-5\n"))
            let raw = try runGDArchive(["--db", db, "query", "--fields", "id,title", "--sort", "id", "--format", format, "--raw-cells"]).stdout
            #expect(raw.contains("=HYPERLINK") && !raw.contains("'=HYPERLINK"))
            #expect(raw.unicodeScalars.contains { $0.value == 0x202E })
        }
        // Tables escape the same invisible characters.
        let table = try runGDArchive(["--db", db, "query", "--fields", "id,title"]).stdout
        #expect(!table.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x200B })
    }

    @Test func jsonSaysBooleansAndListsAsJSONDoes() throws {
        let (tmp, db) = try fixtureArchive()
        defer { withExtendedLifetime(tmp) {} }
        let rows = try runGDArchive(["--db", db, "query", "--fields", "id,archived,sample", "--format", "json", "--include-samples"]).stdout
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(rows.utf8)) as? [[String: Any]])
        #expect(!objects.isEmpty)
        for object in objects {
            // NSNumber hides the difference: compare the JSON text instead.
            #expect(object["sample"] is Bool)
        }
        #expect(rows.contains(#""sample":true"#) && rows.contains(#""sample":false"#))
        #expect(!rows.contains(#""sample":0"#) && !rows.contains(#""archived":1"#))
        let csv = try runGDArchive(["--db", db, "query", "--fields", "sample", "--format", "csv", "--include-samples"]).stdout
        #expect(Set(csv.split(separator: "\r\n").dropFirst()) == ["false", "true"])
        // What changed between versions is a list.
        let portProbe = "23b8c1e9392446debeb13b9046685257"
        let show = try runGDArchive(["--db", db, "show", portProbe, "--format", "json"]).stdout
        let versions = try #require(try JSONSerialization.jsonObject(with: Data(show.utf8)) as? [[String: Any]])
        #expect(versions.count == 3)
        #expect(versions.first?["changed"] as? [String] == [])
        let later = try #require(versions.last?["changed"] as? [String])
        #expect(later.contains("service.count"), "\(later)")
        #expect(show.contains(#""latest":true"#))
    }

    @Test func fieldsListsTheCatalog() throws {
        let result = try runGDArchive(["fields", "--format", "tsv"])
        #expect(result.status == 0)
        let names = result.stdout.split(separator: "\n").dropFirst().map { String($0.split(separator: "\t")[0]) }
        #expect(names.contains("severity_label") && names.contains("remote_ip") && names.contains("ioc"))
        let mismatch = snapshotMismatch(of: try runGDArchive(["fields", "--format", "csv"]).stdout, named: "gdarchive-fields.csv")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func sqlIsReadOnly() throws {
        let (tmp, db) = try fixtureArchive()
        defer { withExtendedLifetime(tmp) {} }
        let refused = try runGDArchive(["--db", db, "sql", "DELETE FROM versions"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("only reads"))
        let count = try runGDArchive(["--db", db, "sql", "SELECT count(*) AS n FROM latest_findings", "--format", "json"])
        #expect(count.stdout == "[{\"n\":31}]\n")
    }

    @Test func sortDescAndLimitShapeTheRows() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("reports/hand-counted.jsonl")])
        func ids(_ extra: [String]) throws -> [String] {
            try runGDArchive(["--db", db, "query", "--fields", "id", "--format", "tsv"] + extra).stdout.split(separator: "\n").dropFirst().map(String.init)
        }
        // Latest versions updated: a 01-15, b 01-14, c 02-04, d 01-09 (s is a sample).
        #expect(try ids([]) == ["c", "a", "b", "d"])            // newest first
        // --desc alone is the default order (it used to flip it); --asc alone is oldest first.
        #expect(try ids(["--desc"]) == ["c", "a", "b", "d"])
        #expect(try ids(["--asc"]) == ["d", "b", "a", "c"])
        #expect(try ids(["--sort", "updated_at", "--desc"]) == ["c", "a", "b", "d"])
        #expect(try ids(["--sort", "count"]) == ["b", "d", "a", "c"])
        #expect(try ids(["--sort", "count", "--asc"]) == ["b", "d", "a", "c"])
        #expect(try ids(["--sort", "count", "--desc", "--limit", "2"]) == ["c", "a"])
        #expect(try runGDArchive(["--db", db, "query", "--asc", "--desc"]).status == 64)
        let negative = try runGDArchive(["--db", db, "query", "--limit", "-1"])
        #expect(negative.status == 64)
        #expect(negative.stderr.contains("--limit must be 0 or more"), "\(negative.stderr)")
        #expect(try runGDArchive(["--db", db, "query", "--sort", "severty"]).stderr.contains("did you mean 'severity'?"))
    }

    @Test func timelineBucketsInTheNamedZone() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("reports/hand-counted.jsonl")])
        let args = ["--db", db, "report", "timeline", "id = 'b'", "--bucket", "week", "--since", "2024-12-30", "--until", "2025-01-20", "--format", "csv"]
        let newYork = try runGDArchive(args + ["--tz", "America/New_York"]).stdout
        #expect(newYork.contains("2024-12-30T00:00:00-05:00,1,1,3"))
        #expect(try runGDArchive(args + ["--tz", "Mars/Olympus"]).status == 64)
    }

    @Test func timelineTopNeedsByAndKeepsTheLargestGroups() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("reports/hand-counted.jsonl")])
        let args = ["--db", db, "report", "timeline", "--bucket", "month", "--format", "csv"]
        let withoutBy = try runGDArchive(args + ["--top", "1"])
        #expect(withoutBy.status == 64 && withoutBy.stderr.contains("give --by FIELD too"))
        #expect(try runGDArchive(args + ["--by", "resource_type", "--top", "0"]).status == 64)
        // Instance (a, c) has the most findings; AccessKey (b) and S3Bucket (d) are merged.
        let top = try runGDArchive(args + ["--by", "resource_type", "--top", "1"])
        #expect(top.status == 0)
        #expect(top.stdout.contains("2025-01-01T00:00:00Z,Instance,1,3,6"), "\(top.stdout)")  // a: +1, +3, +2
        #expect(top.stdout.contains("2025-01-01T00:00:00Z,(other),2,3,6"), "\(top.stdout)")  // b: +3, +1 (a reset); d: +2
        #expect(top.stdout.contains("2025-02-01T00:00:00Z,Instance,1,1,10"), "\(top.stdout)")
        #expect(!top.stdout.contains("AccessKey"))
    }
}

/// A table is for reading: its cells are cut at 200 characters, so its width and memory are
/// bounded by its rows and rendering is linear (a 64,000-space type took 253 s to render, a
/// padded body column 110 ms a row).
@Suite struct WideTableTests {
    @Test func longValuesAreCutInTablesAndWholeElsewhere() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let wide = String(repeating: " ", count: 64_000) + "Recon"
        let generator = FindingGenerator(seed: 5)
        let lines = [#"{"id":"wide","accountId":"1","region":"r","type":"\#(wide)","service":{"count":1}}"#]
            + (0..<300).map { generator.finding(number: $0, version: 1) }
        _ = try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", lines.joined(separator: "\n") + "\n")])
        let table = try runGDArchive(["--db", db, "query", "id = 'wide'", "--fields", "id,type"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("…(+63,806 characters)"), "\(table.stdout.prefix(300))")
        #expect(table.stdout.split(separator: "\n").allSatisfy { $0.count < 260 })
        let json = try runGDArchive(["--db", db, "query", "id = 'wide'", "--fields", "id,type", "--format", "jsonl"])
        #expect(json.stdout.contains(wide), "machine formats print the whole value")
        // Every column of 301 findings with their bodies: each line stays short.
        let all = try runGDArchive(["--db", db, "sql", "SELECT * FROM latest_findings"])
        #expect(all.status == 0, "\(all.stderr)")
        let rows = all.stdout.split(separator: "\n")
        #expect(rows.count == 303)
        #expect(rows.allSatisfy { $0.count < 4000 }, "\(rows.map(\.count).max() ?? 0)")
        #expect(rows.dropFirst(2).allSatisfy { $0.contains("characters)") }, "each body is cut")
    }
}

/// The header says which dates: --since and --until print as the UTC instants they stand for.
@Suite struct RangeHeaderTests {
    @Test func headersHTMLAndJSONShowTheResolvedInstants() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.copyFixture("scenarios/out-of-order-versions.jsonl")])
        let table = try runGDArchive(["--db", db, "report", "summary", "--since", "2025-01-06", "--until", "2025-02-10"])
        #expect(table.stdout.contains("updated_at from 2025-01-06T00:00:00.000Z (2025-01-06) until 2025-02-10T00:00:00.000Z (2025-02-10)"), "\(table.stdout)")
        let json = try runGDArchive(["--db", db, "report", "summary", "--since", "-7d", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let since = try #require(object["range_since"] as? String)
        let instant = try #require(ISO8601DateFormatter.fractional.date(from: since))
        #expect(abs(instant.timeIntervalSinceNow + 7 * 86_400) < 600, "\(since)")
        #expect(object["range_until"] is NSNull)
        let timeline = try runGDArchive(["--db", db, "report", "timeline", "--since", "-7d"])
        #expect(timeline.stdout.range(of: #"updated_at from \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(-7d\) until now \(\d{4}-"#, options: .regularExpression) != nil, "\(timeline.stdout)")
        let page = try runGDArchive(["--db", db, "report", "html", "--since", "2025-01-06"])
        #expect(page.stdout.contains("<dt>Time range</dt><dd>updated_at from 2025-01-06T00:00:00.000Z (2025-01-06) until now ("), "\(page.stdout.prefix(2000))")
        // Without a range, no range keys.
        let plain = try runGDArchive(["--db", db, "report", "summary", "--format", "json"])
        #expect(!plain.stdout.contains("range_since"))
    }
}

extension ISO8601DateFormatter {
    static var fractional: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}

/// Hunting reaches history: an indicator condition matches a finding when any of its versions
/// carried the value; the row shows the finding's latest version.
@Suite struct HistoryHuntTests {
    static func line(_ id: String, day: Int, count: Int, ip: String) -> String {
        #"{"id":"\#(id)","accountId":"111122223333","region":"eu-west-1","type":"UnauthorizedAccess:EC2/TorClient","severity":5,"updatedAt":"2025-03-0\#(day)T00:00:00.000Z","service":{"count":\#(count),"action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"\#(ip)"}}}}}"#
    }

    @Test func anIPSeenOnlyInAnOlderVersionIsFound() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let hunted = "45.137.21.9"
        // moved: carried the IP in its first version only; stays: carries it now; never: never did.
        let lines = [Self.line("moved", day: 1, count: 1, ip: hunted), Self.line("moved", day: 2, count: 3, ip: "203.0.113.7"),
                     Self.line("stays", day: 1, count: 2, ip: hunted), Self.line("never", day: 1, count: 1, ip: "203.0.113.8")]
        _ = try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", lines.joined(separator: "\n") + "\n")])
        let query = try runGDArchive(["--db", db, "query", "remote_ip = '\(hunted)'", "--fields", "id,count", "--sort", "id", "--format", "tsv"])
        #expect(query.stdout == "id\tcount\nmoved\t3\nstays\t2\n", "the latest version of each finding that ever carried it")
        let not = try runGDArchive(["--db", db, "query", "remote_ip != '\(hunted)'", "--fields", "id", "--format", "tsv"])
        #expect(not.stdout == "id\nnever\n")
        let network = try runGDArchive(["--db", db, "query", "remote_ip = '45.137.21.0/24'", "--fields", "id", "--sort", "id", "--format", "tsv"])
        #expect(network.stdout == "id\nmoved\nstays\n")
        let versions = try runGDArchive(["--db", db, "query", "--all-versions", "remote_ip = '\(hunted)'", "--fields", "id,count", "--sort", "id", "--format", "tsv"])
        #expect(versions.stdout == "id\tcount\nmoved\t1\nstays\t2\n", "with --all-versions, the versions that carry it")
        // Every command counts the same two findings.
        let summary = try runGDArchive(["--db", db, "report", "summary", "remote_ip = '\(hunted)'", "--format", "json"])
        #expect(summary.stdout.contains(#""findings":2,"versions":3,"occurrences":5"#), "\(summary.stdout)")
        let by = try runGDArchive(["--db", db, "report", "by", "type", "ioc = '\(hunted)'", "--format", "tsv"])
        #expect(by.stdout.contains("UnauthorizedAccess:EC2/TorClient\t2\t3\t5"), "\(by.stdout)")
        let page = try runGDArchive(["--db", db, "report", "html", "remote_ip = '\(hunted)'"])
        #expect(page.stdout.contains(#"<span class="value" id="total-findings">2</span>"#), "\(page.stdout.prefix(3000))")
    }
}

/// Typos are errors: a path no finding can have, or a short name no field has, is exit 64 with
/// a caret and what was meant, not 0 rows.
@Suite struct FieldTypoTests {
    @Test func unknownPathsAndNamesAreUsageErrorsWithSuggestions() throws {
        let tmp = try TemporaryDirectory()
        let db = try generatedArchive(in: tmp, seed: 11, files: 4, findingsPerFile: 10)
        let cases: [(String, String)] = [
            ("resource.instanceDetails.instanceid = 'i-1'", "did you mean 'resource.instanceDetails.instanceId'?"),
            ("nosuch.field = 'x'", "unknown field path 'nosuch.field'"),
            ("ip = '198.51.100.1'", "did you mean 'local_ip' or 'remote_ip' or 'ioc'?"),
            ("service.action.networkConnectionAction.remoteIpDetails.ipaddressV4 = '1.2.3.4'", "'service.action.networkConnectionAction.remoteIpDetails.ipAddressV4'"),
        ]
        for (filter, expected) in cases {
            for command in [["query", filter], ["report", "by", "type", filter], ["report", "timeline", filter]] {
                let result = try runGDArchive(["--db", db] + command)
                #expect(result.status == 64, "\(command): \(result.stderr)")
                #expect(result.stderr.contains(expected), "\(command): \(result.stderr)")
                #expect(result.stderr.contains("  ^~"), "a caret under the name")
            }
        }
        // Paths the model knows through lists, and members only the export carries, are fine.
        let listed = try runGDArchive(["--db", db, "query", "resource.s3BucketDetails.name like 'bucket-%'", "--fields", "id", "--format", "tsv"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.split(separator: "\n").count > 1, "\(listed.stdout)")
        let exported = try runGDArchive(["--db", db, "query", "service.additionalInfo.threatListName = 'ProofPoint'", "--fields", "id", "--format", "tsv"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.split(separator: "\n").count == 41, "every finding carries it")
    }
}

/// A time window means the same thing everywhere: versions and occurrences are those whose
/// updatedAt falls in it, findings those with a version in it. Truth is computed here, from the
/// lines written.
@Suite struct WindowTests {
    @Test func everyCommandCountsTheSameWindow() throws {
        let tmp = try TemporaryDirectory()
        let generator = FindingGenerator(seed: 77)
        var lines: [String] = []
        for n in 0..<60 {
            for v in 1...(1 + n % 4) { lines.append(generator.finding(number: n, version: v, spacing: 86_400 * 9)) }
        }
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", lines.joined(separator: "\n") + "\n")])
        // Truth: each finding's versions in order, the occurrences each adds, those in the window.
        struct Version { var id: String; var updated: String; var count: Int }
        let versions = try lines.map { line -> Version in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let service = try #require(object["service"] as? [String: Any])
            return Version(id: object["id"] as! String, updated: object["updatedAt"] as! String, count: service["count"] as! Int)
        }
        let since = "2025-05-01T00:00:00.000Z", until = "2025-09-01T00:00:00.000Z"
        var inWindow: [(id: String, occurrences: Int)] = []
        for (_, history) in Dictionary(grouping: versions, by: \.id) {
            var previous: Int?
            for v in history.sorted(by: { $0.updated < $1.updated }) {
                let added = previous.map { v.count >= $0 ? v.count - $0 : v.count } ?? v.count
                previous = v.count
                if v.updated >= since && v.updated < until { inWindow.append((v.id, added)) }
            }
        }
        let findings = Set(inWindow.map(\.id)).count, versionCount = inWindow.count, occurrences = inWindow.map(\.occurrences).reduce(0, +)
        #expect(findings > 5 && findings < 60 && versionCount > findings, "the window cuts through histories")
        let range = ["--since", "2025-05-01", "--until", "2025-09-01"]
        let summary = try JSONSerialization.jsonObject(with: Data(try runGDArchive(["--db", db, "report", "summary", "--format", "json"] + range).stdout.utf8)) as? [String: Any]
        #expect(summary?["findings"] as? Int == findings)
        #expect(summary?["versions"] as? Int == versionCount)
        #expect(summary?["occurrences"] as? Int == occurrences)
        let by = try runGDArchive(["--db", db, "report", "by", "account_id", "--format", "csv"] + range).stdout
        #expect(by.contains("111122223333,\(findings),\(versionCount),\(occurrences)"), "\(by)")
        let timeline = try runGDArchive(["--db", db, "report", "timeline", "--bucket", "month", "--format", "csv"] + range).stdout
        let buckets = timeline.split(whereSeparator: \.isNewline).dropFirst().map { $0.split(separator: ",").compactMap { Int($0) } }
        #expect(buckets.map { $0[1] }.reduce(0, +) == versionCount && buckets.map { $0[2] }.reduce(0, +) == occurrences, "\(timeline)")
        let latest = try runGDArchive(["--db", db, "query", "--fields", "id", "--format", "tsv", "--limit", "1000"] + range).stdout
        #expect(latest.split(separator: "\n").count - 1 == findings)
        let all = try runGDArchive(["--db", db, "query", "--all-versions", "--fields", "id", "--format", "tsv", "--limit", "1000"] + range).stdout
        #expect(all.split(separator: "\n").count - 1 == versionCount)
        let page = try runGDArchive(["--db", db, "report", "html"] + range).stdout
        #expect(page.contains(#"<span class="value" id="total-findings">\#(findings)</span>"#))
        #expect(page.contains(#"id="total-occurrences">\#(RowRendererGroup.thousands(occurrences))</span>"#), "\(page.prefix(2500))")
    }
}

enum RowRendererGroup {
    static func thousands(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }
}
