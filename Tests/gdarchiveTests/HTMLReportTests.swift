import Foundation
import GDArchiveTestSupport
import Testing

@Suite struct HTMLReportTests {
    func embeddedData(_ html: String) throws -> [String: Any] {
        let start = try #require(html.range(of: #"<script type="application/json" id="gdarchive-data">"#))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let json = String(html[start.upperBound..<end.lowerBound])
        #expect(!json.contains("<") && !json.contains(">"))
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    func json(_ result: CommandResult) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    @Test func theNumbersInThePageAreThoseOfTheReports() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.copyFixture("reports/hand-counted.jsonl")]).status == 0)
        let page = tmp.path("report.html")
        let result = try runGDArchive(["--db", db, "report", "html", "--bucket", "week", "-o", page])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: page)[.posixPermissions] as? Int == 0o600)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let data = try embeddedData(html)
        // (archive_bytes moves as SQLite checkpoints its WAL between two runs.)
        var summary = try #require(try json(runGDArchive(["--db", db, "report", "summary", "--format", "json"])) as? [String: Any])
        var embedded = try #require(data["summary"] as? [String: Any])
        summary.removeValue(forKey: "archive_bytes")
        embedded.removeValue(forKey: "archive_bytes")
        #expect(NSDictionary(dictionary: embedded) == NSDictionary(dictionary: summary))
        let timeline = try #require(try json(runGDArchive(["--db", db, "report", "timeline", "--bucket", "week", "--format", "json"])) as? NSArray)
        #expect((data["timeline"] as? NSArray) == timeline)
        let bySeverity = try #require(try json(runGDArchive(["--db", db, "report", "timeline", "--bucket", "week", "--by", "severity_label", "--format", "json"])) as? NSArray)
        #expect((data["timeline_by_severity"] as? NSArray) == bySeverity)
        let groups = try #require(data["by"] as? [String: Any])
        for field in ["type", "resource_type", "account_id", "region", "remote_ip", "domain"] {
            let expected = try #require(try json(runGDArchive(["--db", db, "report", "by", field, "--top", "10", "--format", "json"])) as? NSArray)
            #expect((groups[field] as? NSArray) == expected, "\(field)")
        }
        // The visible totals are the same numbers (worked out by hand in ReportTests).
        #expect(html.contains(#"<span class="value" id="total-findings">4</span>"#))
        #expect(html.contains(#"<span class="value" id="total-versions">7</span>"#))
        #expect(html.contains(#"<span class="value" id="total-occurrences">19</span>"#))
        #expect(html.contains("1 GuardDuty sample finding was left out."))
        // Every finding is listed with its history; empty weeks are drawn.
        #expect(html.components(separatedBy: "<tbody>").count - 1 == 4)
        #expect(html.contains("<summary>3 versions</summary>"))
        #expect(html.contains("2025-01-20T00:00:00Z: none"))
        // Self-contained: no external resources at all.
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<link") && !html.contains(" src="))
    }

    @Test func aPageIsOneSnapshotAndAPathOnlyTheExportHasStillWorks() throws {
        // The page reads in one snapshot; checking a path the API model does not know reads
        // the archive's recent bodies inside it (a nested read would trap).
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        var finding = try #require(try JSONSerialization.jsonObject(with: Data(FindingGenerator(seed: 3).finding(number: 1, version: 1).utf8)) as? [String: Any])
        var service = try #require(finding["service"] as? [String: Any])
        service["exportOnlyMember"] = "x"  // a member GuardDuty's API model does not have
        finding["service"] = service
        let line = String(decoding: try JSONSerialization.data(withJSONObject: finding), as: UTF8.self)
        #expect(try runGDArchive(["--db", db, "import", try tmp.write("x.jsonl", line + "\n")]).status == 0)
        let page = try runGDArchive(["--db", db, "report", "html", "service.exportOnlyMember = 'x'"])
        #expect(page.status == 0, "\(page.stderr)")
        #expect(page.stdout.contains("<html") && page.stdout.contains(#"id="total-findings">1</span>"#))
        let typo = try runGDArchive(["--db", db, "report", "html", "resource.instanceDetails.instanceid = 'x'"])
        #expect(typo.status == 64, "\(typo.stderr)")
    }

    @Test func hostileTextIsEscaped() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let title = #"<script>alert(1)</script>\"><img src=x onerror=alert(2)>"#
        let line = #"{"id":"x</script><script>alert(3)</script>","accountId":"1","region":"r","type":"\#(title)","title":"\#(title)","severity":8,"updatedAt":"2025-01-01T00:00:00Z","service":{"count":1}}"#
        _ = try runGDArchive(["--db", db, "import", try tmp.write("evil.jsonl", line + "\n")])
        let html = try runGDArchive(["--db", db, "report", "html"]).stdout
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.components(separatedBy: "<script").count - 1 == 2)  // the data and the sorter, nothing else
        #expect(html.components(separatedBy: "</script>").count - 1 == 2)
        // The embedded data still holds the exact text.
        let data = try embeddedData(html)
        let types = try #require((data["by"] as? [String: Any])?["type"] as? [[String: Any]])
        #expect(types.first?["type"] as? String == #"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#)
    }

    static func chromium() -> String? {
        for name in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] where FileManager.default.isExecutableFile(atPath: name) {
            return name
        }
        return nil
    }

    func runChromium(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["90", Self.chromium()!, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,1500"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(.enabled(if: HTMLReportTests.chromium() != nil,
                   "Chromium is not installed (.ci/run installs Debian's chromium package; it could not be installed here)"))
    func thePageRendersInAHeadlessBrowserWithoutScriptErrors() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        _ = try runGDArchive(["--db", db, "import", "--quiet", try tmp.copyFixture(".", as: "Fixtures")])
        let page = tmp.path("report.html")
        #expect(try runGDArchive(["--db", db, "report", "html", "--since", "2025-01-01", "--until", "2025-02-10", "--bucket", "day", "-o", page]).status == 0)
        let dom = try runChromium(["--dump-dom", "file://" + page])
        let errors = try #require(dom.firstMatch(of: /data-script-errors="(\d+)"/)?.output.1)
        #expect(errors == "0")
        let sizes = try #require(dom.firstMatch(of: /data-chart-sizes="([^"]*)"/)?.output.1).split(separator: " ")
        #expect(sizes.count == 7)  // the timeline and six top lists
        for size in sizes {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            #expect(parts.count == 2 && parts[0] > 0 && parts[1] > 0, "chart size \(size)")
        }
        let shot = tmp.path("shot.png")
        _ = try runChromium(["--screenshot=" + shot, "file://" + page])
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.count > 20_000)
    }
}
