import Foundation
import GDArchiveTestSupport
import Testing

/// The change feed (`import --emit-changes`, `gdarchive changes`) of a staged history, with the
/// expected feed written out by hand.
@Suite struct ChangeFeedTests {
    /// One finding version as the S3 export writes it.
    static func finding(_ id: String, severity: Double, updated: String, count: Int, archived: Bool = false,
                        remoteIP: String? = nil, localIP: String? = nil, sample: Bool = false) -> String {
        var action = ""
        if remoteIP != nil || localIP != nil {
            let parts = [localIP.map { #""localIpDetails":{"ipAddressV4":"\#($0)"}"# }, remoteIP.map { #""remoteIpDetails":{"ipAddressV4":"\#($0)"}"# }]
            action = #","action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{\#(parts.compactMap { $0 }.joined(separator: ","))}}"#
        }
        let info = sample ? #","additionalInfo":{"sample":true}"# : ""
        return #"{"id":"\#(id)","accountId":"111122223333","region":"us-east-1","type":"Recon:EC2/PortProbeUnprotectedPort","title":"finding \#(id)","severity":\#(severity),"updatedAt":"\#(updated)","service":{"count":\#(count),"archived":\#(archived)\#(action)\#(info)}}"#
    }

    /// `kind id import` and the kind's own fields, from `--format csv` rows.
    static func summarize(_ csv: String) -> [String] {
        let lines = csv.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else { return [] }
        return lines.dropFirst().map { line in
            let cells = Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
            var text = "\(cells["kind"]!) \(cells["id"]!) \(cells["import"]!)"
            switch cells["kind"]! {
            case "recurred": text += " \(cells["previous_count"]!)->\(cells["count"]!) +\(cells["count_increase"]!)"
            case "escalated", "deescalated": text += " \(cells["previous_severity"]!)->\(cells["severity"]!) \(cells["previous_severity_label"]!)->\(cells["severity_label"]!)"
            case "new_indicator": text += " \(cells["indicator_kind"]!)=\(cells["value"]!)"
            default: break
            }
            return text
        }
    }

    @Test func aStagedHistoryGivesTheFeedWrittenOutByHand() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let f = Self.finding
        let nights: [(name: String, lines: [String], stdin: Bool)] = [
            // 1: two new findings, three values never seen (one carried by both).
            ("n1.jsonl", [f("a", 5, "2025-01-01T00:00:00.000Z", 1, false, "198.51.100.1", nil, false),
                          f("b", 2, "2025-01-01T00:00:00.000Z", 1, false, "198.51.100.1", "10.0.0.1", false)], false),
            // 2: a recurred and escalated; b delivered again (nothing); a sample finding (left out).
            ("n2.jsonl", [f("a", 8, "2025-01-02T00:00:00.000Z", 3, false, "198.51.100.1", nil, false),
                          f("b", 2, "2025-01-01T00:00:00.000Z", 1, false, "198.51.100.1", "10.0.0.1", false),
                          f("s", 5, "2025-01-02T00:00:00.000Z", 1, false, nil, nil, true)], false),
            // 3, on standard input as EventBridge events: b archived; a's version of night 2 again.
            ("-", [#"{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":\#(f("b", 2, "2025-01-03T00:00:00.000Z", 1, true, "198.51.100.1", "10.0.0.1", false))}"#,
                   #"{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":\#(f("a", 8, "2025-01-02T00:00:00.000Z", 3, false, "198.51.100.1", nil, false))}"#], true),
            // 4: a late older version of a (history only); b unarchived, recurred and de-escalated
            // (a seen IP and a new one); c new with a seen IP.
            ("n4.jsonl", [f("a", 5, "2025-01-01T12:00:00.000Z", 2, false, "198.51.100.1", nil, false),
                          f("b", 1, "2025-01-04T00:00:00.000Z", 4, false, "198.51.100.9", "10.0.0.1", false),
                          f("c", 7, "2025-01-04T00:00:00.000Z", 1, false, "198.51.100.1", nil, false)], false),
        ]
        var emitted = ""
        for (name, lines, stdin) in nights {
            let text = lines.joined(separator: "\n") + "\n"
            let input = stdin ? "-" : try tmp.write(name, text)
            let result = try runGDArchive(["--db", db, "import", "--emit-changes", input], stdin: stdin ? Array(text.utf8) : nil)
            #expect(result.status == 0, "\(result.stderr)")
            emitted += result.stdout
            // Importing the same again changes nothing, and says nothing.
            if !stdin {
                let again = try runGDArchive(["--db", db, "import", "--emit-changes", "--rescan", input])
                #expect(again.status == 0 && again.stdout.isEmpty, "\(again.stdout)")
            }
        }
        let expected = [
            "new a 1", "new_indicator a 1 remote_ip=198.51.100.1",
            "new b 1", "new_indicator b 1 local_ip=10.0.0.1",
            "recurred a 3 1->3 +2", "escalated a 3 5->8 medium->high",
            "archived b 5",
            "recurred b 6 1->4 +3", "deescalated b 6 2->1 low->low", "unarchived b 6", "new_indicator b 6 remote_ip=198.51.100.9",
            "new c 6",
        ]
        // Runs: night 1 is 1 (its rescan 2), night 2 is 3 (4), night 3 on stdin 5, night 4 is 6 (7).
        let all = try runGDArchive(["--db", db, "changes", "--since", "2000-01-01", "--format", "csv"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(Self.summarize(all.stdout) == expected, "\(all.stdout)")
        // `changes` is the union of what each import printed.
        let lines = try runGDArchive(["--db", db, "changes", "--since", "2000-01-01", "--format", "jsonl"]).stdout
        #expect(lines == emitted)
        #expect(emitted.split(separator: "\n").allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) is [String: Any] })
        // One import by number, a filter, the sample finding on request, the last import.
        #expect(Self.summarize(try runGDArchive(["--db", db, "changes", "--import", "3", "--format", "csv"]).stdout)
            == ["recurred a 3 1->3 +2", "escalated a 3 5->8 medium->high"])
        #expect(Self.summarize(try runGDArchive(["--db", db, "changes", "--since", "2000-01-01", "severity >= high", "--format", "csv"]).stdout)
            == ["recurred a 3 1->3 +2", "escalated a 3 5->8 medium->high", "new c 6"])
        #expect(Self.summarize(try runGDArchive(["--db", db, "changes", "--import", "3", "--include-samples", "--format", "csv"]).stdout)
            == ["recurred a 3 1->3 +2", "escalated a 3 5->8 medium->high", "new s 3"])
        #expect(Self.summarize(try runGDArchive(["--db", db, "changes", "--format", "csv"]).stdout).isEmpty, "the last import (a rescan) changed nothing")
        #expect(try runGDArchive(["--db", db, "changes", "--import", "2", "--last"]).status == 64)
        // status names the last run, the number --import takes.
        let status = try #require(try JSONSerialization.jsonObject(with: Data(runGDArchive(["--db", db, "status", "--format", "json"]).stdout.utf8)) as? [String: Any])
        #expect(status["last_import_run"] as? Int == 7)
        #expect(try runGDArchive(["--db", db, "check"]).status == 0)
    }
}
