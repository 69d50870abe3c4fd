import GDArchiveJSON
import GDArchiveStore
import GRDB

/// `gdarchive check --deep`: every version's stored columns and indicators recomputed from the
/// body it shows, by the same extractor an import uses, so that a column edited in place (a
/// severity lowered, a type renamed, an indicator removed) is found. It reads and parses every
/// body: about as long as an import of the archive.
///
/// ```swift
/// let problems = try DeepCheck.problems(in: archive)   // [] when every column matches its body
/// ```
public enum DeepCheck {
    /// One sentence per version whose columns or indicators disagree with its body (at most
    /// `limit`, then a count of the rest).
    public static func problems(in archive: Archive, limit: Int = 20) throws -> [String] {
        try archive.database.read { db in
            var problems: [String] = []
            var count = 0
            func report(_ problem: String) {
                count += 1
                if count <= limit { problems.append(problem) }
            }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT v.version_id, v.id, v.type, v.title, v.severity, v.severity_label, v.confidence, v.created_at, v.updated_at,
                       v.first_seen, v.last_seen, v.count, v.archived, v.sample, v.resource_type, v.resource_role, v.action_type,
                       v.feature_name, b.body
                FROM versions v JOIN version_bodies b ON b.version_id = v.version_id ORDER BY v.version_id
                """)
            let stored = try db.cachedStatement(sql: "SELECT kind, value FROM indicators WHERE version_id = ?")
            let forms = try db.cachedStatement(sql: "SELECT body FROM version_form_bodies WHERE version_id = ?")
            while let row = try rows.next() {
                let version: Int64 = row["version_id"]
                let body: String = row["body"]
                guard let value = try? JSONParser.parse(Array(body.utf8)), let record = try? FindingExtractor.record(from: value, sizeHint: body.utf8.count) else {
                    report("version \(version): its body is not a finding any more")
                    continue
                }
                let expected: [(String, DatabaseValue)] = [
                    ("type", record.type.databaseValue), ("title", record.title.databaseValue), ("severity", record.severity.databaseValue),
                    ("severity_label", record.severityLabel.databaseValue), ("confidence", record.confidence.databaseValue),
                    ("created_at", record.createdAt.databaseValue), ("updated_at", record.updatedAt.databaseValue),
                    ("first_seen", record.firstSeen.databaseValue), ("last_seen", record.lastSeen.databaseValue),
                    ("count", record.count.databaseValue), ("archived", record.archived.databaseValue),
                    ("resource_type", record.resourceType.databaseValue), ("resource_role", record.resourceRole.databaseValue),
                    ("action_type", record.actionType.databaseValue), ("feature_name", record.featureName.databaseValue),
                ]
                var wrong = expected.filter { name, value in !same(row[name] as DatabaseValue, value) }.map(\.0)
                // The sample flag: a column may be unset where the body sets it (a real finding
                // never becomes a sample, see ArchiveWriter), never the other way round.
                if (row["sample"] as Bool? ?? false) && !record.sample { wrong.append("sample") }
                if !wrong.isEmpty {
                    report("version \(version) of finding \(row["id"] as String): its \(wrong.joined(separator: ", ")) column\(wrong.count == 1 ? "" : "s") \(wrong.count == 1 ? "does" : "do") not match its body")
                }
                // Indicators: every one the body carries is stored; every one stored is carried
                // by one of the version's forms.
                let have = Set(try Row.fetchAll(stored, arguments: [version]).map { Indicator(kind: $0["kind"], value: $0["value"]) })
                let missing = Set(record.indicators).subtracting(have)
                var extra = have.subtracting(record.indicators)
                if !extra.isEmpty {
                    for text in try String.fetchAll(forms, arguments: [version]) {
                        if let other = try? JSONParser.parse(Array(text.utf8)) { extra.subtract(IndicatorExtractor.indicators(in: other)) }
                    }
                }
                if !missing.isEmpty || !extra.isEmpty {
                    let describe = { (set: Set<Indicator>) in set.sorted().prefix(3).map { "\($0.kind) \($0.value)" }.joined(separator: ", ") }
                    report("version \(version) of finding \(row["id"] as String): its indicators do not match its body"
                        + (missing.isEmpty ? "" : " (missing: \(describe(missing)))") + (extra.isEmpty ? "" : " (not in it: \(describe(extra)))"))
                }
            }
            if count > limit { problems.append("… and \(count - limit) more versions whose columns or indicators do not match their bodies") }
            return problems
        }
    }

    /// Equal as SQLite stores them (a Bool column is an integer; a Double may be an integer).
    static func same(_ a: DatabaseValue, _ b: DatabaseValue) -> Bool {
        if a == b { return true }
        switch (a.storage, b.storage) {
        case (.int64(let x), .double(let y)), (.double(let y), .int64(let x)): return Double(x) == y
        default: return false
        }
    }
}
