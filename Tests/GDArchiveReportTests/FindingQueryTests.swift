import Foundation
import GDArchiveIngest
import GDArchiveQuery
import GDArchiveReport
import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

/// An archive holding the given JSON lines.
func archive(with lines: [String]) throws -> (TemporaryDirectory, Archive) {
    let tmp = try TemporaryDirectory()
    let archive = try Archive.open(path: tmp.path("a.sqlite"))
    let input = try tmp.write("input.jsonl", lines.joined(separator: "\n") + "\n")
    _ = try Importer(archive: archive, command: "test") { _ in }.run(inputs: [input])
    return (tmp, archive)
}

func finding(_ id: String, updated: String = "2025-01-01T00:00:00Z", count: Int = 1, extra: String = "") -> String {
    #"{"id":"\#(id)","accountId":"111122223333","region":"us-east-1","type":"T","severity":5,"updatedAt":"\#(updated)","service":{"count":\#(count)}\#(extra)}"#
}

func ids(_ request: QueryRequest, _ archive: Archive) throws -> [String] {
    var request = request
    request.fields = ["id"]
    request.sort = "id"
    return try FindingQuery.run(request, on: archive).rows.rows.map { if case .text(let s) = $0[0] { return s } else { return "?" } }
}

@Suite struct FindingQueryTests {
    @Test func aPathThroughAnArrayMatchesAnyElementAndNothingElse() throws {
        let (tmp, a) = try archive(with: [
            finding("two-buckets", extra: #","resource":{"s3BucketDetails":[{"name":"logs"},{"name":"secrets"}]}"#),
            finding("one-bucket", extra: #","resource":{"s3BucketDetails":[{"name":"public"}]}"#),
            finding("no-bucket"),
        ])
        defer { withExtendedLifetime(tmp) {} }
        #expect(try ids(QueryRequest(filter: "resource.s3BucketDetails.name = 'secrets'"), a) == ["two-buckets"])
        #expect(try ids(QueryRequest(filter: "resource.s3BucketDetails.name like '%s'"), a) == ["two-buckets"])
        #expect(try ids(QueryRequest(filter: "resource.s3BucketDetails.name != 'secrets'"), a) == ["no-bucket", "one-bucket"])
        #expect(try ids(QueryRequest(filter: "resource.s3BucketDetails.name is null"), a) == ["no-bucket"])
        #expect(try ids(QueryRequest(filter: "service.count = 1"), a) == ["no-bucket", "one-bucket", "two-buckets"])
        #expect(try ids(QueryRequest(filter: "bucket in ('logs', 'public')"), a) == ["one-bucket", "two-buckets"])
    }

    /// Paths are read with json_extract when no array lies on them and walked with json_tree
    /// when one does; every shape must give the same answers either way.
    @Test func aPathMeansTheSameWhateverTheShapeOfTheBody() throws {
        let (tmp, a) = try archive(with: [
            finding("atom", extra: #","x":{"y":{"z":"v"}}"#),
            finding("number", extra: #","x":{"y":{"z":7}}"#),
            finding("true", extra: #","x":{"y":{"z":true}}"#),
            finding("null", extra: #","x":{"y":{"z":null}}"#),
            finding("object", extra: #","x":{"y":{"z":{"v":"v"}}}"#),
            finding("atoms", extra: #","x":{"y":{"z":["u","v"]}}"#),
            finding("nested", extra: #","x":{"y":{"z":[["v"]]}}"#),
            finding("through", extra: #","x":[{"y":{"z":"w"}},{"y":[{"z":"v"}]}]"#),
            finding("scalar-on-the-way", extra: #","x":{"y":"z"}"#),
            finding("missing", extra: #","x":{}"#),
        ])
        defer { withExtendedLifetime(tmp) {} }
        #expect(try ids(QueryRequest(filter: "x.y.z = 'v'"), a) == ["atoms", "atom", "nested", "through"].sorted())
        #expect(try ids(QueryRequest(filter: "x.y.z like 'w'"), a) == ["through"])
        #expect(try ids(QueryRequest(filter: "x.y.z > 5 and x.y.z < 100"), a) == ["number"])
        #expect(try ids(QueryRequest(filter: "x.y.z = true"), a) == ["true"])
        #expect(try ids(QueryRequest(filter: "x.y.z in ('u', 'w')"), a) == ["atoms", "through"])
        #expect(try ids(QueryRequest(filter: "x.y.z != 'v'"), a) == ["missing", "null", "number", "object", "scalar-on-the-way", "true"])
        #expect(try ids(QueryRequest(filter: "x.y.z is not null"), a) == ["atom", "atoms", "nested", "number", "object", "through", "true"])
        #expect(try ids(QueryRequest(filter: "x.y.z is null"), a) == ["missing", "null", "scalar-on-the-way"])
        #expect(try ids(QueryRequest(filter: "x.y is not null"), a) == ["atom", "atoms", "nested", "null", "number", "object", "scalar-on-the-way", "through", "true"])
        #expect(try ids(QueryRequest(filter: "x.y = 'z'"), a) == ["scalar-on-the-way"])
    }

    @Test func latestByDefaultAndEveryVersionOnRequest() throws {
        let (tmp, a) = try archive(with: [
            finding("f", updated: "2025-01-01T00:00:00Z", count: 1),
            finding("f", updated: "2025-01-02T00:00:00Z", count: 3),
            finding("g", updated: "2025-01-01T00:00:00Z", count: 1),
        ])
        defer { withExtendedLifetime(tmp) {} }
        #expect(try ids(QueryRequest(filter: "count >= 1"), a) == ["f", "g"])
        #expect(try ids(QueryRequest(filter: "count = 1"), a) == ["g"])  // f's latest has count 3
        var all = QueryRequest(filter: "count = 1")
        all.allVersions = true
        #expect(try ids(all, a) == ["f", "g"])
        var since = QueryRequest()
        since.since = "2025-01-02"
        #expect(try ids(since, a) == ["f"])
        since.until = "2025-01-02"
        #expect(try ids(since, a) == [])
    }

    @Test func sampleFindingsAreLeftOutAndCounted() throws {
        let sample = #","service":{"count":1,"additionalInfo":{"sample":true}}"#
        let (tmp, a) = try archive(with: [finding("real"), #"{"id":"s1","accountId":"1","region":"r","severity":5\#(sample)}"#, #"{"id":"s2","accountId":"1","region":"r","severity":5\#(sample)}"#])
        defer { withExtendedLifetime(tmp) {} }
        let result = try FindingQuery.run(QueryRequest(filter: "severity = 5"), on: a)
        #expect(result.rows.rows.count == 1)
        #expect(result.samplesLeftOut == 2)
        var include = QueryRequest(filter: "severity = 5")
        include.includeSamples = true
        #expect(try FindingQuery.run(include, on: a).rows.rows.count == 3)
        // A filter that asks about samples gets them.
        #expect(try ids(QueryRequest(filter: "sample = true"), a) == ["s1", "s2"])
    }

    @Test func hostileFiltersChangeNothing() throws {
        let (tmp, a) = try archive(with: [finding("f")])
        defer { withExtendedLifetime(tmp) {} }
        let before = try a.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM versions") }
        for filter in ["title = '''; DROP TABLE versions; --'", "title = 'x'' OR ''1''=''1'", "remote_ip = 'a\u{0}b'", "service.action.api = '/* */'"] {
            #expect(try ids(QueryRequest(filter: filter), a) == [])
        }
        #expect(try a.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM versions") } == before)
    }

    @Test func fieldsCanBeIndicatorsAndPaths() throws {
        let (tmp, a) = try archive(with: [finding("f", extra: #","resource":{"instanceDetails":{"instanceId":"i-1","networkInterfaces":[{"privateIpAddress":"10.0.0.2","publicIp":"203.0.113.9"}]}}"#)])
        defer { withExtendedLifetime(tmp) {} }
        var request = QueryRequest()
        request.fields = ["id", "instance_id", "local_ip", "resource.instanceDetails.instanceId", "ioc"]
        let rows = try FindingQuery.run(request, on: a).rows
        #expect(rows.columns == ["id", "instance_id", "local_ip", "resource.instanceDetails.instanceId", "ioc"])
        #expect(rows.rows == [[.text("f"), .text("i-1"), .text("10.0.0.2,203.0.113.9"), .text("i-1"), .text("instance_id:i-1,local_ip:10.0.0.2,local_ip:203.0.113.9")]])
        request.fields = ["severty"]
        #expect(throws: QueryRequestError.unknownField("severty", suggestions: ["severity"])) { try FindingQuery.run(request, on: a) }
    }

    @Test func olderArchivesGetTheirIndicatorsDerived() throws {
        let (tmp, a) = try archive(with: [finding("f", extra: #","service":{"action":{"dnsRequestAction":{"domain":"Evil.Example."}}}"#)])
        defer { withExtendedLifetime(tmp) {} }
        try a.database.write { db in
            try db.execute(sql: "DELETE FROM version_indicators")
            try db.execute(sql: "DELETE FROM derived_state")
            // A value only an older extractor found: no version carries it after the refresh.
            try db.execute(sql: "INSERT INTO indicator_values (kind_id, value) SELECT kind_id, 'stale.example' FROM indicator_kinds WHERE kind = 'domain'")
        }
        #expect(try ids(QueryRequest(filter: "domain = 'evil.example'"), a) == [])
        #expect(try DerivedData.refreshIfNeeded(a) == 1)
        #expect(try ids(QueryRequest(filter: "domain = 'EVIL.example'"), a) == ["f"])
        #expect(try a.database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM indicator_values WHERE value = 'stale.example'") } == 0)
        #expect(try DerivedData.refreshIfNeeded(a) == 0)
    }

    @Test func everyKindTheExtractorProducesIsAQueryField() {
        #expect(IndicatorExtractor.kinds == Set(FieldCatalog.indicatorKinds))
    }

    @Test func aNewArchiveKnowsEveryKindTheExtractorProduces() throws {
        // Migration 12 lists them; the writer looks up only the kinds it did not know.
        let tmp = try TemporaryDirectory()
        let a = try Archive.open(path: tmp.path("a.sqlite"))
        let kinds = try a.database.read { try String.fetchAll($0, sql: "SELECT kind FROM indicator_kinds") }
        #expect(Set(kinds) == IndicatorExtractor.kinds)
        #expect(kinds.count == IndicatorExtractor.kinds.count)
    }
}

@Suite struct IndicatorSampleTests {
    @Test func everyIndicatorKindIsFoundInTheRealSamplesAndFixtures() throws {
        let tmp = try TemporaryDirectory()
        let a = try Archive.open(path: tmp.path("a.sqlite"))
        var inputs = [try tmp.copyFixture("exports")]
        if let samples = Paths.samples {
            inputs += ["s3-export-lines", "single-findings", "cli-pascalcase"].map { samples.appendingPathComponent($0).path }
        } else {
            print("note: \(Paths.samplesMissing); checking the fixtures only")
        }
        _ = try Importer(archive: a, command: "test") { _ in }.run(inputs: inputs)
        func values(_ kind: String) throws -> Set<String> {
            Set(try a.database.read { db in try String.fetchAll(db, sql: "SELECT value FROM indicators WHERE kind = ?", arguments: [kind]) })
        }
        // From the fixtures (every kind has at least one).
        for kind in IndicatorExtractor.kinds {
            #expect(!(try values(kind)).isEmpty, "no \(kind) indicator")
        }
        #expect(try values("lambda_function").contains("resize-images"))
        #expect(try values("rds_instance").contains("orders-db"))
        #expect(try values("sha256").contains(String(repeating: "d2", count: 32)))
        #expect(try values("remote_ip").contains("203.0.113.106"))  // Kubernetes sourceIps
        guard Paths.samples != nil else { return }
        // From the real samples, by what the samples' README says they hold.
        #expect(try values("remote_ip").isSuperset(of: ["198.51.100.0", "198.51.100.1", "52.94.36.7"]))
        #expect(try values("local_ip").contains("10.0.0.23"))   // port probe localIpDetails
        #expect(try values("access_key_id").contains("ASIASZ4SI7REEEXAMPLE"))
        #expect(try values("principal_id").contains("AIDACKCEVSQ6C2EXAMPLE"))
        #expect(try values("user_name").contains("testuser"))
        #expect(try values("instance_id").contains("i-99999999"))
        #expect(try values("ecs_cluster").contains("GeneratedFindingECSClusterName"))
        #expect(try values("container_image").contains("GeneratedFindingContainerImage"))
        #expect(try values("sha256").contains("275a021bbfb6489e54d471899f7db9d1663fc345ec2fe2a2c4538aabf651fd0f"))
        #expect(try values("eks_cluster").contains("GeneratedFindingEKSClusterName"))
        #expect(try values("api").contains("ListPolicyVersions"))
        // A value never matches a finding that does not contain it.
        let access = try a.database.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT v.id FROM indicators i JOIN versions v USING (version_id) WHERE i.kind = 'access_key_id' AND i.value = 'ASIASZ4SI7REEEXAMPLE'")
        }
        #expect(access == ["1ab92989eaf0e742df4a014d5example"])
    }
}

@Suite struct HistoryAndSQLTests {
    @Test func showTellsHowTheCountGrewAndWhatChanged() throws {
        let (tmp, a) = try archive(with: [
            finding("f", updated: "2025-01-03T00:00:00Z", count: 9, extra: #","title":"renamed""#),
            finding("f", updated: "2025-01-01T00:00:00Z", count: 2),
            finding("f", updated: "2025-01-02T00:00:00Z", count: 5),
        ])
        defer { withExtendedLifetime(tmp) {} }
        let history = try #require(try FindingHistory.load(id: "f", from: a).first)
        #expect(history.versions.map(\.count) == [2, 5, 9])
        #expect(history.versions.map(\.countIncrease) == [2, 3, 4])
        #expect(history.versions.map(\.isLatest) == [false, false, true])
        #expect(history.versions[1].changedFields == ["service.count", "updatedAt"])
        #expect(history.versions[2].changedFields == ["service.count", "title", "updatedAt"])
        #expect(history.versions[0].firstSeenIn?.hasSuffix("input.jsonl:2") == true)
        #expect(try FindingHistory.load(id: "nope", from: a).isEmpty)
        #expect(try FindingHistory.ids(withPrefix: "%", in: a).isEmpty)  // no LIKE wildcards
        #expect(try FindingHistory.ids(withPrefix: "", in: a) == ["f"])
    }

    @Test func aCountThatDropsIsAResetAndCountsInFull() throws {
        let (tmp, a) = try archive(with: [
            finding("f", updated: "2025-01-01T00:00:00Z", count: 5),
            finding("f", updated: "2025-01-02T00:00:00Z", count: 2),
        ])
        defer { withExtendedLifetime(tmp) {} }
        let history = try #require(try FindingHistory.load(id: "f", from: a).first)
        #expect(history.versions.map(\.countIncrease) == [5, 2])
    }

    @Test func sqlReadsViews() throws {
        let (tmp, a) = try archive(with: [finding("f"), finding("g")])
        defer { withExtendedLifetime(tmp) {} }
        let rows = try ReadOnlySQL.run("SELECT id, count(*) AS n FROM finding_versions GROUP BY id ORDER BY id", archivePath: a.path)
        #expect(rows.columns == ["id", "n"])
        #expect(rows.rows == [[.text("f"), .int(1)], [.text("g"), .int(1)]])
    }

    @Test(arguments: [
        ("DELETE FROM versions", "DELETE from versions"),
        ("INSERT INTO findings (account_id) VALUES ('x')", "INSERT into findings"),
        ("UPDATE versions SET title = 'x'", "UPDATE of versions"),
        ("DROP TABLE versions", "changing the schema"),
        ("CREATE TABLE x (a)", "changing the schema"),
        ("CREATE TEMP TABLE x (a)", "CREATE"),
        ("ATTACH DATABASE '/tmp/other.sqlite' AS other", "ATTACH"),
        ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"),
        ("PRAGMA query_only = 0", "PRAGMA query_only"),
        ("SELECT load_extension('/tmp/evil.so')", "load_extension()"),
        ("BEGIN", "transaction"),
        ("WITH x AS (SELECT 1) DELETE FROM versions", "DELETE from versions"),
    ])
    func sqlRefusesAnythingButReading(statement: String, what: String) throws {
        let (tmp, a) = try archive(with: [finding("f")])
        defer { withExtendedLifetime(tmp) {} }
        let before = try Data(contentsOf: URL(fileURLWithPath: a.path))
        let error = #expect(throws: SQLRefusal.self) { try ReadOnlySQL.run(statement, archivePath: a.path) }
        #expect(error?.description.contains(what) == true, "\(error?.description ?? "")")
        #expect(try Data(contentsOf: URL(fileURLWithPath: a.path)) == before)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/other.sqlite"))
    }

    @Test func sqlRunsOneStatementOnly() throws {
        let (tmp, a) = try archive(with: [finding("f")])
        defer { withExtendedLifetime(tmp) {} }
        let error = #expect(throws: SQLRefusal.self) { try ReadOnlySQL.run("SELECT 1; DELETE FROM versions", archivePath: a.path) }
        #expect(error?.description.contains("one statement at a time") == true)
    }
}
