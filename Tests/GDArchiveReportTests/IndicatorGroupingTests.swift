import Foundation
import GDArchiveModel
@testable import GDArchiveReport
import GDArchiveQuery
import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

/// `report by` and `report timeline --by` an indicator kind (or `ioc`), which read every
/// indicator of a version and keep the kinds asked for in Swift, against GROUP BY over the
/// `indicators` view, on random archives: versions with no indicator, one, or several values of
/// a kind, values shared between findings, samples, versions without a count.
@Suite struct IndicatorGroupingTests {
    static let pools: [(kind: String, values: [String])] = [
        ("remote_ip", ["198.51.100.1", "198.51.100.2", "203.0.113.9"]),
        ("domain", ["a.example", "b.example"]),
        ("local_port", ["22", "443"]),  // an attribute, not an IOC
    ]

    static func randomArchive(in tmp: TemporaryDirectory, number: Int) throws -> Archive {
        try GDArchiveReportTests.randomArchive(in: tmp, number: number, versions: 300) { n, generator in
            let finding = Int.random(in: 0..<50, using: &generator)
            var record = VersionRecord(id: "f\(finding)", accountId: "1", region: "r", body: #"{"id":"f\#(finding)","n":\#(n)}"#)
            let day = Int.random(in: 1...31, using: &generator), hour = Int.random(in: 0...23, using: &generator)
            record.updatedAt = String(format: "2025-01-%02dT%02d:00:00.000Z", day, hour)
            record.count = Int.random(in: 0..<8, using: &generator) == 0 ? nil : Int64.random(in: 1...40, using: &generator)
            record.sample = finding % 9 == 0
            var indicators = Set<Indicator>()
            for pool in Self.pools {
                for _ in 0..<Int.random(in: 0...2, using: &generator) {
                    indicators.insert(Indicator(kind: pool.kind, value: pool.values.randomElement(using: &generator)!))
                }
            }
            record.indicators = indicators.sorted()
            return record
        }
    }

    /// The labels of the grouped field, as a subquery over the `indicators` view.
    static func labels(_ field: String) -> String {
        field == "ioc"
            ? "SELECT version_id, kind || ':' || value AS label FROM indicators WHERE kind IN (\(FieldCatalog.iocKinds.map { "'\($0)'" }.joined(separator: ", ")))"
            : "SELECT version_id, value AS label FROM indicators WHERE kind = '\(field)'"
    }

    struct Counts: Equatable, CustomStringConvertible {
        var findings: Int64, versions: Int64, occurrences: Int64
        var description: String { "\(findings)/\(versions)/\(occurrences)" }
    }

    /// The reference counts: rows `g`, `findings`, `versions`, `occurrences` of `sql`.
    static func reference(_ sql: String, in archive: Archive) throws -> [String: Counts] {
        var counts: [String: Counts] = [:]
        for row in try archive.database.read({ try Row.fetchAll($0, sql: sql) }) {
            counts[row["g"]] = Counts(findings: row["findings"], versions: row["versions"], occurrences: Int64(row["occurrences"] as Double))
        }
        return counts
    }

    @Test(arguments: ["remote_ip", "domain", "local_port", "ioc"])
    func reportByCountsLikeGroupByOverTheView(field: String) throws {
        let tmp = try TemporaryDirectory()
        for number in 0..<3 {
            let archive = try Self.randomArchive(in: tmp, number: number)
            let report = try Reports.by(field, scope: ReportScope(), on: archive)
            var got: [String: Counts] = [:]
            for (label, (findings, (versions, occurrences))) in zip(texts(report.rows, field), zip(ints(report.rows, "findings"), zip(ints(report.rows, "versions"), ints(report.rows, "occurrences")))) {
                got[label] = Counts(findings: findings, versions: versions, occurrences: occurrences)
            }
            let reference = try Self.reference("""
                SELECT coalesce(i.label, '(none)') AS g, count(*) AS findings, sum(f.version_count) AS versions, total(f.count) AS occurrences
                FROM latest_findings f LEFT JOIN (\(Self.labels(field))) i ON i.version_id = f.version_id
                WHERE f.sample = 0 GROUP BY g
                """, in: archive)
            #expect(got == reference, "archive \(number)")
            #expect(got.count > 1)
            // Largest first.
            #expect(ints(report.rows, "findings") == ints(report.rows, "findings").sorted(by: >))
        }
    }

    @Test(arguments: ["remote_ip", "ioc"])
    func timelineByCountsLikeGroupByOverTheView(field: String) throws {
        let tmp = try TemporaryDirectory()
        for number in 0..<3 {
            let archive = try Self.randomArchive(in: tmp, number: number)
            var scope = ReportScope()
            scope.since = "2025-01-01"
            scope.until = "2025-02-01"
            let report = try Reports.timeline(scope: scope, bucket: .day, by: field, on: archive)
            var got: [String: Counts] = [:]
            let days = texts(report.rows, "bucket_start"), labels = texts(report.rows, field)
            let findings = ints(report.rows, "findings"), versions = ints(report.rows, "versions"), occurrences = ints(report.rows, "occurrences")
            for i in days.indices where versions[i] > 0 {
                got["\(days[i].prefix(10)) \(labels[i])"] = Counts(findings: findings[i], versions: versions[i], occurrences: occurrences[i])
            }
            let reference = try Self.reference("""
                SELECT substr(f.updated_at, 1, 10) || ' ' || coalesce(i.label, '(none)') AS g, count(DISTINCT f.finding_key) AS findings,
                       count(*) AS versions, total(f.occurrences) AS occurrences
                FROM finding_versions f LEFT JOIN (\(Self.labels(field))) i ON i.version_id = f.version_id
                WHERE f.sample = 0 GROUP BY g
                """, in: archive)
            #expect(got == reference, "archive \(number)")
            #expect(report.samplesLeftOut > 0)
        }
    }
}

/// `report timeline --by … --top N`: the N groups with the most over the range, the rest merged.
@Suite struct TimelineTopTests {
    @Test(arguments: [("remote_ip", Measure.findings), ("ioc", .versions), ("domain", .occurrences)])
    func theLargestGroupsStayAndTheRestIsMergedCountingEachFindingOnce(field: String, measure: Measure) throws {
        let tmp = try TemporaryDirectory()
        for number in 0..<3 {
            let archive = try IndicatorGroupingTests.randomArchive(in: tmp, number: number)
            var scope = ReportScope()
            scope.since = "2025-01-01"
            scope.until = "2025-02-01"
            let full = try Reports.timeline(scope: scope, bucket: .week, by: field, measure: measure, on: archive)
            let top = try Reports.timeline(scope: scope, bucket: .week, by: field, top: 2, measure: measure, on: archive)
            // The two groups with the largest totals over the range (then by name), as GROUP BY ranks them.
            let column = ["findings": "count(DISTINCT f.finding_key)", "versions": "count(*)", "occurrences": "total(f.occurrences)"][measure.rawValue]!
            let labels = IndicatorGroupingTests.labels(field)
            let kept = try archive.database.read { db in
                try String.fetchAll(db, sql: """
                    SELECT coalesce(i.label, '(none)') AS g FROM finding_versions f LEFT JOIN (\(labels)) i ON i.version_id = f.version_id
                    WHERE f.sample = 0 GROUP BY g ORDER BY \(column) DESC, g LIMIT 2
                    """)
            }
            let groups = texts(top.rows, field)
            #expect(Array(groups.prefix(3)) == kept + ["(other)"], "archive \(number)")
            // Each kept group's rows are those of the full timeline.
            func rows(_ report: ReportOutput, _ group: String) -> [[Cell]] { report.rows.rows.filter { $0[1] == .text(group) } }
            for group in kept { #expect(rows(top, group) == rows(full, group)) }
            // (other): per week, the versions and occurrences of the other groups, and their
            // findings each counted once.
            let other = try IndicatorGroupingTests.reference("""
                SELECT strftime('%Y-%m-%d', f.updated_at, '-6 days', 'weekday 1') AS g, count(DISTINCT f.finding_key) AS findings,
                       count(*) AS versions, total(f.occurrences) AS occurrences
                FROM finding_versions f LEFT JOIN (\(labels)) i ON i.version_id = f.version_id
                WHERE f.sample = 0 AND coalesce(i.label, '(none)') NOT IN ('\(kept[0])', '\(kept[1])') GROUP BY g
                """, in: archive)
            var got: [String: IndicatorGroupingTests.Counts] = [:]
            for row in rows(top, "(other)") {
                guard case .text(let start) = row[0], case .int(let f) = row[2], case .int(let v) = row[3], case .int(let o) = row[4], v > 0 else { continue }
                got[String(start.prefix(10))] = .init(findings: f, versions: v, occurrences: o)
            }
            #expect(got == other, "archive \(number)")
            #expect(top.header.contains { $0.hasPrefix("the 2 \(field) values with the most \(measure.rawValue)") })
        }
    }
}

/// `report by`'s order and `--top`, picked in one pass for small tops, against a full sort.
@Suite struct ReportOrderTests {
    @Test func theFirstGroupsAndTheRestAreThoseOfAFullSort() {
        var generator = SeededGenerator(seed: 1004)
        for count in [0, 1, 7, 300, 2_500] {
            // Few distinct measures, so most groups tie and are ordered by value (distinct, as
            // groups are); one without.
            var rows = (0..<count).map { i in
                Reports.GroupRow(value: i == 3 ? nil : "v\(i)",
                                 findings: Int64.random(in: 1...4, using: &generator), versions: Int64.random(in: 1...9, using: &generator),
                                 occurrences: Int64.random(in: 0...50, using: &generator))
            }
            rows.shuffle(using: &generator)
            for measure in Measure.allCases {
                let full = Reports.ordered(rows, by: measure, top: nil)
                #expect(zip(full, full.dropFirst()).allSatisfy { $0.measure(measure) >= $1.measure(measure) })
                // With --top, the group without a value never takes a slot: the first `top`
                // valued groups of the full order, then "(none)", then "(other)".
                let valued = full.filter { $0.value != nil }
                let none = full.filter { $0.value == nil }
                for top in [0, 1, 5, 1_000, 1_001, count - 1, count, count + 3] where top >= 0 {
                    let got = Reports.ordered(rows, by: measure, top: top)
                    guard valued.count > top else {
                        #expect(got.map(\.value) == (valued + none).map(\.value))
                        continue
                    }
                    #expect(got.dropLast().map(\.value) == (valued.prefix(top) + none).map(\.value), "count \(count), top \(top)")
                    #expect(got.dropLast().map { $0.measure(measure) } == (valued.prefix(top) + none).map { $0.measure(measure) })
                    let rest = valued.dropFirst(top)
                    #expect(got.last?.value == "(other)")
                    #expect(got.last?.findings == rest.reduce(0) { $0 + $1.findings })
                    #expect(got.last?.versions == rest.reduce(0) { $0 + $1.versions })
                    #expect(got.last?.occurrences == rest.reduce(0) { $0 + $1.occurrences })
                }
            }
        }
    }
}
