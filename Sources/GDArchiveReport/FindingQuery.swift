import Foundation
import GDArchiveModel
import GDArchiveJSON
import GDArchiveQuery
import GDArchiveStore
import GRDB

/// Which timestamp `--since`/`--until` and timelines use.
public enum TimeField: String, CaseIterable, Sendable {
    case created, updated
    case firstSeen = "first-seen"
    case lastSeen = "last-seen"

    /// The short field it stands for.
    public var fieldName: String {
        switch self {
        case .created: return "created_at"
        case .updated: return "updated_at"
        case .firstSeen: return "first_seen"
        case .lastSeen: return "last_seen"
        }
    }
}

/// Everything `gdarchive query` can ask.
///
/// ```swift
/// var request = QueryRequest(filter: "severity >= 7")
/// request.since = "-7d"
/// let result = try FindingQuery.run(request, on: archive)
/// ```
public struct QueryRequest: Sendable {
    public var filter: String?
    public var allVersions = false
    public var since: String?
    public var until: String?
    public var timeField: TimeField = .updated
    public var fields: [String]? = nil
    public var sort: String?
    /// The direction: nil for the natural one (ascending with ``sort``, as SQL's ORDER BY;
    /// newest first without it, as if `--sort updated_at --desc`).
    public var descending: Bool? = nil
    public var limit: Int?
    public var includeSamples = false
    public var raw = false
    /// Says whether a dotted path the filter names is one findings can have: nil if it is, else
    /// the message and a hint (a typo such as `instanceid` is an error, not 0 rows). Nil: every
    /// path is taken as written.
    public var checkPath: PathChecker?
    /// What a dotted path reaches (see ``PathShape``); nil, or nil for a path: unknown.
    public var pathShape: PathShaper?

    public init(filter: String? = nil) {
        self.filter = filter
    }

    /// The columns the query prints: the stored JSON for `--raw`, else the fields.
    public var outputColumns: [String] { raw ? ["body"] : (fields ?? QueryRequest.defaultFields) }

    /// The fields printed when `--fields` is not given.
    public static let defaultFields = ["id", "updated_at", "severity_label", "severity", "type", "resource_type", "account_id", "region", "count"]
}

/// See ``QueryRequest/checkPath``.
public typealias PathChecker = @Sendable ([String]) -> (message: String, hint: String?)?

/// What a dotted path reaches in a finding, as GuardDuty's API model says (the CLI asks the
/// model; see ``QueryRequest/pathShape``). A path the model does not know is read as if it
/// might hold several values.
public enum PathShape: Sendable, Equatable {
    /// At most one value per version: no list lies on the path.
    case single
    /// Any number: a list lies on the path (`resource.s3BucketDetails.name`), or it names one.
    case several
    /// A structure or map, with the paths below it: no value to count or print by.
    case object(below: [String])
}

/// See ``QueryRequest/pathShape``.
public typealias PathShaper = @Sendable ([String]) -> PathShape?

/// What a query found.
public struct QueryResult: Sendable {
    public var rows: RowSet
    /// Sample findings that matched but were left out (0 with `--include-samples`).
    public var samplesLeftOut: Int
    public var filter: CompiledFilter
}

/// Why a query could not run: a filter error (with position), or a bad option value.
public enum QueryRequestError: Error, CustomStringConvertible, Equatable {
    case filter(QueryError, text: String, option: String)
    case unknownField(String, suggestions: [String])
    /// A path that holds an object, where a value is needed (`report by resource`).
    case objectField(String, below: [String])

    public var description: String {
        switch self {
        case .filter(let error, let text, let option):
            return (option.isEmpty ? "" : "in \(option): ") + error.rendered(filter: text)
        case .objectField(let name, let below):
            let shown = below.prefix(12).map { "'\($0)'" }.joined(separator: ", ") + (below.count > 12 ? ", … (\(below.count - 12) more)" : "")
            return "error: '\(name)' holds an object, not a value to count by\nhint: use a path below it: \(shown)"
        case .unknownField(let name, let suggestions):
            return "error: unknown field '\(name)'" + (suggestions.isEmpty ? "\nhint: run `gdarchive fields` to list the fields"
                : "\nhint: did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?")
        }
    }
}

/// Runs filters against the archive: latest versions by default, every version on request.
public enum FindingQuery {
    /// The indicators `i` (`kind`, `value`) of the version of row `f` whose kind is one of
    /// `count` kinds bound by name (migration 12): the version's range of
    /// `version_indicators` by kind, then each value by its id.
    static func versionIndicators(kinds count: Int) -> String {
        """
        (SELECT k.kind, iv.value FROM version_indicators vi
         CROSS JOIN indicator_values iv ON iv.value_id = vi.value_id CROSS JOIN indicator_kinds k ON k.kind_id = vi.kind_id
         WHERE vi.version_id = f.version_id AND \(FilterCompiler.kindCondition(Reports.kindColumn(kinds: count), kinds: count)))
        """
    }

    /// A dotted path (or a top-level member name) as its segments; nil for other names.
    static func pathSegments(_ name: String) throws -> [String]? {
        guard FieldCatalog.field(named: name) == nil, name.contains(".") || FieldCatalog.topLevelMembers.contains(name) else { return nil }
        let segments = name.split(separator: ".").map(String.init)
        guard segments.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) } }) else {
            throw QueryRequestError.unknownField(name, suggestions: [])
        }
        return segments
    }

    /// The SQL that selects one output field of a row `f`, its bindings, and whether it is a
    /// list (a JSON array of the values a path reaches through a list, ``PathShape/several``).
    static func selectExpression(for name: String, shape: PathShaper? = nil) throws -> (sql: String, bindings: [DatabaseValue], isList: Bool) {

        if let field = FieldCatalog.field(named: name) {
            switch field.storage {
            case .column(let column):
                return ("f." + quoteIdentifier(column), [], false)
            case .indicator(let kind):
                return ("(SELECT group_concat(value, ',') FROM (SELECT value FROM \(versionIndicators(kinds: 1)) ORDER BY value))", [kind.databaseValue], false)
            case .anyIOC:
                let kinds = FieldCatalog.iocKinds
                return ("(SELECT group_concat(kind || ':' || value, ',') FROM (SELECT kind, value FROM \(versionIndicators(kinds: kinds.count)) ORDER BY kind, value))",
                        kinds.map(\.databaseValue), false)
            }
        }
        if let segments = try pathSegments(name) {
            if shape?(segments) == .several {
                // Every value the path reaches through its lists, in body order (nulls left out).
                let leaves = FilterCompiler.pathLeaves(of: "f.body", alias: "pv", segments)
                return ("(SELECT json_group_array(pv.atom) FROM \(leaves.table) WHERE \(leaves.condition) AND pv.type != 'null')",
                        leaves.bindings.map(\.databaseValue), true)
            }
            return ("json_extract(f.body, ?)", [("$." + name).databaseValue], false)
        }
        throw QueryRequestError.unknownField(name, suggestions: FieldCatalog.suggestions(for: name))
    }

    /// Compiles the filter plus `--since`/`--until` into one condition.
    /// - Parameter rowsAreFindings: whether the rows are findings (their latest versions), on
    ///   which an indicator condition reaches every version (see ``CompileContext``); by
    ///   default, unless the request asks for every version.
    public static func compileConditions(_ request: QueryRequest, now: Int64, rowsAreFindings: Bool? = nil) throws -> (CompiledFilter, mentionsSample: Bool) {
        let context = CompileContext(nowMilliseconds: now, rowsAreFindings: rowsAreFindings ?? !request.allVersions)
        var compiled = CompiledFilter.all
        var mentionsSample = false
        if let text = request.filter, !text.trimmingCharacters(in: .whitespaces).isEmpty {
            do throws(QueryError) {
                let expression = try FilterParser.parse(text)
                mentionsSample = expression.mentions(field: "sample")
                if let check = request.checkPath {
                    for (field, position) in expression.fieldReferences {
                        guard case .path(let segments) = field, let problem = check(segments) else { continue }
                        throw QueryError(position: position, length: field.text.count, message: problem.message, hint: problem.hint)
                    }
                }
                compiled = try FilterCompiler.compile(expression, context: context)
            } catch {
                throw QueryRequestError.filter(error, text: text, option: "")
            }
        }
        var window = CompiledFilter.all
        for (option, value, op) in [("--since", request.since, ComparisonOperator.greaterOrEqual), ("--until", request.until, .less)] {
            guard let value else { continue }
            let signed = value.first == "-" || value.first == "+"
            let literal: Literal = value.lowercased() == "now" || signed && Timestamp.duration(value) != nil ? .relativeTime(value) : .string(value)
            do {
                window = window.and(try FilterCompiler.compile(.compare(.short(request.timeField.fieldName), op, literal, position: 0), context: context))
            } catch {
                throw QueryRequestError.filter(error, text: value, option: option)
            }
        }
        // The window: on version rows, the versions in it; on finding rows, the findings with a
        // version in it (not only those whose latest version is), the one rule of every command.
        if window.sql != "1" && context.rowsAreFindings {
            window.sql = "f.finding_key IN (SELECT f.finding_key FROM versions f WHERE \(window.sql))"
        }
        return (compiled.and(window), mentionsSample)
    }

    /// The versions in the `--since`/`--until` window, as a condition on version rows under
    /// the alias `f` (as every compiled filter is) with its bindings; nil without a window. The measures of finding rows (versions,
    /// occurrences) count these: one rule for query, report summary, report by and HTML.
    public static func windowCondition(_ request: QueryRequest, now: Int64) throws -> (sql: String, bindings: [QueryValue])? {
        guard request.since != nil || request.until != nil else { return nil }
        var plain = request
        plain.filter = nil
        plain.checkPath = nil
        let (compiled, _) = try compileConditions(plain, now: now, rowsAreFindings: false)
        return (compiled.sql, compiled.bindings)
    }

    public static func run(_ request: QueryRequest, on archive: Archive, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws -> QueryResult {
        try archive.read { try run(request, in: $0, now: now) }
    }

    /// ``run(_:on:now:)`` in `reader`'s snapshot.
    public static func run(_ request: QueryRequest, in reader: ArchiveReader, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws -> QueryResult {
        var rows: [[Cell]] = []
        let (columns, samples, conditions) = try stream(request, in: reader, now: now) { rows.append($0) }
        return QueryResult(rows: RowSet(columns: columns, rows: rows), samplesLeftOut: samples, filter: conditions)
    }

    /// Runs the query and hands each row to `body` as it is read, so that memory stays flat
    /// however many rows there are. Returns the column names, the sample findings left out and
    /// the compiled conditions.
    @discardableResult
    public static func stream(_ request: QueryRequest, on archive: Archive, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000),
                              _ body: ([Cell]) throws -> Void) throws -> (columns: [String], samplesLeftOut: Int, filter: CompiledFilter) {
        try archive.read { try stream(request, in: $0, now: now, body) }
    }

    /// ``stream(_:on:now:_:)`` in `reader`'s snapshot.
    @discardableResult
    public static func stream(_ request: QueryRequest, in reader: ArchiveReader, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000),
                              _ body: ([Cell]) throws -> Void) throws -> (columns: [String], samplesLeftOut: Int, filter: CompiledFilter) {
        let (conditions, mentionsSample) = try compileConditions(request, now: now)
        let view = request.allVersions ? "finding_versions" : "latest_findings"
        let fields = request.outputColumns
        var lists: [Bool] = []
        var selects: [String] = []
        var selectBindings: [DatabaseValue] = []
        for name in fields {
            if request.raw { selects.append("f.body"); continue }
            let (sql, bindings, isList) = try selectExpression(for: name, shape: request.pathShape)
            lists.append(isList)
            selects.append(sql + " AS " + quoteIdentifier(name))
            selectBindings += bindings
        }
        var order = "f.updated_at DESC, f.version_id DESC"
        var orderBindings: [DatabaseValue] = []
        if let sort = request.sort {
            let (sql, bindings, _) = try selectExpression(for: sort)
            order = sql + (request.descending == true ? " DESC" : " ASC") + ", f.version_id"
            orderBindings = bindings
        } else if request.descending == false {
            order = "f.updated_at ASC, f.version_id ASC"
        }
        let excludeSamples = !request.includeSamples && !mentionsSample
        let whereBindings = conditions.bindings.map(\.databaseValue)
        return try reader.withDatabase { db in
            var samples = 0
            if excludeSamples {
                samples = try reader.samplesLeftOut(rowsAreFindings: !request.allVersions, where: SQLCondition(sql: conditions.sql, bindings: whereBindings))
            }
            var sql = "SELECT \(selects.joined(separator: ", ")) FROM \(view) f WHERE (\(conditions.sql))"
            sql += SampleScope.leaveOut(excludeSamples, rowsAreFindings: !request.allVersions)
            sql += " ORDER BY \(order)"
            var arguments = selectBindings + whereBindings + orderBindings
            if let limit = request.limit {
                sql += " LIMIT ?"
                arguments.append(limit.databaseValue)
            }
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
            // Boolean fields are stored as 0/1; they are printed as booleans (jq reads 0 as true).
            let boolean = fields.map { !request.raw && FieldCatalog.field(named: $0)?.type == .bool }
            while let row = try cursor.next() {
                var cells = Array(row.databaseValues.map(Cell.init))
                for i in cells.indices where i < boolean.count && boolean[i] {
                    if case .int(let flag) = cells[i] { cells[i] = .bool(flag != 0) }
                }
                for i in cells.indices where i < lists.count && lists[i] {
                    if case .text(let array) = cells[i] { cells[i] = Cell(jsonArray: array) }
                }
                try body(cells)
            }
            return (fields, samples, conditions)
        }
    }
}

extension QueryValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .text(let s): return s.databaseValue
        case .integer(let i): return i.databaseValue
        case .real(let d): return d.databaseValue
        }
    }
}

extension Cell {
    /// A JSON array that SQLite wrote (`json_group_array`) as a list of its values; the text
    /// itself if it is not one.
    init(jsonArray text: String) {
        guard case .array(let elements)? = try? JSONParser.parse(Array(text.utf8)) else {
            self = .text(text)
            return
        }
        self = .list(elements.map { element in
            switch element {
            case .null: return .null
            case .bool(let flag): return .bool(flag)
            case .number(let literal):
                return Int64(literal).map(Cell.int) ?? Double(literal).flatMap { $0.isFinite ? Cell.double($0) : nil } ?? .text(literal)
            case .string(let string): return .text(string)
            case .array, .object: return .text(CanonicalJSON.string(element))
            }
        })
    }

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .text(s)
        case .blob(let data): self = .text(data.map { String(format: "%02x", $0) }.joined())
        }
    }
}
