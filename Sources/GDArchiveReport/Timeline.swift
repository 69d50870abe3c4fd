import CGDArchiveTimeline
import Foundation
import GDArchiveModel
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
    public static func timeline(scope: ReportScope, bucket: Bucket, by: String? = nil, top: Int? = nil, timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                                measure: Measure = .findings, on archive: Archive, now: Int64 = Timestamp.nowMilliseconds()) throws -> ReportOutput {
        try archive.read { try timeline(scope: scope, bucket: bucket, by: by, top: top, timeZone: timeZone, measure: measure, in: $0, now: now) }
    }

    /// ``timeline(scope:bucket:by:top:timeZone:measure:on:now:)`` in `reader`'s snapshot.
    public static func timeline(scope: ReportScope, bucket: Bucket, by: String? = nil, top: Int? = nil, timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                                measure: Measure = .findings, in reader: ArchiveReader, now: Int64 = Timestamp.nowMilliseconds()) throws -> ReportOutput {
        try timeline(scope: scope, bucket: bucket, by: by, top: top, timeZone: timeZone, measure: measure, in: reader, now: now, countInSQL: true)
    }

    /// How many versions a bound of the range must leave out for the scan to test it: fewer
    /// are cheaper to read and skip (the counting skips rows outside the buckets) than a
    /// comparison on each of the versions in range. (A timeline over 2025 of a million
    /// versions, a few thousand of them in January 2026, took 190 ms with the bound, 165
    /// without.)
    static let versionsWorthABound = 50_000

    /// The timeline; `countInSQL` false counts a timeline without `by` in Swift, as with `by`
    /// (tests compare the two), and `versionsWorthABound` says when a bound of the range goes
    /// into the scan (tests try both ways).
    static func timeline(scope: ReportScope, bucket: Bucket, by: String?, top: Int? = nil, timeZone: TimeZone, measure: Measure,
                         on archive: Archive, now: Int64, countInSQL: Bool, versionsWorthABound: Int = versionsWorthABound) throws -> ReportOutput {
        try archive.read {
            try timeline(scope: scope, bucket: bucket, by: by, top: top, timeZone: timeZone, measure: measure, in: $0, now: now,
                         countInSQL: countInSQL, versionsWorthABound: versionsWorthABound)
        }
    }

    static func timeline(scope: ReportScope, bucket: Bucket, by: String?, top: Int? = nil, timeZone: TimeZone, measure: Measure,
                         in reader: ArchiveReader, now: Int64, countInSQL: Bool, versionsWorthABound: Int = versionsWorthABound) throws -> ReportOutput {
        let c = try conditions(scope, now: now, rowsAreFindings: false)
        let time = "f." + quoteIdentifier(scope.timeField.fieldName)
        let samplesClause = SampleScope.leaveOut(c.excludeSamples, rowsAreFindings: false)
        let group = try by.map { try groupExpression($0, shape: scope.pathShape) }
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
            // Without a filter, two subqueries: SQLite answers a lone min() or max() of
            // updated_at from one end of its index, but both in one query with a scan of every
            // version. With a filter (or another time field) one scan serves both.
            let unfiltered = scope.timeField == .updated && (scope.filter ?? "").trimmingCharacters(in: .whitespaces).isEmpty
            let range = try reader.withDatabase { db in
                try Row.fetchOne(db, sql: unfiltered ? """
                    SELECT (SELECT min(\(time)) FROM finding_versions f WHERE (\(c.sql))\(samplesClause)) AS lo,
                           (SELECT max(\(time)) FROM finding_versions f WHERE (\(c.sql))\(samplesClause)) AS hi
                    """ : "SELECT min(\(time)) AS lo, max(\(time)) AS hi FROM finding_versions f WHERE (\(c.sql))\(samplesClause)",
                    arguments: StatementArguments(unfiltered ? c.bindings + c.bindings : c.bindings))
            }
            let lo: String? = range?["lo"], hi: String? = range?["hi"]
            from = from ?? lo.flatMap(Timestamp.parse)
            to = to ?? hi.flatMap(Timestamp.parse)
        }
        if scope.since != nil && scope.until == nil {
            // With only --since, the buckets run to now: the empty ones at the end are what
            // shows a nightly job that stopped.
            to = max(to ?? (now - 1), now - 1)
        }
        var starts: [Int64] = []
        if let from, let to, from <= to {
            starts = try bucketStarts(from: from, to: to, bucket: bucket, timeZone: timeZone)
        }
        let boundaries = starts.map { Timestamp.format(epochMilliseconds: $0) }
        // Per bucket and `by` value (one "" without `by`): findings, versions, occurrences.
        var counts = [[String: (findings: Int64, versions: Int64, occurrences: Int64)]](repeating: [:], count: max(0, starts.count - 1))
        // With `top`: the groups kept, largest first, then "(other)".
        var rankedKeys: [String]?
        // With `by` a field of several values: each bucket's own totals (its stacks overlap).
        var bucketTotals: [(findings: Int64, versions: Int64, occurrences: Int64)]?
        let samples: Int = try reader.withDatabase { db in
            guard !boundaries.isEmpty else { return 0 }
            let range = " AND \(time) >= ? AND \(time) < ?"
            let rangeArguments: [DatabaseValue] = [boundaries.first!.databaseValue, boundaries.last!.databaseValue]
            // Rows outside the buckets are skipped by the counting itself; the range in SQL only
            // narrows the scan. A bound that leaves out no stored updated_at (two index lookups
            // tell), or only a few (a count of at most `versionsWorthABound` index entries), is
            // left out: checking it cost each of a million rows a comparison.
            var scanRange = range, scanRangeArguments = rangeArguments
            if scope.timeField == .updated,
               let stored = try Row.fetchOne(db, sql: "SELECT (SELECT min(updated_at) FROM versions) AS lo, (SELECT max(updated_at) FROM versions) AS hi"),
               let lo: String = stored["lo"], let hi: String = stored["hi"] {
                func leavesOutMany(_ condition: String, _ bound: DatabaseValue) throws -> Bool {
                    let sql = "SELECT count(*) FROM (SELECT 1 FROM versions WHERE updated_at \(condition) ? LIMIT \(versionsWorthABound))"
                    return try Int.fetchOne(db, sql: sql, arguments: [bound]) ?? 0 >= versionsWorthABound
                }
                let lower = lo < boundaries.first! ? try leavesOutMany("<", rangeArguments[0]) : false
                let upper = hi >= boundaries.last! ? try leavesOutMany(">=", rangeArguments[1]) : false
                scanRange = (lower ? " AND \(time) >= ?" : "") + (upper ? " AND \(time) < ?" : "")
                scanRangeArguments = (lower ? [rangeArguments[0]] : []) + (upper ? [rangeArguments[1]] : [])
            }
            // The versions in range are read once and each is counted in its bucket (found
            // from the stored UTC text, correct in any zone): GROUP BY with count(DISTINCT)
            // sorted every version and looked each one up twice. Each version's occurrences
            // (its count growth) are stored at import. The versions of sample findings are left
            // out in the scan (see SampleScope) and the sample findings counted apart.
            let filter = "WHERE (\(c.sql))\(samplesClause)\(scanRange)"
            if group == nil && countInSQL {
                // Without `by`, inside SQLite: the aggregate gdarchive_timeline (C) counts
                // every bucket in one scan.
                try Self.registerTimelineAggregate(db)
                let sql = "SELECT gdarchive_timeline(\(time), f.finding_key, f.occurrences, f.sample, ?, ?) FROM finding_versions f \(filter)"
                let arguments: [DatabaseValue] = [boundaries.joined(separator: ",").databaseValue, 0.databaseValue]
                if let blob = try Data.fetchOne(db, sql: sql, arguments: StatementArguments(arguments + c.bindings + scanRangeArguments)) {
                    let values = blob.withUnsafeBytes { raw in (0..<raw.count / 8).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) } }
                    guard values.count == 4 * counts.count else {
                        throw TimelineError(description: "gdarchive_timeline returned \(blob.count) bytes for \(counts.count) buckets")
                    }
                    for index in counts.indices where values[4 * index + 1] > 0 {
                        counts[index][""] = (values[4 * index], values[4 * index + 1], values[4 * index + 2])
                    }
                }
            } else {
                // With `by` (or when asked to), the rows come here, each with its group value.
                let sql = """
                    SELECT \(time), f.finding_key, f.sample, f.occurrences, f.version_id, f.updated_at, f.count, f.archived\(group.map { ", \($0.expression)" } ?? "")
                    FROM finding_versions f \(group?.join ?? "") \(filter)
                    """
                let arguments = (group?.bindings ?? []) + c.bindings + scanRangeArguments
                var finder = BucketFinder(boundaries: boundaries)
                // By the group's value as shown, or by an indicator's value id, named at the end.
                let byValueID = group?.labels != nil
                // How a finding stacks (README, "One rule each"). A field with one value per
                // version: versions and occurrences under each version's value, the finding once
                // per bucket under its value in its last version there (the latest-version
                // order), so the stacks add up to the bucket's findings. A field with several
                // values (indicators, a path through a list): the finding, a version and its
                // occurrences under each of its values, and the bucket's totals (`stackTotals`)
                // count each once.
                let multiValued = group?.severalValues == true
                // Through a list, a version's rows come together (the join is its inner loop);
                // a value it holds twice counts once.
                var version: Int64?
                var versionValues: Set<DatabaseValue> = []
                let lastPerFinding = group != nil && !multiValued
                var tallies = [[DatabaseValue: TimelineTally]](repeating: [:], count: counts.count)
                var lasts = [[Int64: BucketLast]](repeating: [:], count: lastPerFinding ? counts.count : 0)
                var totals = [TimelineTally](repeating: TimelineTally(), count: multiValued ? counts.count : 0)
                var versionsSeen = [DistinctIntegers](repeating: DistinctIntegers(), count: multiValued ? counts.count : 0)
                try RawStatement(db, sql).forEachRow(arguments: StatementArguments(arguments)) { row in
                    guard let index = row.withTextBytes(0, { $0.flatMap { finder.bucket(of: $0) } }) else { return }
                    let key = group == nil ? DatabaseValue.null
                        : byValueID ? row.databaseValue(8) : (displayText(row.databaseValue(8)) ?? "(none)").databaseValue
                    let finding = row.int64OrZero(1), occurrences = row.int64OrZero(3)
                    if multiValued && group?.labels == nil {
                        let id = row.int64OrZero(4)
                        if id != version { version = id; versionValues = [] }
                        guard versionValues.insert(key).inserted else { return }
                    }
                    guard lastPerFinding else {
                        tallies[index][key, default: TimelineTally()].add(finding: finding, occurrences: occurrences)
                        if multiValued && versionsSeen[index].insert(row.int64OrZero(4)) {
                            totals[index].add(finding: finding, occurrences: occurrences)
                        }
                        return
                    }
                    tallies[index][key, default: TimelineTally()].add(versionWith: occurrences)
                    let candidate = BucketLast(versionID: row.int64OrZero(4), updatedAt: row.text(5), count: row.int64(6),
                                               archived: row.int64(7).map { $0 != 0 }, key: key)
                    if let current = lasts[index][finding], !candidate.follows(current) { return }
                    lasts[index][finding] = candidate
                }
                for (index, bucket) in lasts.enumerated() {
                    for (finding, last) in bucket { tallies[index][last.key, default: TimelineTally()].findings.insert(finding) }
                }
                var labels: [Int64: String] = [:]
                if let query = group?.labels {
                    let seen = Set(tallies.flatMap(\.keys).compactMap { Int64.fromDatabaseValue($0) })
                    labels = try query.fetch(db, wanted: seen.contains)
                }
                var named = [[String: TimelineTally]](repeating: [:], count: counts.count)
                for (index, bucket) in tallies.enumerated() {
                    for (value, tally) in bucket {
                        let key = group == nil ? "" : byValueID ? Int64.fromDatabaseValue(value).flatMap { labels[$0] } ?? "(none)" : String.fromDatabaseValue(value)!
                        named[index][key] = tally
                    }
                }
                if let top, group != nil { (named, rankedKeys) = Self.keepingTop(named, top: top, measure: measure) }
                for (index, bucket) in named.enumerated() {
                    for (key, tally) in bucket { counts[index][key] = (Int64(tally.findings.count), tally.versions, tally.occurrences) }
                }
                if multiValued { bucketTotals = totals.map { (Int64($0.findings.count), $0.versions, $0.occurrences) } }
            }
            guard c.excludeSamples else { return 0 }
            return try reader.samplesLeftOut(rowsAreFindings: false, where: SQLCondition(sql: "(\(c.sql))\(range)", bindings: c.bindings + rangeArguments))
        }
        let keys = group == nil ? [""] : rankedKeys ?? Set(counts.flatMap(\.keys)).sorted()
        var rows: [[Cell]] = []
        for index in counts.indices {
            for key in keys {
                let (findings, versions, occurrences) = counts[index][key] ?? (0, 0, 0)
                var row: [Cell] = [.text(formatBucket(starts[index], timeZone: timeZone))]
                if group != nil { row.append(.text(key)) }
                row += [.int(findings), .int(versions), .int(occurrences)]
                rows.append(row)
            }
        }
        let columns = ["bucket_start"] + (by.map { [$0] } ?? []) + Measure.allCases.map(\.rawValue)
        var head = header("timeline by \(bucket.rawValue) of \(scope.timeField.fieldName)\(by.map { ", by \($0)" } ?? "") in \(timeZone.identifier == "GMT" ? "UTC" : timeZone.identifier) (measure: \(measure.rawValue))",
                          scope: scope, summary: c.summary, samples: samples, now: now)
        if starts.isEmpty { head.append("nothing in range") }
        if let top, let by, rankedKeys?.last == "(other)" {
            head.append("the \(top) \(by) value\(top == 1 ? "" : "s") with the most \(measure.rawValue) over the range; the others summed into (other)")
        }
        var output = ReportOutput(header: head, rows: RowSet(columns: columns, rows: rows), samplesLeftOut: samples,
                                  barColumn: measure.rawValue, stackColumn: by)
        if let bucketTotals, let by {
            head.append("a finding with several \(by) values counts once under each; a bucket's total counts it once")
            output.header = head
            output.stackTotals = RowSet(columns: ["bucket_start"] + Measure.allCases.map(\.rawValue), rows: bucketTotals.indices.map { index in
                [.text(formatBucket(starts[index], timeZone: timeZone)), .int(bucketTotals[index].findings), .int(bucketTotals[index].versions),
                 .int(bucketTotals[index].occurrences)]
            })
        }
        return output
    }
}

extension Reports {
    /// Registers the C aggregate `gdarchive_timeline` on `db` (see gdarchive_timeline.h).
    static func registerTimelineAggregate(_ db: Database) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the connection is closed") }
        let code = gdarchive_register_timeline(connection)
        guard code == ResultCode.SQLITE_OK.rawValue else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot register gdarchive_timeline")
        }
    }
}

/// What one bucket (and `by` value) of a timeline counts.
struct TimelineTally {
    var findings = DistinctIntegers()
    var versions: Int64 = 0
    var occurrences: Int64 = 0

    mutating func add(finding: Int64, occurrences: Int64) {
        findings.insert(finding)
        add(versionWith: occurrences)
    }

    /// One more version, its finding counted elsewhere.
    mutating func add(versionWith occurrences: Int64) {
        versions += 1
        self.occurrences += occurrences
    }

    /// Adds another tally: its findings (each once), versions and occurrences.
    mutating func merge(_ other: TimelineTally) {
        findings.formUnion(other.findings)
        versions += other.versions
        occurrences += other.occurrences
    }

    func measure(_ m: Measure) -> Int64 {
        switch m {
        case .findings: return Int64(findings.count)
        case .versions: return versions
        case .occurrences: return occurrences
        }
    }
}

extension Reports {
    /// The `top` groups of a timeline by their total over the whole range (distinct findings,
    /// versions or occurrences), largest first, then by name; in each bucket, the other groups
    /// merged into one "(other)" group (a finding counted once however many of them it is in).
    /// Returns the buckets and the groups in that order.
    static func keepingTop(_ buckets: [[String: TimelineTally]], top: Int, measure: Measure) -> ([[String: TimelineTally]], [String]) {
        var totals: [String: TimelineTally] = [:]
        for bucket in buckets {
            for (key, tally) in bucket { totals[key, default: TimelineTally()].merge(tally) }
        }
        let ranked = totals.sorted { ranks($0.value.measure(measure), $0.key, before: $1.value.measure(measure), $1.key) }.map(\.key)
        guard ranked.count > top else { return (buckets, ranked) }
        let kept = Set(ranked.prefix(top))
        let merged = buckets.map { bucket -> [String: TimelineTally] in
            var result: [String: TimelineTally] = [:]
            var other = TimelineTally()
            for (key, tally) in bucket {
                if kept.contains(key) { result[key] = tally } else { other.merge(tally) }
            }
            result["(other)"] = other
            return result
        }
        return (merged, Array(ranked.prefix(top)) + ["(other)"])
    }
}

/// A finding's last version in a bucket so far (the latest-version order, import order last)
/// and its group value.
struct BucketLast {
    var versionID: Int64
    var updatedAt: String?
    var count: Int64?
    var archived: Bool?
    var key: DatabaseValue

    /// Whether this version comes after `other` in the latest-version order.
    func follows(_ other: BucketLast) -> Bool {
        if updatedAt == other.updatedAt && count == other.count && (archived ?? false) == (other.archived ?? false) {
            return versionID > other.versionID
        }
        return ArchiveWriter.isAtLeastAsRecent(updatedAt: updatedAt, count: count, archived: archived,
                                               thanUpdatedAt: other.updatedAt, count: other.count, archived: other.archived)
    }
}

/// The bucket of a stored timestamp, by its UTF-8 text against the buckets' boundaries
/// (`YYYY-MM-DDTHH:MM:SS.sssZ`, so byte order is time order, as SQLite compares them). Rows
/// mostly come in time order, so the bucket of the previous one is tried first.
struct BucketFinder {
    let boundaries: [[UInt8]]
    /// The boundaries as three big-endian words each (they are all 24 bytes long), to compare
    /// a stored timestamp of the same length without calling memcmp (once per version).
    private let words: [(UInt64, UInt64, UInt64)]
    var last = 0

    init(boundaries: [String]) {
        self.boundaries = boundaries.map { Array($0.utf8) }
        words = self.boundaries.allSatisfy { $0.count == 24 } ? self.boundaries.map { Self.words($0) } : []
    }

    private static func words<C: Collection<UInt8>>(_ bytes: C) -> (UInt64, UInt64, UInt64) {
        var w: [UInt64] = [0, 0, 0]
        for (i, byte) in bytes.enumerated() { w[i / 8] = w[i / 8] << 8 | UInt64(byte) }
        return (w[0], w[1], w[2])
    }

    /// The index of the bucket `[boundaries[i], boundaries[i + 1])` holding `time`, if any.
    mutating func bucket(of time: UnsafeBufferPointer<UInt8>) -> Int? {
        guard boundaries.count > 1 else { return nil }
        if time.count == 24 && !words.isEmpty {
            let raw = UnsafeRawBufferPointer(time)
            let t = (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                     UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                     UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
            if words[last] <= t && t < words[last + 1] { return last }
        } else if Self.compare(time, boundaries[last]) >= 0 && Self.compare(time, boundaries[last + 1]) < 0 {
            return last
        }
        guard Self.compare(time, boundaries[0]) >= 0, Self.compare(time, boundaries[boundaries.count - 1]) < 0 else { return nil }
        var lo = 0, hi = boundaries.count - 1
        while lo + 1 < hi {
            let mid = (lo + hi) / 2
            if Self.compare(time, boundaries[mid]) >= 0 { lo = mid } else { hi = mid }
        }
        last = lo
        return lo
    }

    /// Byte-wise comparison, a prefix first (SQLite's BINARY collation).
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Int {
        let n = min(a.count, b.count)
        let result = b.withUnsafeBufferPointer { b in n == 0 ? 0 : Int(memcmp(a.baseAddress!, b.baseAddress!, n)) }
        return result != 0 ? result : a.count - b.count
    }
}

/// A set of integers that only counts its distinct members: open addressing with a
/// multiplicative hash, several times cheaper per insert than `Set<Int64>` (SipHash), which
/// dominated a timeline over a million versions.
struct DistinctIntegers {
    private var slots: [Int64] = []
    private var hasEmptyMarker = false
    private(set) var count = 0
    private static let empty = Int64.min

    /// Adds `value`; true when it was not there yet.
    @discardableResult
    mutating func insert(_ value: Int64) -> Bool {
        if value == Self.empty {
            if hasEmptyMarker { return false }
            hasEmptyMarker = true
            count += 1
            return true
        }
        if (count + 1) * 4 > slots.count * 3 { grow() }
        guard place(value) else { return false }
        count += 1
        return true
    }

    /// Puts `value` in its slot; false when it was there already.
    private mutating func place(_ value: Int64) -> Bool {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: (UInt64(bitPattern: value) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        while true {
            let current = slots[i]
            if current == value { return false }
            if current == Self.empty {
                slots[i] = value
                return true
            }
            i = (i + 1) & mask
        }
    }

    /// Inserts every value of `other`.
    mutating func formUnion(_ other: DistinctIntegers) {
        if other.hasEmptyMarker { insert(Self.empty) }
        for value in other.slots where value != Self.empty { insert(value) }
    }

    private mutating func grow() {
        let old = slots
        slots = [Int64](repeating: Self.empty, count: max(16, old.count * 2))
        for value in old where value != Self.empty { _ = place(value) }
    }
}
