import Foundation
import GDArchiveModel
import GDArchiveJSON
import GDArchiveQuery
import GDArchiveStore

/// The story of one finding: every stored version in order, how its count grew, where each
/// version was first seen, and which fields changed from one version to the next.
///
/// ```swift
/// for history in try FindingHistory.load(id: "6ab2…", from: archive) {
///     print(history.rows(), history.versions.count)
/// }
/// ```
public struct FindingHistory: Sendable {
    public struct Version: Sendable {
        public var versionID: Int64
        public var updatedAt: String?
        public var count: Int64?
        /// Growth over the previous version; the first version's full count; a decrease
        /// (a reset) counts in full.
        public var countIncrease: Int64?
        public var lastSeen: String?
        public var severity: Double?
        public var archived: Bool?
        public var isLatest: Bool
        /// `path:line` of the earliest sighting.
        public var firstSeenIn: String?
        /// Dotted paths that differ from the previous version.
        public var changedFields: [String]
        public var body: String
    }

    public var accountId: String
    public var region: String
    public var id: String
    public var versions: [Version]

    /// Every finding with exactly this id (one per account and Region it appears in).
    public static func load(id: String, from archive: Archive) throws -> [FindingHistory] {
        try archive.read { try load(id: id, in: $0) }
    }

    /// ``load(id:from:)`` in `reader`'s snapshot.
    public static func load(id: String, in reader: ArchiveReader) throws -> [FindingHistory] {
        try reader.storedFindings(id: id).map { finding in
            var versions: [Version] = []
            var previous: (count: Int64?, value: JSONValue?)? = nil
            for stored in try reader.storedVersions(ofFinding: finding.key) {
                let value = try? JSONParser.parse(Array(stored.body.utf8))
                let count = stored.count
                var increase = count
                if let prior = previous?.count, let now = count, now >= prior { increase = now - prior }
                let changed = previous.map { diff($0.value, value) } ?? []
                versions.append(Version(
                    versionID: stored.versionID, updatedAt: stored.updatedAt, count: count, countIncrease: increase,
                    lastSeen: stored.lastSeen, severity: stored.severity, archived: stored.archived,
                    isLatest: stored.versionID == finding.latestVersionID,
                    firstSeenIn: stored.firstSeenIn, changedFields: changed, body: stored.body))
                previous = (count, value)
            }
            return FindingHistory(accountId: finding.accountId, region: finding.region, id: finding.id, versions: versions)
        }
    }

    /// Every stored body of every version of the findings with this id, as JSON lines: a
    /// version delivered in several forms (the S3 export's line and the CLI's `get-findings`
    /// output of it, migration 14) has one line per form, with where each was seen and which
    /// one is shown as the version's body.
    ///
    /// `{"account_id":…,"body":{…},"form":1,"id":…,"region":…,"seen_in":["path:line"],"sha256":"…","shown":true,"version":1}`
    /// (`form` 1 is the body stored first; `version` numbers the versions oldest first, as `show` does).
    public static func formLines(id: String, from archive: Archive) throws -> [String] {
        try archive.read { reader in
            var lines: [String] = []
            for finding in try reader.storedFindings(id: id) {
                for (number, forms) in try reader.storedForms(ofFinding: finding.key).enumerated() {
                    for (index, form) in forms.enumerated() {
                        let line = JSONValue.object([
                            JSONMember(key: "account_id", value: .string(finding.accountId)),
                            JSONMember(key: "region", value: .string(finding.region)),
                            JSONMember(key: "id", value: .string(finding.id)),
                            JSONMember(key: "version", value: .number(String(number + 1))),
                            JSONMember(key: "form", value: .number(String(index + 1))),
                            JSONMember(key: "shown", value: .bool(form.shown)),
                            JSONMember(key: "sha256", value: .string(SHA256.hex(form.sha256))),
                            JSONMember(key: "seen_in", value: .array(form.seenIn.map(JSONValue.string))),
                            JSONMember(key: "body", value: (try? JSONParser.parse(Array(form.body.utf8))) ?? .string(form.body)),
                        ])
                        lines.append(CanonicalJSON.string(line))
                    }
                }
            }
            return lines
        }
    }

    /// Ids that start with `prefix`, for "did you mean" when an id is unknown.
    public static func ids(withPrefix prefix: String, in archive: Archive, limit: Int = 10) throws -> [String] {
        try archive.read { try $0.findingIDs(withPrefix: prefix, limit: limit) }
    }

    /// The paths at which two findings differ (leaves; an array of another length counts as one).
    public static func diff(_ a: JSONValue?, _ b: JSONValue?, path: String = "") -> [String] {
        switch (a, b) {
        case (.object(let x)?, .object(let y)?):
            var keys: [String] = []
            for m in x + y where !keys.contains(m.key) { keys.append(m.key) }
            return keys.sorted().flatMap { key in
                diff(JSONValue.object(x)[key], JSONValue.object(y)[key], path: path.isEmpty ? key : path + "." + key)
            }
        case (.array(let x)?, .array(let y)?) where x.count == y.count:
            return zip(x, y).enumerated().flatMap { i, pair in diff(pair.0, pair.1, path: path + "[\(i)]") }
        default:
            let same: Bool
            switch (a, b) {
            case (nil, nil): same = true
            case (let x?, let y?): same = CanonicalJSON.string(x) == CanonicalJSON.string(y)
            default: same = false
            }
            return same ? [] : [path]
        }
    }

    /// One row per version, for any output format.
    public func rows() -> RowSet {
        RowSet(
            columns: ["version", "updated_at", "count", "count_increase", "last_seen", "severity", "archived", "latest", "first_seen_in", "changed"],
            rows: versions.enumerated().map { i, v in
                [.int(Int64(i + 1)), v.updatedAt.map(Cell.text) ?? .null, v.count.map(Cell.int) ?? .null,
                 v.countIncrease.map(Cell.int) ?? .null, v.lastSeen.map(Cell.text) ?? .null, v.severity.map(Cell.double) ?? .null,
                 v.archived.map(Cell.bool) ?? .null, .bool(v.isLatest), v.firstSeenIn.map(Cell.text) ?? .null,
                 .list(v.changedFields.map(Cell.text))]
            })
    }

    static func summarize(_ fields: [String]) -> String {
        fields.count <= 6 ? fields.joined(separator: ", ") : fields.prefix(6).joined(separator: ", ") + ", +\(fields.count - 6) more"
    }
}

/// The rows of `gdarchive fields`.
public enum FieldListing {
    public static func rows() -> RowSet {
        RowSet(columns: ["field", "type", "source", "json_paths", "description"], rows: FieldCatalog.all.map { field in
            let source: String
            switch field.storage {
            case .column: source = "column"
            case .indicator: source = field.isIOC ? "indicator (ioc)" : "indicator"
            case .anyIOC: source = "indicators"
            }
            return [.text(field.name), .text(field.type.rawValue), .text(source), .text(field.paths.joined(separator: "; ")), .text(field.description)]
        })
    }
}

extension FieldListing {
    /// The field table as Markdown, for the README (a test keeps the two identical).
    public static func markdown() -> String {
        var lines = ["| field | type | from | meaning |", "|---|---|---|---|"]
        for field in FieldCatalog.all {
            let source: String
            switch field.storage {
            case .column: source = field.paths.map { "`\($0)`" }.joined(separator: ", ")
            case .indicator, .anyIOC: source = (field.isIOC ? "IOC: " : field.storage == .anyIOC ? "" : "attribute: ") + field.paths.joined(separator: "; ")
            }
            lines.append("| `\(field.name)` | \(field.type.rawValue) | \(source.replacingOccurrences(of: "|", with: "\\|")) | \(field.description.replacingOccurrences(of: "|", with: "\\|")) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
