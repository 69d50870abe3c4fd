import Foundation
import GDArchiveBasics
import GDArchiveQuery
import GDArchiveStore
import GRDB

/// The width of a timeline's buckets.
public enum Bucket: String, CaseIterable, Sendable {
    case hour, day, week, month

    var component: Calendar.Component {
        switch self {
        case .hour: return .hour
        case .day: return .day
        case .week: return .weekOfYear
        case .month: return .month
        }
    }
}

/// Why a timeline cannot be drawn.
public struct TimelineError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

extension Reports {
    /// The most buckets one timeline draws.
    public static let maximumBuckets = 10_000

    /// The start of every bucket that overlaps `[from, to]` (milliseconds), in `timeZone`
    /// (weeks start on Monday), plus the end of the last one.
    public static func bucketStarts(from: Int64, to: Int64, bucket: Bucket, timeZone: TimeZone) throws -> [Int64] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        let first = Date(timeIntervalSince1970: Double(from) / 1000)
        guard var start = calendar.dateInterval(of: bucket.component, for: first)?.start else {
            throw TimelineError(description: "cannot compute \(bucket.rawValue) buckets in \(timeZone.identifier)")
        }
        var starts: [Int64] = []
        let end = Date(timeIntervalSince1970: Double(to) / 1000)
        while start <= end {
            starts.append(Int64((start.timeIntervalSince1970 * 1000).rounded()))
            guard starts.count <= maximumBuckets, let next = calendar.date(byAdding: bucket.component, value: 1, to: start) else {
                throw TimelineError(description: "more than \(maximumBuckets) \(bucket.rawValue) buckets; choose a larger --bucket or a shorter --since/--until")
            }
            start = next
        }
        starts.append(Int64((start.timeIntervalSince1970 * 1000).rounded()))
        return starts
    }

    /// A bucket start as printed: UTC as `…Z`, other zones with their offset at that instant.
    public static func formatBucket(_ ms: Int64, timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(ms) / 1000))
        let local = Timestamp.format(epochMilliseconds: ms + Int64(offset) * 1000)  // YYYY-MM-DDTHH:MM:SS.sssZ
        let base = String(local.prefix(19))
        if offset == 0 && (timeZone.identifier == "UTC" || timeZone.identifier == "GMT") { return base + "Z" }
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        return base + sign + String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    /// `report timeline`: for each bucket of the time field, the findings with a version in it,
    /// the versions, and the occurrences (count growth) those versions brought. Every bucket in
    /// range appears, empty ones with zeros. With `by`, one row per bucket and value.
    public static func timeline(scope: ReportScope, bucket: Bucket, by: String? = nil, timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                                measure: Measure = .findings, on archive: Archive, now: Int64 = Timestamp.nowMilliseconds()) throws -> ReportOutput {
        let c = try conditions(scope, now: now)
        let time = "f." + quoteIdentifier(scope.timeField.fieldName)
        let samplesClause = c.excludeSamples ? " AND f.sample = 0" : ""
        let group = try by.map(groupExpression)
        // The range: --since/--until, else the data's own.
        func bound(_ text: String?, option: String) throws -> Int64? {
            guard let text else { return nil }
            guard let ms = FilterCompiler.time(text, now: now) else {
                throw TimelineError(description: "\(option) \(text) is not a timestamp or relative time (-7d, -24h, …)")
            }
            return ms
        }
        var from = try bound(scope.since, option: "--since")
        var to = try bound(scope.until, option: "--until").map { $0 - 1 }
        if from == nil || to == nil {
            let range = try archive.database.read { db in
                try Row.fetchOne(db, sql: "SELECT min(\(time)) AS lo, max(\(time)) AS hi FROM finding_versions f WHERE (\(c.sql))\(samplesClause)",
                                 arguments: StatementArguments(c.bindings))
            }
            let lo: String? = range?["lo"], hi: String? = range?["hi"]
            from = from ?? lo.flatMap(Timestamp.parse)
            to = to ?? hi.flatMap(Timestamp.parse)
        }
        var starts: [Int64] = []
        if let from, let to, from <= to {
            starts = try bucketStarts(from: from, to: to, bucket: bucket, timeZone: timeZone)
        }
        let boundaries = starts.map { Timestamp.format(epochMilliseconds: $0) }
        // Each version's bucket, by binary search over the boundaries (correct in any zone).
        let bucketFunction = DatabaseFunction("gdarchive_bucket", argumentCount: 1, pure: true) { values in
            guard let t = String.fromDatabaseValue(values[0]), let firstBoundary = boundaries.first, t >= firstBoundary, t < boundaries.last! else { return nil }
            var lo = 0, hi = boundaries.count - 1
            while lo + 1 < hi {
                let mid = (lo + hi) / 2
                if boundaries[mid] <= t { lo = mid } else { hi = mid }
            }
            return lo
        }
        var counts: [Int: [String: (Int64, Int64, Int64)]] = [:]
        var byValues = Set<String>()
        let samples: Int = try archive.database.read { db in
            guard !boundaries.isEmpty else { return 0 }
            db.add(function: bucketFunction)
            defer { db.remove(function: bucketFunction) }
            let range = " AND \(time) >= ? AND \(time) < ?"
            let rangeArguments: [DatabaseValue] = [boundaries.first!.databaseValue, boundaries.last!.databaseValue]
            // Each version's occurrences (its count growth) are stored at import. Without
            // `by`, the sample findings left out are counted in the same pass.
            let countsSamplesInPass = c.excludeSamples && group == nil
            let keep = countsSamplesInPass ? " FILTER (WHERE f.sample = 0)" : ""
            let sql = """
                SELECT gdarchive_bucket(\(time)) AS b\(group.map { ", \($0.expression) AS g" } ?? ""),
                       count(DISTINCT f.finding_key)\(keep) AS findings,
                       count(\(group == nil ? "*" : "DISTINCT f.version_id"))\(keep) AS versions,
                       coalesce(sum(f.occurrences)\(keep), 0) AS occurrences\(countsSamplesInPass ? ", count(*) FILTER (WHERE f.sample = 1) AS samples" : "")
                FROM finding_versions f \(group?.join ?? "")
                WHERE (\(c.sql))\(countsSamplesInPass ? "" : samplesClause)\(range)
                GROUP BY b\(group == nil ? "" : ", g")
                """
            let arguments = (group?.bindings ?? []) + c.bindings + rangeArguments
            var samples = 0
            for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)) {
                guard let index: Int = row["b"] else { continue }
                if countsSamplesInPass { samples += row["samples"] as Int }
                let key = group == nil ? "" : (displayText(row["g"]) ?? "(none)")
                byValues.insert(key)
                counts[index, default: [:]][key] = (row["findings"], row["versions"], row["occurrences"])
            }
            guard c.excludeSamples && !countsSamplesInPass else { return samples }
            return try Int.fetchOne(db, sql: Reports.samplesSQL(view: "finding_versions", conditions: c.sql, extra: range),
                                    arguments: StatementArguments(c.bindings + rangeArguments)) ?? 0
        }
        let keys = group == nil ? [""] : byValues.sorted()
        var rows: [[Cell]] = []
        for index in 0..<max(0, starts.count - 1) {
            for key in keys {
                let (findings, versions, occurrences) = counts[index]?[key] ?? (0, 0, 0)
                var row: [Cell] = [.text(formatBucket(starts[index], timeZone: timeZone))]
                if group != nil { row.append(.text(key)) }
                row += [.int(findings), .int(versions), .int(occurrences)]
                rows.append(row)
            }
        }
        let columns = ["bucket_start"] + (by.map { [$0] } ?? []) + Measure.allCases.map(\.rawValue)
        var head = header("timeline by \(bucket.rawValue) of \(scope.timeField.fieldName)\(by.map { ", by \($0)" } ?? "") in \(timeZone.identifier == "GMT" ? "UTC" : timeZone.identifier) (measure: \(measure.rawValue))",
                          scope: scope, summary: c.summary, samples: samples, noun: "version")
        if starts.isEmpty { head.append("nothing in range") }
        return ReportOutput(header: head, rows: RowSet(columns: columns, rows: rows), samplesLeftOut: samples,
                            barColumn: measure.rawValue, stackColumn: by)
    }
}
