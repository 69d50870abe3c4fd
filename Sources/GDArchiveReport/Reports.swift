import Foundation
import GDArchiveModel
import GDArchiveQuery
import GDArchiveStore
import GRDB

/// The three measures every report carries, defined once:
///
/// - **findings**: distinct findings (account, region, id) in scope;
/// - **versions**: stored versions in scope;
/// - **occurrences**: GuardDuty's own `service.count` growth as the archive saw it. A finding's
///   first stored version contributes its count, each later version its increase over the
///   previous version (a decrease is a reset and contributes its full count). In a timeline
///   each version's contribution falls in the bucket of its time field; in `report by` and
///   `summary` occurrences are the latest counts summed.
public enum Measure: String, CaseIterable, Sendable {
    case findings, versions, occurrences
}

/// The scope every report shares: a filter, a time range on a time field, samples.
///
/// ```swift
/// var scope = ReportScope(filter: "severity >= 7")
/// scope.since = "-90d"
/// ```
public struct ReportScope: Sendable {
    public var filter: String?
    public var since: String?
    public var until: String?
    public var timeField: TimeField = .updated
    public var includeSamples = false
    /// See ``QueryRequest/checkPath``.
    public var checkPath: PathChecker?
    /// See ``QueryRequest/pathShape``.
    public var pathShape: PathShaper?

    public init(filter: String? = nil) {
        self.filter = filter
    }

    /// The time range in words with the instants it stands for, resolved against `now` as the
    /// query resolves them: `updated_at from 2025-11-28T03:40:56.000Z (-7d) until now
    /// (2025-12-05T03:40:56.000Z)`. Nil without `--since` and `--until`.
    public func rangeDescription(now: Int64) -> String? {
        guard since != nil || until != nil else { return nil }
        func part(_ value: String?, _ none: String) -> String {
            guard let value else { return none }
            guard let ms = FilterCompiler.time(value, now: now) else { return value }
            let instant = Timestamp.format(epochMilliseconds: ms)
            return instant == value ? instant : "\(instant) (\(value))"
        }
        return "\(timeField.fieldName) from \(part(since, "the beginning")) until \(part(until, "now (\(Timestamp.format(epochMilliseconds: now)))"))"
    }

    /// The instants `--since` and `--until` stand for (UTC text), for JSON metadata.
    public func rangeInstants(now: Int64) -> (since: String?, until: String?) {
        func resolve(_ value: String?) -> String? {
            value.flatMap { FilterCompiler.time($0, now: now) }.map { Timestamp.format(epochMilliseconds: $0) }
        }
        return (resolve(since), resolve(until))
    }

    /// The query these scope options ask for.
    public var queryRequest: QueryRequest {
        var request = QueryRequest(filter: filter)
        request.since = since
        request.until = until
        request.timeField = timeField
        request.includeSamples = includeSamples
        request.checkPath = checkPath
        request.pathShape = pathShape
        return request
    }
}

/// A report's rows plus what people want above them.
public struct ReportOutput: Sendable {
    /// Header lines for people (table format only): title, filter, range, samples left out.
    public var header: [String]
    public var rows: RowSet
    /// Sample findings left out (see ``SampleScope``).
    public var samplesLeftOut: Int
    /// The column whose values bars are drawn for, in table format.
    public var barColumn: String?
    /// For `--by` timelines: the column whose values stack in one bar.
    public var stackColumn: String?
    /// For `--by` timelines of a field with several values per finding (indicators), whose
    /// stacks overlap: each bucket's own totals (`bucket_start` and the measures), a finding
    /// and a version counted once. Nil where the stacks add up to the totals.
    public var stackTotals: RowSet?

    public init(header: [String], rows: RowSet, samplesLeftOut: Int, barColumn: String?, stackColumn: String?) {
        self.header = header
        self.rows = rows
        self.samplesLeftOut = samplesLeftOut
        self.barColumn = barColumn
        self.stackColumn = stackColumn
    }
}

/// The one sample scope of every command: a finding is a GuardDuty sample finding when its
/// latest version is a sample (`findings.sample`; a finding that was real never becomes a
/// sample, see ArchiveWriter), and every version of a sample finding goes with it. Left out by
/// default (unless `--include-samples` or the filter tests `sample`), counted in findings.
/// The `sql` views hold everything; `real_findings` and `real_finding_versions` (migration
/// 15) are this scope.
enum SampleScope {
    /// A condition on the row `f` (a finding's latest version, or any version) that holds when
    /// its finding is a sample finding.
    static func isSampleFinding(rowsAreFindings: Bool) -> String {
        rowsAreFindings ? "f.sample = 1"
            : "f.finding_key IN (SELECT finding_key FROM findings INDEXED BY findings_sample WHERE sample = 1)"
    }

    /// `isSampleFinding` negated, as a clause to append to a WHERE; "" when samples are kept.
    static func leaveOut(_ exclude: Bool, rowsAreFindings: Bool) -> String {
        exclude ? " AND NOT (\(isSampleFinding(rowsAreFindings: rowsAreFindings)))" : ""
    }
}

/// The reports: `summary`, `by FIELD`, `timeline`.
public enum Reports {
    /// Conditions of a scope over the alias `f`.
    /// - Parameter rowsAreFindings: false for reports over versions (timelines).
    static func conditions(_ scope: ReportScope, now: Int64, rowsAreFindings: Bool = true) throws -> (sql: String, bindings: [DatabaseValue], summary: String, excludeSamples: Bool) {
        let (compiled, mentionsSample) = try FindingQuery.compileConditions(scope.queryRequest, now: now, rowsAreFindings: rowsAreFindings)
        let exclude = !scope.includeSamples && !mentionsSample
        return (compiled.sql, compiled.bindings.map(\.databaseValue), compiled.summary, exclude)
    }

    static func header(_ title: String, scope: ReportScope, summary: String, samples: Int,
                       now: Int64 = Timestamp.nowMilliseconds()) -> [String] {
        var lines = [title]
        if let filter = scope.filter, !filter.isEmpty { lines.append("filter: \(summary)") }
        if let range = scope.rangeDescription(now: now) { lines.append(range) }
        if samples > 0 { lines.append("\(samples) sample finding\(samples == 1 ? "" : "s") left out (--include-samples to count them)") }
        return lines
    }

    // MARK: - report by

    /// How rows are grouped by a field.
    struct Grouping {
        /// The group's value in a row (its first bindings are the expression's).
        var expression: String
        /// A join the expression needs, and its bindings after the expression's.
        var join: String
        var bindings: [DatabaseValue]
        /// Grouping by indicators: the query that names the value ids the expression gives.
        var labels: IndicatorLabels?
        /// Whether a version may have several values (indicators, a path through a list):
        /// then the join gives a row per value, and a finding counts under each.
        var severalValues: Bool
    }

    /// How rows are grouped by `field` (a short field, indicator kind or path): an SQL
    /// expression and a join it needs. Grouping by indicators, the expression is a value id
    /// and `labels` the query that names the values (``IndicatorLabels``): counting by number
    /// and naming each group once took a third less time on a million versions than building
    /// and hashing a `kind:value` string per row. A path reads what filters read
    /// (``FilterCompiler/pathLeaves(of:alias:_:)``): through lists, a row per value; a path
    /// to an object is an error that names the paths below it.
    static func groupExpression(_ field: String, shape: PathShaper? = nil) throws -> Grouping {
        if let known = FieldCatalog.field(named: field) {
            let kinds: [String]
            switch known.storage {
            case .column(let column): return Grouping(expression: "f." + quoteIdentifier(column), join: "", bindings: [], labels: nil, severalValues: false)
            case .indicator(let kind): kinds = [kind]
            case .anyIOC: kinds = FieldCatalog.iocKinds
            }
            // The version's range of version_indicators by kind: one row per value, or one row
            // of NULLs when it has none of the kinds.
            let join = "LEFT JOIN version_indicators vi ON vi.version_id = f.version_id AND \(FilterCompiler.kindCondition(kindColumn(kinds: kinds.count), kinds: kinds.count))"
            let label = kinds.count == 1 ? "iv.value" : "k.kind || ':' || iv.value"
            let labels = IndicatorLabels(sql: """
                SELECT iv.value_id, \(label) FROM indicator_values iv JOIN indicator_kinds k ON k.kind_id = iv.kind_id
                WHERE \(FilterCompiler.kindCondition("iv.kind_id", kinds: kinds.count))
                """, bindings: kinds.map(\.databaseValue))
            return Grouping(expression: "vi.value_id", join: join, bindings: kinds.map(\.databaseValue), labels: labels, severalValues: true)
        }
        if let segments = try FindingQuery.pathSegments(field) {
            switch shape?(segments) {
            case .object(let below)?:
                throw QueryRequestError.objectField(field, below: below)
            case .single?:
                return Grouping(expression: "json_extract(f.body, ?)", join: "", bindings: [("$." + field).databaseValue], labels: nil, severalValues: false)
            case .several?, nil:
                let leaves = FilterCompiler.pathLeaves(of: "f.body", alias: "pv", segments)
                return Grouping(expression: "pv.atom", join: "LEFT JOIN \(leaves.table) ON \(leaves.condition) AND pv.type != 'null'",
                                bindings: leaves.bindings.map(\.databaseValue), labels: nil, severalValues: true)
            }
        }
        let (expression, bindings, _) = try FindingQuery.selectExpression(for: field)
        return Grouping(expression: expression, join: "", bindings: bindings, labels: nil, severalValues: false)
    }

    /// The query that names the indicator values of a grouping: `value_id`, label.
    struct IndicatorLabels {
        var sql: String
        var bindings: [DatabaseValue]

        /// The labels by value id, of the values `wanted` accepts.
        func fetch(_ db: Database, wanted: (Int64) -> Bool = { _ in true }) throws -> [Int64: String] {
            var labels: [Int64: String] = [:]
            try RawStatement(db, sql).forEachRow(arguments: StatementArguments(bindings)) { row in
                let id = row.int64OrZero(0)
                if wanted(id) { labels[id] = row.text(1) }
            }
            return labels
        }
    }

    /// `vi.kind_id` as a condition on `count` kinds should read it: one kind is part of the
    /// (version_id, kind_id) key; several are tested on the version's range (`+`), one range
    /// per version instead of one probe per kind.
    static func kindColumn(kinds count: Int) -> String {
        count == 1 ? "vi.kind_id" : "+vi.kind_id"
    }

    /// The measures of finding rows under the scope's window (see
    /// ``FindingQuery/windowCondition(_:now:)``): a `WITH` clause to put first, the join that
    /// brings each finding's versions and occurrences in the window as `m.versions` and
    /// `m.occurrences`, and the clause's bindings (which come first). Without a window, the
    /// finding's own (every version; its count).
    ///
    /// In a window, occurrences are the contributions of the versions in it (as a timeline sums
    /// them); without one, the latest counts (which differ from the summed contributions only
    /// after a reset, a count that drops).
    static func windowMeasures(_ scope: ReportScope, now: Int64) throws -> (with: String, join: String, versions: String, occurrences: String, bindings: [DatabaseValue]) {
        guard let window = try FindingQuery.windowCondition(scope.queryRequest, now: now) else {
            return ("", "", "f.version_count", "coalesce(f.count, 0)", [])
        }
        return ("""
            WITH window_measures AS (
                SELECT f.finding_key, count(*) AS versions, coalesce(sum(coalesce(f.occurrences, 0)), 0) AS occurrences
                FROM versions f WHERE \(window.sql) GROUP BY f.finding_key)
            """, "JOIN window_measures m ON m.finding_key = f.finding_key", "m.versions", "m.occurrences", window.bindings.map(\.databaseValue))
    }

    /// `report by FIELD`: findings, versions and occurrences per value of FIELD (latest
    /// versions), largest first by `measure`; rows beyond `top` summed into "(other)".
    public static func by(_ field: String, scope: ReportScope, measure: Measure = .findings, top: Int? = nil,
                          on archive: Archive, now: Int64 = Timestamp.nowMilliseconds()) throws -> ReportOutput {
        try archive.read { try by(field, scope: scope, measure: measure, top: top, in: $0, now: now) }
    }

    /// ``by(_:scope:measure:top:on:now:)`` in `reader`'s snapshot.
    public static func by(_ field: String, scope: ReportScope, measure: Measure = .findings, top: Int? = nil,
                          in reader: ArchiveReader, now: Int64 = Timestamp.nowMilliseconds()) throws -> ReportOutput {
        let c = try conditions(scope, now: now)
        let group = try groupExpression(field, shape: scope.pathShape)
        let measures = try windowMeasures(scope, now: now)
        // Each row is one finding in one group: grouping by a column trivially, and with an
        // indicator join too, since a version has each (kind, value) once and a finding one
        // latest version. So findings are counted without DISTINCT (which sorted every row a
        // second time). Grouping by a column, the sample findings left out are counted in the
        // same pass; an indicator join may put a finding in several groups, so not then.
        let countsSamplesInPass = c.excludeSamples && group.join.isEmpty
        let samplesClause = SampleScope.leaveOut(c.excludeSamples && !countsSamplesInPass, rowsAreFindings: true)
        // The rows are counted here, in a dictionary by value, in one pass: GROUP BY sorted
        // every finding first (half of `report by` on a million versions).
        var samplesInPass = 0
        var sawSeveral = false
        let rows: [GroupRow] = try reader.withDatabase { db in
            let sql = """
                \(measures.with)
                SELECT \(group.expression) AS g, f.sample, \(measures.versions), \(measures.occurrences), f.finding_key
                FROM latest_findings f \(measures.join) \(group.join)
                WHERE (\(c.sql))\(samplesClause)
                """
            let statement = try RawStatement(db, sql)
            let arguments = StatementArguments(measures.bindings + group.bindings + c.bindings)
            if let labels = group.labels {
                // By value id (NULL: findings without any value of the kinds), then named.
                var groups: [Int64: GroupRow] = [:]
                var none = GroupRow(value: nil, findings: 0, versions: 0, occurrences: 0)
                try statement.forEachRow(arguments: arguments) { row in
                    if let id = row.int64(0) {
                        groups[id, default: GroupRow(value: nil, findings: 0, versions: 0, occurrences: 0)]
                            .add(versions: row.int64OrZero(2), occurrences: row.int64OrZero(3))
                    } else {
                        none.add(versions: row.int64OrZero(2), occurrences: row.int64OrZero(3))
                    }
                }
                for (id, name) in try labels.fetch(db, wanted: { groups[$0] != nil }) { groups[id]?.value = name }
                return Array(groups.values) + (none.findings > 0 ? [none] : [])
            }
            var groups: [DatabaseValue: GroupRow] = [:]
            // Through a list, a finding's rows come together (the join is its inner loop); a
            // value it holds twice counts once.
            var finding: Int64?
            var values: Set<DatabaseValue> = []
            try statement.forEachRow(arguments: arguments) { row in
                if countsSamplesInPass && row.int64OrZero(1) == 1 {
                    samplesInPass += 1
                    return
                }
                let value = row.databaseValue(0)
                if group.severalValues {
                    let key = row.int64OrZero(4)
                    if key != finding { finding = key; values = [] }
                    guard values.insert(value).inserted else { return }
                    if values.count > 1 { sawSeveral = true }
                }
                groups[value, default: GroupRow(value: displayText(value), findings: 0, versions: 0, occurrences: 0)]
                    .add(versions: row.int64OrZero(2), occurrences: row.int64OrZero(3))
            }
            return Array(groups.values)
        }
        let samples = countsSamplesInPass ? samplesInPass
            : c.excludeSamples ? try samplesLeftOut(scope: scope, c: c, view: "latest_findings", in: reader) : 0
        let sorted = ordered(rows, by: measure, top: top)
        let set = RowSet(columns: [field] + Measure.allCases.map(\.rawValue), rows: sorted.map { row -> [Cell] in
            [.text(row.value ?? "(none)"), .int(row.findings), .int(row.versions), .int(row.occurrences)]
        })
        let isIndicator = FieldCatalog.field(named: field).map { if case .column = $0.storage { return false } else { return true } } ?? false
        var head = header("findings by \(field) (latest versions; measure: \(measure.rawValue))", scope: scope, summary: c.summary, samples: samples, now: now)
        if isIndicator || sawSeveral { head.append("a finding with several \(field) values counts once under each") }
        return ReportOutput(header: head, rows: set, samplesLeftOut: samples, barColumn: measure.rawValue, stackColumn: nil)
    }

    /// Report order: the larger measure first, then by value (nil, "(none)", last).
    static func ranks(_ a: Int64, _ valueA: String?, before b: Int64, _ valueB: String?) -> Bool {
        a != b ? a > b : (valueA ?? "\u{10FFFF}") < (valueB ?? "\u{10FFFF}")
    }

    /// The groups in report order, largest `measure` first, then by value ("(none)" last
    /// among equals). With `top`: the `top` largest values, then "(none)" (findings without a
    /// value never take one of the slots: `--top 10` IPs are ten IPs), then the rest summed
    /// into one "(other)" row.
    static func ordered(_ rows: [GroupRow], by measure: Measure, top: Int?) -> [GroupRow] {
        func precedes(_ a: GroupRow, _ b: GroupRow) -> Bool {
            ranks(a.measure(measure), a.value, before: b.measure(measure), b.value)
        }
        guard let top, top >= 0 else { return rows.sorted(by: precedes) }
        let none = rows.filter { $0.value == nil }
        let rows = none.isEmpty ? rows : rows.filter { $0.value != nil }
        guard rows.count > top else { return rows.sorted(by: precedes) + none }
        var first: [GroupRow]
        if top <= 1000 {
            // Only the first `top` are ordered, picked in one pass: sorting a quarter of a
            // million indicator values by name took longer than counting them.
            first = []
            for row in rows where first.count < top || (top > 0 && precedes(row, first[first.count - 1])) {
                var low = 0, high = first.count
                while low < high {
                    let middle = (low + high) / 2
                    if precedes(first[middle], row) { low = middle + 1 } else { high = middle }
                }
                first.insert(row, at: low)
                if first.count > top { first.removeLast() }
            }
        } else {
            first = Array(rows.sorted(by: precedes)[..<top])
        }
        // The rest, summed.
        var other = GroupRow(value: "(other)", findings: 0, versions: 0, occurrences: 0)
        for row in rows {
            other.findings += row.findings
            other.versions += row.versions
            other.occurrences += row.occurrences
        }
        for row in first {
            other.findings -= row.findings
            other.versions -= row.versions
            other.occurrences -= row.occurrences
        }
        return first + none + [other]
    }

    struct GroupRow {
        var value: String?
        var findings: Int64
        var versions: Int64
        var occurrences: Int64

        /// One more finding in the group.
        mutating func add(versions: Int64, occurrences: Int64) {
            findings += 1
            self.versions += versions
            self.occurrences += occurrences
        }

        func measure(_ m: Measure) -> Int64 {
            switch m {
            case .findings: return findings
            case .versions: return versions
            case .occurrences: return occurrences
            }
        }
    }

    /// A grouped value as text (numbers as written by SQLite's rules, NULL as nil).
    static func displayText(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .null: return nil
        case .int64(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return s
        case .blob(let b): return b.map { String(format: "%02x", $0) }.joined()
        }
    }

    static func samplesLeftOut(scope: ReportScope, c: (sql: String, bindings: [DatabaseValue], summary: String, excludeSamples: Bool),
                               view: String, in reader: ArchiveReader) throws -> Int {
        try reader.samplesLeftOut(rowsAreFindings: view == "latest_findings", where: SQLCondition(sql: c.sql, bindings: c.bindings))
    }

    // MARK: - summary

    /// `report summary`: totals, severity bands, activity range, accounts and Regions, size,
    /// last import. Rows: `metric`, `value` (the JSON form is one object).
    public static func summary(scope: ReportScope, on archive: Archive, now: Int64 = Timestamp.nowMilliseconds()) throws -> (output: ReportOutput, values: [(String, Cell)], bands: RowSet) {
        try archive.read { try summary(scope: scope, in: $0, now: now) }
    }

    /// ``summary(scope:on:now:)`` in `reader`'s snapshot (the status included).
    public static func summary(scope: ReportScope, in reader: ArchiveReader, now: Int64 = Timestamp.nowMilliseconds()) throws -> (output: ReportOutput, values: [(String, Cell)], bands: RowSet) {
        let c = try conditions(scope, now: now)
        let samplesClause = SampleScope.leaveOut(c.excludeSamples, rowsAreFindings: true)
        let measures = try windowMeasures(scope, now: now)
        // The bands' sums are the totals; accounts and Regions take a second pass (grouping by
        // band, account and Region in one pass sorted more than the second pass reads).
        let scoped = SQLCondition(sql: "(\(c.sql))\(samplesClause)", bindings: c.bindings)
        let bandRows = try reader.severityBands(measures: MeasureSQL(with: measures.with, join: measures.join, versions: measures.versions,
                                                                     occurrences: measures.occurrences, bindings: measures.bindings),
                                                where: scoped)
        let places = try reader.accountsAndRegions(where: scoped)
        let lastImport = try reader.lastImport()
        struct Totals { var findings: Int64; var versions: Int64; var occurrences: Int64; var firstActivity: String?; var lastActivity: String? }
        let totals = Totals(findings: bandRows.reduce(0) { $0 + $1.findings }, versions: bandRows.reduce(0) { $0 + $1.versions },
                            occurrences: bandRows.reduce(0) { $0 + $1.occurrences },
                            firstActivity: bandRows.compactMap(\.firstActivity).min(), lastActivity: bandRows.compactMap(\.lastActivity).max())
        let samples = c.excludeSamples ? try samplesLeftOut(scope: scope, c: c, view: "latest_findings", in: reader) : 0
        let status = try reader.status()
        let order = ["critical", "high", "medium", "low", "(none)"]
        let byBand = Dictionary(uniqueKeysWithValues: bandRows.map { ($0.label, $0) })
        let bands = RowSet(columns: ["severity_label"] + Measure.allCases.map(\.rawValue), rows: order.compactMap { band in
            guard let row = byBand[band] else {
                return band == "(none)" ? nil : [.text(band), .int(0), .int(0), .int(0)]
            }
            return [.text(band), .int(row.findings), .int(row.versions), .int(row.occurrences)]
        })
        func text(_ value: String?) -> Cell { value.map(Cell.text) ?? .null }
        var values: [(String, Cell)] = [
            ("findings", .int(totals.findings)), ("versions", .int(totals.versions)), ("occurrences", .int(totals.occurrences)),
        ]
        for row in bands.rows {
            if case .text(let band) = row[0], band != "(none)", case .int(let n) = row[1] { values.append((band, .int(n))) }
        }
        values += [
            ("first_activity", text(totals.firstActivity)), ("last_activity", text(totals.lastActivity)),
            ("accounts", .int(places.accounts)), ("regions", .int(places.regions)),
            ("samples_left_out", .int(Int64(samples))), ("archive_bytes", .int(status.sizeBytes)),
            ("last_import", text(lastImport?.startedAt)), ("last_import_status", text(lastImport?.status)),
        ]
        // With --since or --until: the instants they stood for (null for the one not given).
        if scope.since != nil || scope.until != nil {
            let range = scope.rangeInstants(now: now)
            values += [("range_since", text(range.since)), ("range_until", text(range.until))]
        }
        let output = ReportOutput(
            header: header("summary of \(status.path)", scope: scope, summary: c.summary, samples: samples, now: now),
            rows: RowSet(columns: values.map(\.0), rows: [values.map(\.1)]), samplesLeftOut: samples, barColumn: nil, stackColumn: nil)
        return (output, values, bands)
    }
}
