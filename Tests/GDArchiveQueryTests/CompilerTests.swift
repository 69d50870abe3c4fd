import GDArchiveModel
import GDArchiveQuery
import Testing

/// 2025-01-10T00:00:00Z
let now: Int64 = 1_736_467_200_000
let context = CompileContext(nowMilliseconds: now)

func compile(_ text: String) throws -> CompiledFilter { try FilterCompiler.compile(text, context: context) }

@Suite struct CompilerTests {
    static let indicatorPrefix = "f.version_id IN (SELECT vi.version_id FROM indicator_values i CROSS JOIN version_indicators vi ON vi.value_id = i.value_id WHERE "
    static let treePrefix = "EXISTS (SELECT 1 FROM json_tree(vb.body, ?) t WHERE gdarchive_path(t.fullkey) = ? AND t.type NOT IN ('object', 'array') AND "

    @Test(arguments: [
        ("severity >= 7", #"f."severity" >= ?"#, [QueryValue.real(7)]),
        ("severity > high", #"f."severity" > ?"#, [.real(7)]),
        ("severity_label = critical", #"f."severity_label" = ?"#, [.text("critical")]),
        ("severity_label = 'HIGH'", #"f."severity_label" = ?"#, [.text("high")]),
        ("resource_type = 'Instance'", #"f."resource_type" = ?"#, [.text("Instance")]),
        ("account_id = 111122223333", #"f."account_id" = ?"#, [.text("111122223333")]),
        ("type != 'x'", #"NOT (f."type" = ?)"#, [.text("x")]),
        ("count between 2 and 10", #"f."count" BETWEEN ? AND ?"#, [.integer(2), .integer(10)]),
        ("type like 'UnauthorizedAccess:%'", #"f."type" LIKE ?"#, [.text("UnauthorizedAccess:%")]),
        ("type not like '%Probe%'", #"NOT (f."type" LIKE ?)"#, [.text("%Probe%")]),
        ("account_id in ('1', '2')", #"f."account_id" IN (?, ?)"#, [.text("1"), .text("2")]),
        ("region not in ('us-east-1')", #"NOT (f."region" IN (?))"#, [.text("us-east-1")]),
        ("action_type is null", #"f."action_type" IS NULL"#, []),
        ("action_type IS NOT NULL", #"f."action_type" IS NOT NULL"#, []),
        ("archived = true", #"f."archived" = ?"#, [.integer(1)]),
        ("updated_at > -7d", #"f."updated_at" > ?"#, [.text("2025-01-03T00:00:00.000Z")]),
        ("updated_at > -24h", #"f."updated_at" > ?"#, [.text("2025-01-09T00:00:00.000Z")]),
        ("updated_at <= now", #"f."updated_at" <= ?"#, [.text("2025-01-10T00:00:00.000Z")]),
        ("updated_at > -1y", #"f."updated_at" > ?"#, [.text("2024-01-11T00:00:00.000Z")]),  // 365 days (2024 has 366)
        ("updated_at < +90s", #"f."updated_at" < ?"#, [.text("2025-01-10T00:01:30.000Z")]),
        ("created_at >= '2024-05-01'", #"f."created_at" >= ?"#, [.text("2024-05-01T00:00:00.000Z")]),
        ("first_seen < '2024-05-01T12:00:00+02:00'", #"f."first_seen" < ?"#, [.text("2024-05-01T10:00:00.000Z")]),
        ("a = 1 or b = 2".replacingOccurrences(of: "a", with: "count").replacingOccurrences(of: "b =", with: "confidence ="),
         #"(f."count" = ?) OR (f."confidence" = ?)"#, [.integer(1), .real(2)]),
        ("not (archived = false)", #"NOT (f."archived" = ?)"#, [.integer(0)]),
        ("remote_ip = '198.51.100.7'", indicatorPrefix + "i.kind_id IN (SELECT kind_id FROM indicator_kinds WHERE kind = ?) AND i.value = ?)", [.text("remote_ip"), .text("198.51.100.7")]),
        ("remote_ip != '198.51.100.7'", "f.version_id NOT IN (SELECT vi.version_id FROM indicator_values i CROSS JOIN version_indicators vi ON vi.value_id = i.value_id WHERE i.kind_id IN (SELECT kind_id FROM indicator_kinds WHERE kind = ?) AND i.value = ?)", [.text("remote_ip"), .text("198.51.100.7")]),
        ("domain = 'C2.Example.NET'", indicatorPrefix + "i.kind_id IN (SELECT kind_id FROM indicator_kinds WHERE kind = ?) AND i.value IN (?, ?))", [.text("domain"), .text("C2.Example.NET"), .text("c2.example.net")]),
        ("local_port < 1024", indicatorPrefix + "i.kind_id IN (SELECT kind_id FROM indicator_kinds WHERE kind = ?) AND CAST(i.value AS INTEGER) < ?)", [.text("local_port"), .integer(1024)]),
        ("bucket is null", "f.version_id NOT IN (SELECT vi.version_id FROM indicator_values i CROSS JOIN version_indicators vi ON vi.value_id = i.value_id WHERE i.kind_id IN (SELECT kind_id FROM indicator_kinds WHERE kind = ?))", [.text("bucket")]),
        // A path: json_extract where no array lies on it, the json_tree walk where one does.
        ("service.count > 5",
         "EXISTS (SELECT 1 FROM version_bodies vb WHERE vb.version_id = f.version_id AND CASE WHEN json_type(vb.body, ?) IS NOT NULL THEN "
            + "CASE json_type(vb.body, ?) WHEN 'array' THEN " + treePrefix + "t.atom > ?) WHEN 'object' THEN 0 ELSE coalesce(json_extract(vb.body, ?) > ?, 0) END "
            + "WHEN json_type(vb.body, ?) = 'array' THEN " + treePrefix + "t.atom > ?) ELSE 0 END)",
         [.text("$.service.count"), .text("$.service.count"), .text("$.service"), .text("$.service.count"), .integer(5), .text("$.service.count"), .integer(5),
          .text("$.service"), .text("$.service"), .text("$.service.count"), .integer(5)]),
        ("resource.s3BucketDetails.name like 'prod-%'",
         "EXISTS (SELECT 1 FROM version_bodies vb WHERE vb.version_id = f.version_id AND CASE WHEN json_type(vb.body, ?) IS NOT NULL THEN "
            + "CASE json_type(vb.body, ?) WHEN 'array' THEN " + treePrefix + "t.atom LIKE ?) WHEN 'object' THEN 0 ELSE coalesce(json_extract(vb.body, ?) LIKE ?, 0) END "
            + "WHEN coalesce(json_type(vb.body, ?), json_type(vb.body, ?)) = 'array' THEN " + treePrefix + "t.atom LIKE ?) ELSE 0 END)",
         [.text("$.resource.s3BucketDetails.name"), .text("$.resource.s3BucketDetails.name"), .text("$.resource"), .text("$.resource.s3BucketDetails.name"), .text("prod-%"),
          .text("$.resource.s3BucketDetails.name"), .text("prod-%"), .text("$.resource.s3BucketDetails"), .text("$.resource"),
          .text("$.resource"), .text("$.resource.s3BucketDetails.name"), .text("prod-%")]),
        ("description is not null",
         "EXISTS (SELECT 1 FROM version_bodies vb WHERE vb.version_id = f.version_id AND CASE WHEN json_type(vb.body, ?) IS NOT NULL THEN json_type(vb.body, ?) != 'null' "
            + "WHEN 0 THEN EXISTS (SELECT 1 FROM json_tree(vb.body, ?) t WHERE gdarchive_path(t.fullkey) = ? AND t.type != 'null') ELSE 0 END)",
         [.text("$.description"), .text("$.description"), .text("$.description"), .text("$.description")]),
    ])
    func compilesToSQLAndBindings(filter: String, sql: String, bindings: [QueryValue]) throws {
        let compiled = try compile(filter)
        #expect(compiled.sql == sql)
        #expect(compiled.bindings == bindings)
    }

    @Test func andBindsTighterThanOr() throws {
        let compiled = try compile("count = 1 or count = 2 and archived = true")
        #expect(compiled.sql == #"(f."count" = ?) OR ((f."count" = ?) AND (f."archived" = ?))"#)
        #expect(compiled.summary == "count = 1 or count = 2 and archived = true")
        #expect(try compile("(count = 1 or count = 2) and archived = true").summary == "(count = 1 or count = 2) and archived = true")
    }

    @Test func iocSearchesEveryIOCKindButNotAttributes() throws {
        let compiled = try compile("ioc = 'x'")
        let kinds = compiled.bindings.dropLast().compactMap { if case .text(let s) = $0 { return s } else { return nil } }
        #expect(Set(kinds) == Set(FieldCatalog.iocKinds))
        #expect(kinds.contains("remote_ip") && kinds.contains("sha256") && !kinds.contains("api") && !kinds.contains("local_port"))
    }

    @Test func keywordsAreCaseInsensitive() throws {
        #expect(try compile("COUNT BETWEEN 1 AND 2 AND TYPE LIKE 'x' OR NOT ARCHIVED = TRUE").sql ==
            #"((f."count" BETWEEN ? AND ?) AND (f."type" LIKE ?)) OR (NOT (f."archived" = ?))"#)
    }
}

@Suite struct FilterErrorTests {
    /// Marked text: `⏵` marks where the error must point (it is removed from the filter).
    @Test(arguments: [
        ("⏵severty >= 7", "unknown field 'severty'", "did you mean 'severity'?"),
        ("severity >= ⏵", "expected a value", nil),
        ("severity ⏵~ 7", "unexpected '~'", nil),
        ("⏵resource_type = 5 and", "", nil),
        ("type = 'x' ⏵type = 'y'", "after a complete condition", "combine conditions with and / or"),
        ("type = ⏵\"x\"", "is not a string quote here", "write strings in single quotes: 'value'"),
        ("type = ⏵'open", "this string is not closed", nil),
        ("⏵severity = 'abc'", "severity compares with a number", nil),
        ("⏵updated_at > 'yesterday'", "updated_at compares with a timestamp", nil),
        ("⏵updated_at > 7d", "updated_at compares with a timestamp", "write -7d for 7d ago, or +7d for 7d ahead"),
        ("⏵severity_label = severe", "low, medium, high or critical", nil),
        ("⏵count like '1%'", "like compares text", nil),
        ("(count = 1 ⏵", "expected ')'", nil),
        ("count is ⏵1", "expected null after is", nil),
        ("type = 'a' ⏵; drop table versions", "unexpected ';'", "a filter is one expression; combine conditions with and / or"),
        ("⏵", "the filter is empty", nil),
        ("⏵severity = high", "severity compares with a number", "for a band use severity_label = high, or severity >= high"),
        ("count = 1 and ⏵and", "expected a field name", nil),
    ])
    func pointsAtTheProblem(marked: String, message: String, hint: String?) throws {
        let position = marked.distance(from: marked.startIndex, to: marked.firstIndex(of: "⏵")!)
        let filter = marked.replacingOccurrences(of: "⏵", with: "")
        if message.isEmpty {
            // resource_type = 5 is fine (text accepts numbers): this filter fails at its end.
            let error = #expect(throws: QueryError.self) { try compile(filter) }
            #expect(error?.position == filter.count)
            return
        }
        let error = #expect(throws: QueryError.self) { try compile(filter) }
        #expect(error?.position == position, "\(error?.message ?? "")")
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        if let hint { #expect(error?.hint == hint) }
    }

    @Test func rendersTheFilterWithACaret() throws {
        let error = try #require(#expect(throws: QueryError.self) { try compile("type = 'x' and severty >= 7") })
        #expect(error.rendered(filter: "type = 'x' and severty >= 7") == """
            error: unknown field 'severty'
              type = 'x' and severty >= 7
                             ^~~~~~~
            hint: did you mean 'severity'?
            """)
    }
}

@Suite struct InjectionTests {
    static let hostile = [
        "'; DROP TABLE versions; --", "x' OR '1'='1", "a\"b", "/* comment */", "-- comment", "\u{0}NUL\u{0}",
        "Robert'); DELETE FROM findings; --", "\\", "%_", "\u{1b}[31m", "' UNION SELECT body FROM finding_versions --",
    ]

    @Test(arguments: hostile)
    func hostileValuesTravelOnlyAsBindings(value: String) throws {
        let literal = "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        for filter in ["title = \(literal)", "remote_ip = \(literal)", "service.action.api like \(literal)", "type in (\(literal), 'b')"] {
            let compiled = try compile(filter)
            #expect(compiled.bindings.contains(.text(value)), "\(filter)")
            #expect(!compiled.sql.contains(value), "\(filter) leaked into \(compiled.sql)")
        }
    }

    @Test(arguments: ["title\u{0} = 'x'", "ti\"tle = 'x'", "service.\"x\" = 1", "a;b = 1", "service.a-b = 1", "x/*c*/ = 1"])
    func hostileFieldNamesAreRejected(filter: String) {
        #expect(throws: QueryError.self) { try compile(filter) }
    }

    @Test func anyStringLiteralRoundTripsThroughBindings() throws {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let pool: [Character] = ["'", "\"", ";", "-", "/", "*", "\\", "%", "_", "\u{0}", "\n", "\t", "a", "Z", "é", "😀", " ", "(", ")"]
        for _ in 0..<3000 {
            let value = String((0..<Int(next() % 20)).map { _ in pool[Int(next() % UInt64(pool.count))] })
            let filter = "title = '" + value.replacingOccurrences(of: "'", with: "''") + "'"
            let compiled = try compile(filter)
            #expect(compiled.bindings == [.text(value)])
            #expect(compiled.sql == #"f."title" = ?"#)
        }
    }
}

@Suite struct PrinterTests {
    @Test(arguments: [
        "severity >= 7 and resource_type = 'Instance' and updated_at > -7d",
        "type like 'UnauthorizedAccess:%' and account_id in ('111122223333', '444455556666')",
        "not (count = 1 or archived = true) and title = 'it''s'",
        "ioc = '198.51.100.7' or service.action.awsApiCallAction.api = 'GetSecretValue'",
        "count not between 1 and 5 and bucket is not null and type not like '%x%' and region not in ('a')",
        "not not archived = false",
        "(a.b = 1 or c.d = 2) and (e.f = 3 or g.h = 4)",
    ])
    func printingAndParsingAgainGivesTheSameSQL(filter: String) throws {
        let expression = try FilterParser.parse(filter)
        let reparsed = try FilterParser.parse(expression.text)
        #expect(try FilterCompiler.compile(reparsed, context: context) == FilterCompiler.compile(expression, context: context))
        #expect(reparsed.text == expression.text)
    }
}
