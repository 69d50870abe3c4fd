import Foundation
import GDArchiveModel
@testable import GDArchiveReport
import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

/// The pieces a timeline counts with, against the obvious slow versions.
@Suite struct TimelineCountingTests {
    @Test func distinctIntegersCountsLikeASet() {
        var generator = SeededGenerator(seed: 1002)
        for size in [0, 1, 11, 12, 13, 1_000, 50_000] {
            var distinct = DistinctIntegers()
            var reference = Set<Int64>()
            for _ in 0..<size {
                // Few values, so many repeat; the extremes (Int64.min marks an empty slot) included.
                let value: Int64 = switch Int.random(in: 0..<10, using: &generator) {
                case 0: .min
                case 1: .max
                default: Int64.random(in: -(Int64(size) / 2)...(Int64(size) / 2), using: &generator) &* 0x1_0000_0001
                }
                distinct.insert(value)
                reference.insert(value)
            }
            #expect(distinct.count == reference.count, "size \(size)")
        }
    }

    @Test func bucketFinderAgreesWithABinarySearchOverStrings() {
        let boundaries = ["2025-01-06T00:00:00.000Z", "2025-01-13T00:00:00.000Z", "2025-01-20T00:00:00.000Z", "2025-01-27T00:00:00.000Z"]
        func reference(_ t: String) -> Int? {
            guard t >= boundaries[0], t < boundaries[boundaries.count - 1] else { return nil }
            return boundaries.indices.dropLast().last { boundaries[$0] <= t }
        }
        var times = ["2025-01-06T00:00:00.000Z", "2025-01-12T23:59:59.999Z", "2025-01-13T00:00:00.000Z", "2025-01-26T23:59:59.999Z",
                     "2025-01-27T00:00:00.000Z", "2025-01-05T23:59:59.999Z", "2030-01-01T00:00:00.000Z",
                     // Other lengths take the byte-wise path: a prefix sorts first.
                     "2025-01-13", "2025-01-13T00:00:00.000Z0", "2025-01-20T00:00:00Z", "", "2025-01-06T00:00:00.000"]
        var generator = SeededGenerator(seed: 1003)
        for _ in 0..<500 {
            let day = Int.random(in: 1...31, using: &generator), hour = Int.random(in: 0...23, using: &generator)
            times.append(String(format: "2025-01-%02dT%02d:00:00.000Z", day, hour))
        }
        // In order (the hint's case) and shuffled.
        for order in [times, times.sorted(), times.shuffled(using: &generator)] {
            var finder = BucketFinder(boundaries: boundaries)
            for t in order {
                let found = Array(t.utf8).withUnsafeBufferPointer { finder.bucket(of: $0) }
                #expect(found == reference(t), "\(t)")
            }
        }
    }
}

/// The C aggregate that counts a timeline without `by`, against the Swift counting of `by`
/// timelines, on random archives.
@Suite struct TimelineAggregateTests {
    static func randomArchive(in tmp: TemporaryDirectory, number: Int) throws -> Archive {
        try GDArchiveReportTests.randomArchive(in: tmp, number: number, versions: 400) { n, generator in
            let finding = Int.random(in: 0..<60, using: &generator)
            var record = VersionRecord(id: "f\(finding)", accountId: "1", region: "r", body: #"{"id":"f\#(finding)","n":\#(n)}"#)
            // Mostly within January 2025, some outside it, a few without a time.
            let day = Int.random(in: -3...34, using: &generator)
            let time = Calendar(identifier: .gregorian).date(byAdding: .hour, value: day * 24 + Int.random(in: 0...23, using: &generator),
                                                             to: Date(timeIntervalSince1970: 1_735_689_600))!
            record.updatedAt = Int.random(in: 0..<20, using: &generator) == 0 ? nil : Timestamp.format(epochMilliseconds: Int64(time.timeIntervalSince1970 * 1000))
            record.count = Int.random(in: 0..<10, using: &generator) == 0 ? nil : Int64.random(in: 1...50, using: &generator)
            record.sample = finding % 7 == 0
            return record
        }
    }

    @Test(arguments: [Bucket.day, .week, .hour])
    func theAggregateCountsLikeTheSwiftCounting(bucket: Bucket) throws {
        let tmp = try TemporaryDirectory()
        for number in 0..<3 {
            let archive = try Self.randomArchive(in: tmp, number: number)
            for (includeSamples, filter) in [(false, nil), (true, nil), (false, "count >= 10"), (false, "sample = true")] as [(Bool, String?)] {
                var scope = ReportScope(filter: filter)
                scope.includeSamples = includeSamples
                scope.since = "2025-01-01"
                scope.until = "2025-02-01"
                let inSQL = try Reports.timeline(scope: scope, bucket: bucket, by: nil, timeZone: TimeZone(identifier: "UTC")!, measure: .findings,
                                                 on: archive, now: 0, countInSQL: true)
                let inSwift = try Reports.timeline(scope: scope, bucket: bucket, by: nil, timeZone: TimeZone(identifier: "UTC")!, measure: .findings,
                                                   on: archive, now: 0, countInSQL: false)
                #expect(inSQL.rows == inSwift.rows, "archive \(number), samples \(includeSamples), filter \(filter ?? "none")")
                #expect(inSQL.samplesLeftOut == inSwift.samplesLeftOut)
                #expect(!inSQL.rows.rows.isEmpty)
                // The versions outside the range are few here: the scan leaves the bounds out and
                // the counting skips them. With every bound in the scan, the same counts.
                for countInSQL in [true, false] {
                    let bounded = try Reports.timeline(scope: scope, bucket: bucket, by: nil, timeZone: TimeZone(identifier: "UTC")!, measure: .findings,
                                                       on: archive, now: 0, countInSQL: countInSQL, versionsWorthABound: 1)
                    #expect(bounded.rows == inSQL.rows && bounded.samplesLeftOut == inSQL.samplesLeftOut, "in SQL: \(countInSQL)")
                }
            }
        }
    }

    @Test func aRangeAroundAllTheDataCountsEveryVersionOnce() throws {
        // When every updated_at lies inside --since/--until, the scan leaves the range out;
        // the buckets still hold each version once, samples apart.
        let tmp = try TemporaryDirectory()
        let archive = try Self.randomArchive(in: tmp, number: 9)
        let (versions, samples) = try archive.database.read { db in
            // Sample findings (their latest version a sample) are left out with every version.
            (try Int64.fetchOne(db, sql: """
                SELECT count(*) FROM versions v JOIN findings f USING (finding_key) WHERE v.updated_at IS NOT NULL AND f.sample = 0
                """)!,
             try Int64.fetchOne(db, sql: """
                SELECT count(DISTINCT v.finding_key) FROM versions v JOIN findings f USING (finding_key) WHERE v.updated_at IS NOT NULL AND f.sample = 1
                """)!)
        }
        for (since, until) in [("2024-12-01", "2025-03-01"), ("2024-12-29", "2025-02-05")] {
            var scope = ReportScope()
            scope.since = since
            scope.until = until
            for countInSQL in [true, false] {
                let report = try Reports.timeline(scope: scope, bucket: .day, by: nil, timeZone: TimeZone(identifier: "UTC")!, measure: .findings,
                                                  on: archive, now: 0, countInSQL: countInSQL)
                let column = report.rows.columns.firstIndex(of: "versions")!
                let total = report.rows.rows.reduce(Int64(0)) { sum, row in
                    if case .int(let n) = row[column] { return sum + n }
                    return sum
                }
                #expect(total == versions, "\(since)..\(until), in SQL: \(countInSQL)")
                #expect(Int64(report.samplesLeftOut) == samples)
            }
        }
    }

    @Test func theAggregateSaysWhatIsWrongWithItsBoundaries() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        try archive.database.read { db in
            try Reports.registerTimelineAggregate(db)
            // No row: NULL.
            #expect(try Data.fetchOne(db, sql: "SELECT gdarchive_timeline(updated_at, finding_key, occurrences, sample, 'a,b', 1) FROM versions") == nil)
            // One boundary is no bucket.
            #expect(throws: DatabaseError.self) {
                try Data.fetchOne(db, sql: "SELECT gdarchive_timeline('2025', 1, 1, 0, '2025-01-01', 0)")
            }
            // Two rows in one bucket, one outside: 4 int64 for the bucket.
            let blob = try Data.fetchOne(db, sql: """
                SELECT gdarchive_timeline(t, k, o, s, '2025-01-01,2025-02-01', 1)
                FROM (SELECT '2025-01-05' AS t, 1 AS k, 3 AS o, 0 AS s UNION ALL SELECT '2025-01-06', 1, NULL, 0
                      UNION ALL SELECT '2025-01-07', 2, 5, 1 UNION ALL SELECT '2025-03-01', 3, 9, 0)
                """)
            let values = blob.map { data in data.withUnsafeBytes { raw in (0..<raw.count / 8).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) } } }
            #expect(values == [1, 2, 3, 1])
        }
    }
}
