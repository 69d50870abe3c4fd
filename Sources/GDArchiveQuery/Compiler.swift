import GDArchiveModel

/// A value bound to a `?` placeholder.
public enum QueryValue: Equatable, Sendable {
    case text(String)
    case integer(Int64)
    case real(Double)
}

/// A compiled filter: an SQL boolean expression over the alias `f` (a row of
/// `latest_findings` or `finding_versions`) with `?` placeholders, the values to bind, and a
/// normalised English-like summary for report headers.
///
/// ```swift
/// let compiled = try FilterCompiler.compile("severity >= 7 and resource_type = 'Instance'", context: .init(nowMilliseconds: 0))
/// compiled.sql        // (f."severity" >= ?) AND (f."resource_type" = ?)
/// compiled.bindings   // [.real(7.0), .text("Instance")]
/// ```
public struct CompiledFilter: Equatable, Sendable {
    public var sql: String
    public var bindings: [QueryValue]
    public var summary: String

    public init(sql: String, bindings: [QueryValue], summary: String) {
        self.sql = sql
        self.bindings = bindings
        self.summary = summary
    }

    /// A filter that keeps everything.
    public static let all = CompiledFilter(sql: "1", bindings: [], summary: "")

    /// Both conditions.
    public func and(_ other: CompiledFilter) -> CompiledFilter {
        if other.sql == "1" { return self }
        if sql == "1" { return other }
        return CompiledFilter(sql: "(\(sql)) AND (\(other.sql))", bindings: bindings + other.bindings,
                              summary: [summary, other.summary].filter { !$0.isEmpty }.joined(separator: " and "))
    }
}

/// What compiling needs besides the filter: the current time for relative times.
public struct CompileContext: Sendable {
    public var nowMilliseconds: Int64
    /// Whether the rows `f` are findings (their latest versions: `query`, `report by`,
    /// `report summary`) rather than versions (`query --all-versions`, timelines). On finding
    /// rows an indicator condition reaches the finding's history: it matches when any version
    /// of the finding carried the value (a hunt for an IP seen only in an older version finds
    /// it); on version rows, when that version carries it.
    public var rowsAreFindings: Bool
    public init(nowMilliseconds: Int64, rowsAreFindings: Bool = false) {
        self.nowMilliseconds = nowMilliseconds
        self.rowsAreFindings = rowsAreFindings
    }
}

/// The one identifier-quoting function: `name` → `"name"` with `"` doubled.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Compiles filters to SQL. Every value from the filter is bound; field names come from
/// ``FieldCatalog`` and paths travel as bound JSON-path strings, so nothing the user typed is
/// ever part of the SQL text.
///
/// - Throws: ``QueryError`` for unknown fields, values of the wrong type, or bad syntax.
public enum FilterCompiler {
    public static func compile(_ text: String, context: CompileContext) throws(QueryError) -> CompiledFilter {
        try compile(try FilterParser.parse(text), context: context)
    }

    public static func compile(_ expression: FilterExpression, context: CompileContext) throws(QueryError) -> CompiledFilter {
        var bindings: [QueryValue] = []
        let sql = try emit(expression, context: context, bindings: &bindings)
        return CompiledFilter(sql: sql, bindings: bindings, summary: expression.text)
    }

    /// The SQL function the archive registers to drop array indexes from a `json_tree` key:
    /// `$.a[0].b` → `$.a.b`.
    public static let pathFunction = "gdarchive_path"
    /// The one reading of a dotted path, shared by filters, `report by`, `timeline --by` and
    /// `--fields`: every value (not an object or array) that `segments` reach in `body`,
    /// through arrays at any depth (`$.a[0].b` is `$.a.b`), as the rows of a `json_tree` named
    /// `alias` that `condition` picks (their value is `alias.atom`). The bindings, in order:
    /// the tree's root, then the path.
    public static func pathLeaves(of body: String, alias: String, _ segments: [String]) -> (table: String, condition: String, bindings: [QueryValue]) {
        ("json_tree(\(body), ?) \(alias)", "\(pathFunction)(\(alias).fullkey) = ? AND \(alias).type NOT IN ('object', 'array')",
         [.text("$." + segments[0]), .text("$." + segments.joined(separator: "."))])
    }

    /// The archive's SQL function `gdarchive_cidr_contains(cidr, ip)` (see ``CIDR``).
    public static let cidrFunction = "gdarchive_cidr_contains"

    /// The versions carrying indicator values `i` (of `indicator_values`, migration 12), to be
    /// followed by a ``kindCondition(_:kinds:)`` on `i.kind_id` and conditions on `i.value`:
    /// the values are found first (by their (kind, value) key, or the kind's values read for a
    /// LIKE), then their versions.
    static let indicatorVersions = "SELECT vi.version_id FROM indicator_values i CROSS JOIN version_indicators vi ON vi.value_id = i.value_id"

    /// The condition that `column`, an indicator `kind_id`, is one of `count` kinds bound by
    /// name (the ids are the archive's, migration 12):
    ///
    /// ```swift
    /// FilterCompiler.kindCondition("i.kind_id", kinds: 1)
    /// // i.kind_id IN (SELECT kind_id FROM indicator_kinds WHERE kind = ?)
    /// ```
    public static func kindCondition(_ column: String, kinds count: Int) -> String {
        "\(column) IN (SELECT kind_id FROM indicator_kinds WHERE kind \(count == 1 ? "= ?" : "IN (\(Array(repeating: "?", count: count).joined(separator: ", ")))"))"
    }

    private static func emit(_ e: FilterExpression, context: CompileContext, bindings: inout [QueryValue]) throws(QueryError) -> String {
        switch e {
        case .and, .or:
            // A chain of one operator is written as a balanced tree, `((a) AND (b)) AND ((c) AND
            // (d))`: nested two by two as parsed, a long chain would nest as deep as it is
            // long, past SQLite's parser stack and its expression depth (1,000).
            let isAnd: Bool
            if case .and = e { isAnd = true } else { isAnd = false }
            var operands: [FilterExpression] = []
            var pending = [e]
            while let next = pending.popLast() {
                switch next {
                case .and(let a, let b) where isAnd: pending += [b, a]
                case .or(let a, let b) where !isAnd: pending += [b, a]
                default: operands.append(next)
                }
            }
            var parts: [String] = []
            for operand in operands { parts.append("(" + (try emit(operand, context: context, bindings: &bindings)) + ")") }
            let separator = isAnd ? " AND " : " OR "
            func balanced(_ slice: ArraySlice<String>) -> String {
                if slice.count <= 4 { return slice.joined(separator: separator) }
                let middle = slice.startIndex + slice.count / 2
                return "(" + balanced(slice[..<middle]) + ")" + separator + "(" + balanced(slice[middle...]) + ")"
            }
            return balanced(parts[...])
        case .not(let inner):
            return "NOT (\(try emit(inner, context: context, bindings: &bindings)))"
        case .compare(let field, let op, let literal, let position):
            let target = try resolve(field, position: position, context: context)
            if case .string(let text) = literal, target.isIPIndicator, op == .equal || op == .notEqual, CIDR.isMeantAsNetwork(text) {
                // A network: every address value in it (`remote_ip = '198.51.100.0/24'`).
                guard CIDR(text) != nil else {
                    throw QueryError(position: position, length: field.text.count, message: "'\(text)' is not a network in CIDR notation",
                                     hint: "write an address, or a network such as '198.51.100.0/24' or '2001:db8::/32'")
                }
                let predicate = Predicate(sql: { "\(FilterCompiler.cidrFunction)(?, \($0))" }, values: [.text(text)], expanded: true)
                return try target.emit(predicate, negated: op == .notEqual, bindings: &bindings)
            }
            let value = try convert(literal, for: target, op: op, position: position, context: context)
            let sqlOp = op == .notEqual ? "=" : op.rawValue
            let predicate = Predicate(sql: { "\($0) \(sqlOp) ?" }, values: [value])
            return try target.emit(predicate, negated: op == .notEqual, bindings: &bindings)
        case .like(let field, let literal, let negated, let position):
            let target = try resolve(field, position: position, context: context)
            guard target.type == .text || target.type == .severityLabel || target.isPath else {
                throw QueryError(position: position, length: field.text.count, message: "like compares text, and \(field.text) is \(target.type.rawValue)",
                                 hint: "use =, <, >, between or in")
            }
            let value = try convert(literal, for: target, op: .equal, position: position, context: context, forLike: true)
            return try target.emit(Predicate(sql: { "\($0) LIKE ?" }, values: [value]), negated: negated, bindings: &bindings)
        case .isIn(let field, let literals, let negated, let position):
            let target = try resolve(field, position: position, context: context)
            var values: [QueryValue] = []
            for literal in literals { values += target.variants(of: try convert(literal, for: target, op: .equal, position: position, context: context)) }
            let placeholders = Array(repeating: "?", count: values.count).joined(separator: ", ")
            return try target.emit(Predicate(sql: { "\($0) IN (\(placeholders))" }, values: values, expanded: true), negated: negated, bindings: &bindings)
        case .between(let field, let low, let high, let negated, let position):
            let target = try resolve(field, position: position, context: context)
            let values = [try convert(low, for: target, op: .greaterOrEqual, position: position, context: context),
                          try convert(high, for: target, op: .lessOrEqual, position: position, context: context)]
            return try target.emit(Predicate(sql: { "\($0) BETWEEN ? AND ?" }, values: values), negated: negated, bindings: &bindings)
        case .isNull(let field, let negated, let position):
            let target = try resolve(field, position: position, context: context)
            return target.emitNull(negated: negated, bindings: &bindings)
        }
    }

    /// `$.a`, `$.a.b`, … (every prefix of a path) when no key needs quoting in an SQLite JSON
    /// path; nil otherwise.
    static func jsonPaths(_ segments: [String]) -> [String]? {
        let plain = segments.allSatisfy { segment in
            !segment.isEmpty && segment.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
        }
        guard plain else { return nil }
        var path = "$"
        return segments.map { path += "." + $0; return path }
    }

    /// True in SQL when the deepest of `prefixes` that exists in the body is an array: the
    /// rest of the path lies inside its elements.
    static func arrayOnPath(_ prefixes: ArraySlice<String>) -> (String, [QueryValue]) {
        switch prefixes.count {
        case 0: return ("0", [])
        case 1: return ("json_type(vb.body, ?) = 'array'", [.text(prefixes.first!)])
        default:
            let deepestFirst = prefixes.reversed().map { QueryValue.text($0) }
            return ("coalesce(\(Array(repeating: "json_type(vb.body, ?)", count: deepestFirst.count).joined(separator: ", "))) = 'array'", deepestFirst)
        }
    }

    /// SQL text and its bindings, built together so that they stay in order.
    struct SQLText {
        var text = ""
        var bindings: [QueryValue] = []
        mutating func add(_ sql: String, _ values: [QueryValue] = []) {
            text += sql
            bindings += values
        }
        mutating func add(_ part: (String, [QueryValue])) { add(part.0, part.1) }
    }

    /// A condition on one value expression, before it is placed in its context.
    struct Predicate {
        var sql: (String) -> String
        var values: [QueryValue]
        /// Already includes the case variants of indicator values.
        var expanded = false
    }

    /// Where a field's values are and how to test them.
    struct Target {
        enum Place { case column(String), indicator([String]), path([String]) }
        var place: Place
        var type: FieldType
        var name: String
        var isPath: Bool { if case .path = place { return true } else { return false } }
        /// An indicator condition on finding rows: any version of the finding (see
        /// ``CompileContext/rowsAreFindings``).
        var historyWide = false

        /// `f` is (not) one of the rows with a version in `versions` (a subquery of version ids).
        func rows(in versions: String, negated: Bool) -> String {
            historyWide
                ? "f.finding_key \(negated ? "NOT IN" : "IN") (SELECT hv.finding_key FROM versions hv WHERE hv.version_id IN (\(versions)))"
                : "f.version_id \(negated ? "NOT IN" : "IN") (\(versions))"
        }
        /// An indicator of IP addresses (or `ioc`, which includes them).
        var isIPIndicator: Bool {
            guard case .indicator(let kinds) = place else { return false }
            return kinds.contains { $0.hasSuffix("_ip") }
        }
        var lowercasesValues: Bool { name == "ioc" || name == "domain" || name == "sha256" }

        /// Values an indicator is compared with: as written, and as the archive stores it for
        /// each kind the field searches (``IndicatorValue``: a domain lower-cased without its
        /// trailing dot, a hexadecimal hash lower-cased).
        func variants(of value: QueryValue) -> [QueryValue] {
            guard lowercasesValues, case .indicator(let kinds) = place, case .text(let s) = value else { return [value] }
            var out = [value]
            for kind in kinds {
                if let stored = IndicatorValue.normalize(s, kind: kind), !out.contains(.text(stored)) { out.append(.text(stored)) }
            }
            return out
        }

        func emit(_ predicate: Predicate, negated: Bool, bindings: inout [QueryValue]) throws(QueryError) -> String {
            switch place {
            case .column(let column):
                bindings += predicate.values
                let sql = predicate.sql("f." + quoteIdentifier(column))
                return negated ? "NOT (\(sql))" : sql
            case .indicator(let kinds):
                bindings += kinds.map { .text($0) }
                let kindSQL = FilterCompiler.kindCondition("i.kind_id", kinds: kinds.count)
                let valueExpression = type == .integer ? "CAST(i.value AS INTEGER)" : "i.value"
                var values = predicate.values
                var sql = predicate.sql(valueExpression)
                if !predicate.expanded && lowercasesValues && predicate.values.count == 1 && sql.hasSuffix("= ?") {
                    values = variants(of: predicate.values[0])
                    if values.count > 1 { sql = "\(valueExpression) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))" }
                }
                bindings += values
                // "Versions that have such an indicator": the (kind, value) key finds the value
                // (a LIKE reads the distinct values, not every version's), its versions are one
                // range of version_indicators, and each is then a primary-key lookup.
                return rows(in: "\(FilterCompiler.indicatorVersions) WHERE \(kindSQL) AND \(sql)", negated: negated)
            case .path(let segments):
                // Any value at the path matches, through arrays at any depth (`json_tree`).
                func tree() -> (String, [QueryValue]) {
                    let leaves = FilterCompiler.pathLeaves(of: "vb.body", alias: "t", segments)
                    return ("EXISTS (SELECT 1 FROM \(leaves.table) WHERE \(leaves.condition) AND \(predicate.sql("t.atom")))", leaves.bindings + predicate.values)
                }
                var sql = SQLText()
                sql.add("EXISTS (SELECT 1 FROM version_bodies vb WHERE vb.version_id = f.version_id AND ")
                if let prefixes = FilterCompiler.jsonPaths(segments) {
                    // Fast: when no array lies on the path, json_extract reads its one value;
                    // the json_tree walk is left for the bodies where an array does.
                    let full = QueryValue.text(prefixes.last!)
                    sql.add("CASE WHEN json_type(vb.body, ?) IS NOT NULL THEN CASE json_type(vb.body, ?) WHEN 'array' THEN ", [full, full])
                    sql.add(tree())
                    sql.add(" WHEN 'object' THEN 0 ELSE coalesce(")
                    sql.add(predicate.sql("json_extract(vb.body, ?)"), [full] + predicate.values)
                    sql.add(", 0) END WHEN ")
                    sql.add(FilterCompiler.arrayOnPath(prefixes.dropLast()))
                    sql.add(" THEN ")
                    sql.add(tree())
                    sql.add(" ELSE 0 END")
                } else {
                    sql.add(tree())
                }
                sql.add(")")
                bindings += sql.bindings
                let exists = sql.text
                return negated ? "NOT \(exists)" : exists
            }
        }

        func emitNull(negated: Bool, bindings: inout [QueryValue]) -> String {
            switch place {
            case .column(let column):
                return "f.\(quoteIdentifier(column)) IS \(negated ? "NOT NULL" : "NULL")"
            case .indicator(let kinds):
                bindings += kinds.map { .text($0) }
                let kindSQL = FilterCompiler.kindCondition("i.kind_id", kinds: kinds.count)
                return rows(in: "\(FilterCompiler.indicatorVersions) WHERE \(kindSQL)", negated: !negated)
            case .path(let segments):
                // "Has a non-null value at the path", through arrays at any depth.
                let tree = ("EXISTS (SELECT 1 FROM json_tree(vb.body, ?) t WHERE \(FilterCompiler.pathFunction)(t.fullkey) = ? AND t.type != 'null')",
                            [QueryValue.text("$." + segments[0]), .text("$." + segments.joined(separator: "."))])
                var sql = SQLText()
                sql.add("\(negated ? "" : "NOT ")EXISTS (SELECT 1 FROM version_bodies vb WHERE vb.version_id = f.version_id AND ")
                if let prefixes = FilterCompiler.jsonPaths(segments) {
                    let full = QueryValue.text(prefixes.last!)
                    sql.add("CASE WHEN json_type(vb.body, ?) IS NOT NULL THEN json_type(vb.body, ?) != 'null' WHEN ", [full, full])
                    sql.add(FilterCompiler.arrayOnPath(prefixes.dropLast()))
                    sql.add(" THEN ")
                    sql.add(tree)
                    sql.add(" ELSE 0 END")
                } else {
                    sql.add(tree)
                }
                sql.add(")")
                bindings += sql.bindings
                return sql.text
            }
        }
    }

    static func resolve(_ field: FieldReference, position: Int, context: CompileContext) throws(QueryError) -> Target {
        var target = try resolve(field, position: position)
        target.historyWide = context.rowsAreFindings
        return target
    }

    static func resolve(_ field: FieldReference, position: Int) throws(QueryError) -> Target {
        switch field {
        case .path(let segments):
            return Target(place: .path(segments), type: .text, name: field.text)
        case .short(let name):
            guard let known = FieldCatalog.field(named: name) else {
                throw QueryError(position: position, length: name.count, message: "unknown field '\(name)'")
            }
            switch known.storage {
            case .column(let column): return Target(place: .column(column), type: known.type, name: known.name)
            case .indicator(let kind): return Target(place: .indicator([kind]), type: known.type, name: known.name)
            case .anyIOC: return Target(place: .indicator(FieldCatalog.iocKinds), type: .text, name: known.name)
            }
        }
    }

    static let severityBounds: [String: Double] = ["low": 1, "medium": 4, "high": 7, "critical": 9]

    static func convert(_ literal: Literal, for target: Target, op: ComparisonOperator, position: Int,
                        context: CompileContext, forLike: Bool = false) throws(QueryError) -> QueryValue {
        func fail(_ expected: String, hint: String? = nil) -> QueryError {
            QueryError(position: position, length: target.name.count, message: "\(target.name) compares with \(expected), not \(literal.text)", hint: hint)
        }
        if target.isPath {
            switch literal {
            case .string(let s), .word(let s): return .text(s)
            case .number(let n): return Int64(n).map(QueryValue.integer) ?? .real(Double(n) ?? 0)
            case .bool(let b): return .integer(b ? 1 : 0)
            case .relativeTime:
                throw fail("a string, number or true/false", hint: "paths compare with the JSON value as stored; write timestamps as they appear, in quotes")
            }
        }
        switch target.type {
        case .text:
            switch literal {
            case .string(let s), .word(let s), .number(let s): return .text(s)
            default: throw fail("text", hint: "write text in single quotes: '…'")
            }
        case .severityLabel:
            switch literal {
            case .string(let s), .word(let s):
                let label = s.lowercased()
                if forLike || severityBounds[label] != nil { return .text(label) }
                throw fail("low, medium, high or critical")
            default: throw fail("low, medium, high or critical")
            }
        case .number, .integer:
            switch literal {
            case .number(let n), .string(let n):
                if target.type == .integer, let i = Int64(n) { return .integer(i) }
                if target.type == .number, let d = Double(n) { return .real(d) }
                throw fail(target.type == .integer ? "a whole number" : "a number")
            case .word(let w) where target.name == "severity":
                guard let bound = severityBounds[w.lowercased()] else { throw fail("a number or low, medium, high, critical") }
                guard op != .equal && op != .notEqual else {
                    throw fail("a number", hint: "for a band use severity_label = \(w.lowercased()), or severity >= \(w.lowercased())")
                }
                return .real(bound)
            default: throw fail("a number")
            }
        case .timestamp:
            switch literal {
            case .string(let s):
                guard let ms = Timestamp.parse(s) else {
                    throw fail("a timestamp", hint: "write '2024-05-01', '2024-05-01T12:00:00Z' or a relative time such as -7d")
                }
                return .text(Timestamp.format(epochMilliseconds: ms))
            case .relativeTime(let r):
                guard let ms = relativeTime(r, now: context.nowMilliseconds) else {
                    throw fail("a timestamp", hint: r.first?.isNumber == true ? "write -\(r) for \(r) ago, or +\(r) for \(r) ahead" : nil)
                }
                return .text(Timestamp.format(epochMilliseconds: ms))
            default:
                throw fail("a timestamp", hint: "write '2024-05-01', '2024-05-01T12:00:00Z', now, or a relative time such as -30m, -24h, -7d, -2w, -1y")
            }
        case .bool:
            switch literal {
            case .bool(let b): return .integer(b ? 1 : 0)
            case .number("0"), .string("false"): return .integer(0)
            case .number("1"), .string("true"): return .integer(1)
            default: throw fail("true or false")
            }
        }
    }

    /// A point in time as users write it on the command line: a relative time (`now`, `-7d`)
    /// or a timestamp or date (UTC unless it has an offset). Milliseconds, or nil.
    public static func time(_ text: String, now: Int64) -> Int64? {
        relativeTime(text, now: now) ?? Timestamp.parse(text)
    }

    /// `now`, `-7d`, `+30m`, `-1y`, … relative to `now` (milliseconds); the units are
    /// ``Timestamp/durationUnits``. The sign is required: `7d` alone (ago? from now?) is not a
    /// time.
    public static func relativeTime(_ text: String, now: Int64) -> Int64? {
        if text.lowercased() == "now" { return now }
        guard text.first == "-" || text.first == "+", let offset = Timestamp.duration(text) else { return nil }
        let (sum, overflow) = now.addingReportingOverflow(offset)
        return overflow ? nil : sum
    }
}
