import Foundation
import GDArchiveIngest
import GDArchiveReport
import GDArchiveStore
import GDArchiveTestSupport
import Testing

/// The hand-counted fixture (Fixtures/reports/hand-counted.jsonl):
///
/// | finding | account / Region | resource | severity | versions: count @ updatedAt |
/// |---|---|---|---|---|
/// | a | 111… us-east-1 | Instance | 8 high | 1 @ Mon 01-06 10:00, 4 @ 01-08, 6 @ 01-15 |
/// | b | 111… us-east-1 | AccessKey | 5 medium | 3 @ Mon 01-06 03:00 (Sunday evening in New York), 1 @ 01-14 (a reset) |
/// | c | 222… eu-west-1 | Instance | 2 low | 10 @ 02-04 |
/// | d | 222… eu-west-1 | S3Bucket | 9.5 critical | 2 @ 01-09 |
/// | s | sample | Instance | 8 high | 7 @ 01-08 |
final class HandCounted {
    let tmp: TemporaryDirectory
    let archive: Archive
    /// 2025-03-01T00:00:00Z, for relative times.
    let now: Int64 = 1_740_787_200_000

    init() throws {
        tmp = try TemporaryDirectory()
        archive = try Archive.open(path: tmp.path("a.sqlite"))
        _ = try Importer(archive: archive, command: "test") { _ in }.run(inputs: [try tmp.copyFixture("reports/hand-counted.jsonl")])
    }
}

func ints(_ rows: RowSet, _ column: String) -> [Int64] {
    let i = rows.columns.firstIndex(of: column)!
    return rows.rows.map { if case .int(let v) = $0[i] { return v } else { return -1 } }
}

func texts(_ rows: RowSet, _ column: String) -> [String] {
    let i = rows.columns.firstIndex(of: column)!
    return rows.rows.map { if case .text(let v) = $0[i] { return v } else { return "?" } }
}

@Suite struct ReportTests {
    @Test func byResourceTypeCountsLatestVersions() throws {
        let h = try HandCounted()
        let report = try Reports.by("resource_type", scope: ReportScope(), on: h.archive, now: h.now)
        // Instance: a and c (a has 3 versions, latest count 6; c has 1, count 10).
        // AccessKey: b (2 versions, latest count 1). S3Bucket: d (1 version, count 2). s is a sample.
        #expect(texts(report.rows, "resource_type") == ["Instance", "AccessKey", "S3Bucket"])
        #expect(ints(report.rows, "findings") == [2, 1, 1])
        #expect(ints(report.rows, "versions") == [4, 2, 1])
        #expect(ints(report.rows, "occurrences") == [16, 1, 2])
        #expect(report.samplesLeftOut == 1)
    }

    @Test func aValueOnlySampleFindingsHaveIsNoRow() throws {
        let (tmp, a) = try archive(with: [
            finding("real", extra: #","resource":{"resourceType":"Instance"}"#),
            #"{"id":"sample","accountId":"111122223333","region":"us-east-1","type":"T","severity":5,"updatedAt":"2025-01-01T00:00:00Z","resource":{"resourceType":"Lambda"},"service":{"count":3,"additionalInfo":{"sample":true}}}"#,
        ])
        defer { withExtendedLifetime(tmp) {} }
        let left = try Reports.by("resource_type", scope: ReportScope(), on: a)
        #expect(texts(left.rows, "resource_type") == ["Instance"])
        #expect(left.samplesLeftOut == 1)
        var all = ReportScope()
        all.includeSamples = true
        let included = try Reports.by("resource_type", scope: all, on: a)
        #expect(texts(included.rows, "resource_type") == ["Instance", "Lambda"])
        #expect(ints(included.rows, "occurrences") == [1, 3])
        #expect(included.samplesLeftOut == 0)
        let timeline = try Reports.timeline(scope: ReportScope(), bucket: .day, on: a)
        #expect(ints(timeline.rows, "versions") == [1])
        #expect(timeline.samplesLeftOut == 1)
    }

    @Test func topSumsTheRestIntoOther() throws {
        let h = try HandCounted()
        let report = try Reports.by("resource_type", scope: ReportScope(), measure: .occurrences, top: 1, on: h.archive, now: h.now)
        #expect(texts(report.rows, "resource_type") == ["Instance", "(other)"])
        #expect(ints(report.rows, "findings") == [2, 2])
        #expect(ints(report.rows, "versions") == [4, 3])
        #expect(ints(report.rows, "occurrences") == [16, 3])
    }

    @Test func byAnIndicatorKindGroupsByItsValues() throws {
        let h = try HandCounted()
        let report = try Reports.by("instance_id", scope: ReportScope(filter: "account_id = '111111111111'"), on: h.archive, now: h.now)
        #expect(texts(report.rows, "instance_id") == ["i-a", "(none)"])  // b has no instance: (none) sorts last among ties
        #expect(ints(report.rows, "findings") == [1, 1])
    }

    @Test func timelineCountsEachVersionInItsWeekAndShowsEmptyWeeks() throws {
        let h = try HandCounted()
        let report = try Reports.timeline(scope: ReportScope(), bucket: .week, on: h.archive, now: h.now)
        #expect(texts(report.rows, "bucket_start") == ["2025-01-06T00:00:00Z", "2025-01-13T00:00:00Z", "2025-01-20T00:00:00Z", "2025-01-27T00:00:00Z", "2025-02-03T00:00:00Z"])
        // Week of 01-06: a v1 (+1), a v2 (+3), b v1 (+3), d (+2). Week of 01-13: a v3 (+2), b v2 (reset: +1).
        // Two empty weeks. Week of 02-03: c (+10).
        #expect(ints(report.rows, "findings") == [3, 2, 0, 0, 1])
        #expect(ints(report.rows, "versions") == [4, 2, 0, 0, 1])
        #expect(ints(report.rows, "occurrences") == [9, 3, 0, 0, 10])
        // Occurrences add up to the findings' count growth: a 6, b 3 + 1, c 10, d 2.
        #expect(ints(report.rows, "occurrences").reduce(0, +) == 22)
        #expect(report.samplesLeftOut == 1)
    }

    @Test func timelineBySeverityAndWithinARange() throws {
        let h = try HandCounted()
        var scope = ReportScope()
        scope.since = "2025-01-06"
        scope.until = "2025-01-20"
        let report = try Reports.timeline(scope: scope, bucket: .week, by: "severity_label", on: h.archive, now: h.now)
        #expect(report.rows.columns == ["bucket_start", "severity_label", "findings", "versions", "occurrences"])
        #expect(texts(report.rows, "bucket_start") == Array(repeating: "2025-01-06T00:00:00Z", count: 3) + Array(repeating: "2025-01-13T00:00:00Z", count: 3))
        #expect(texts(report.rows, "severity_label") == ["critical", "high", "medium", "critical", "high", "medium"])
        #expect(ints(report.rows, "findings") == [1, 1, 1, 0, 1, 1])
        #expect(ints(report.rows, "occurrences") == [2, 4, 3, 0, 2, 1])
    }

    @Test func timelineBucketsFollowTheTimeZone() throws {
        let h = try HandCounted()
        var scope = ReportScope(filter: "id = 'b'")
        scope.since = "2024-12-30"
        scope.until = "2025-01-20"
        let utc = try Reports.timeline(scope: scope, bucket: .week, on: h.archive, now: h.now)
        let newYork = try Reports.timeline(scope: scope, bucket: .week, timeZone: TimeZone(identifier: "America/New_York")!, on: h.archive, now: h.now)
        // b v1 is Monday 03:00 UTC, which is Sunday 22:00 in New York: the week before.
        #expect(texts(utc.rows, "bucket_start") == ["2024-12-30T00:00:00Z", "2025-01-06T00:00:00Z", "2025-01-13T00:00:00Z"])
        #expect(ints(utc.rows, "versions") == [0, 1, 1])
        // --since/--until without an offset are UTC: 2024-12-30T00:00Z is Sunday evening in New York.
        #expect(texts(newYork.rows, "bucket_start") == ["2024-12-23T00:00:00-05:00", "2024-12-30T00:00:00-05:00", "2025-01-06T00:00:00-05:00", "2025-01-13T00:00:00-05:00"])
        #expect(ints(newYork.rows, "versions") == [0, 1, 0, 1])
    }

    @Test func daylightSavingTimeMakesA23HourDay() throws {
        let zone = TimeZone(identifier: "Europe/Amsterdam")!
        // 2025-03-30 02:00 local: clocks jump to 03:00.
        let starts = try Reports.bucketStarts(from: 1_743_202_800_000, to: 1_743_375_599_000, bucket: .day, timeZone: zone)
        let lengths = zip(starts, starts.dropFirst()).map { ($1 - $0) / 3_600_000 }
        #expect(lengths == [24, 23, 24])
        #expect(Reports.formatBucket(starts[1], timeZone: zone) == "2025-03-30T00:00:00+01:00")
        #expect(Reports.formatBucket(starts[2], timeZone: zone) == "2025-03-31T00:00:00+02:00")
    }

    @Test func summaryCountsEverythingByHand() throws {
        let h = try HandCounted()
        let (_, values, bands) = try Reports.summary(scope: ReportScope(), on: h.archive, now: h.now)
        let v = Dictionary(uniqueKeysWithValues: values.map { ($0.0, $0.1) })
        #expect(v["findings"] == .int(4))
        #expect(v["versions"] == .int(7))
        #expect(v["occurrences"] == .int(19))  // latest counts: a 6 + b 1 + c 10 + d 2
        #expect([v["critical"], v["high"], v["medium"], v["low"]] == [.int(1), .int(1), .int(1), .int(1)])
        #expect(v["first_activity"] == .text("2025-01-06T02:00:00.000Z"))
        #expect(v["last_activity"] == .text("2025-02-04T08:00:00.000Z"))
        #expect(v["accounts"] == .int(2) && v["regions"] == .int(2))
        #expect(v["samples_left_out"] == .int(1))
        #expect(texts(bands, "severity_label") == ["critical", "high", "medium", "low"])
        #expect(ints(bands, "versions") == [1, 3, 2, 1])
    }

    @Test func theFilterAndSamplesChangeTheScope() throws {
        let h = try HandCounted()
        var scope = ReportScope(filter: "severity >= high")
        scope.includeSamples = true
        let report = try Reports.by("resource_type", scope: scope, on: h.archive, now: h.now)
        #expect(texts(report.rows, "resource_type") == ["Instance", "S3Bucket"])
        #expect(ints(report.rows, "findings") == [2, 1])  // a and the sample s; d
        #expect(report.samplesLeftOut == 0)
    }

    @Test func barsAreProportionalAndNeverHideANonZeroValue() {
        #expect(ReportRenderer.bar(40, of: 40, width: 40) == String(repeating: "█", count: 40))
        #expect(ReportRenderer.bar(20, of: 40, width: 40) == String(repeating: "█", count: 20))
        #expect(ReportRenderer.bar(1, of: 1000, width: 40) == "▏")
        #expect(ReportRenderer.bar(0, of: 40, width: 40) == "")
        #expect(ReportRenderer.bar(3, of: 16, width: 8) == "█▌")  // 1.5 cells
    }
}
