import GDArchiveModel
import GDArchiveJSON
import GDArchiveStore

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
        var problems: [String] = []
        var count = 0
        func report(_ problem: String) {
            count += 1
            if count <= limit { problems.append(problem) }
        }
        try archive.forEachStoredVersion { version, formBodies in
            let stored = version.columns
            let name = "version \(version.versionID) of finding \(stored.id)"
            guard let value = try? JSONParser.parse(Array(stored.body.utf8)),
                  let expected = try? FindingExtractor.record(from: value, sizeHint: stored.body.utf8.count) else {
                report("\(name): its body is not a finding any more")
                return
            }
            var wrong = mismatchedColumns(stored, expected)
            // The sample flag: a column may be unset where the body sets it (a real finding
            // never becomes a sample, see ArchiveWriter), never the other way round.
            if stored.sample && !expected.sample { wrong.append("sample") }
            if !wrong.isEmpty {
                report("\(name): its \(wrong.joined(separator: ", ")) column\(wrong.count == 1 ? " does" : "s do") not match its body")
            }
            // Indicators: every one the body carries is stored; every one stored is carried
            // by one of the version's forms.
            let missing = Set(expected.indicators).subtracting(version.indicators)
            var extra = version.indicators.subtracting(expected.indicators)
            if !extra.isEmpty {
                for text in try formBodies() {
                    if let other = try? JSONParser.parse(Array(text.utf8)) { extra.subtract(IndicatorExtractor.indicators(in: other)) }
                }
            }
            if !missing.isEmpty || !extra.isEmpty {
                let describe = { (set: Set<Indicator>) in set.sorted().prefix(3).map { "\($0.kind) \($0.value)" }.joined(separator: ", ") }
                report("\(name): its indicators do not match its body"
                    + (missing.isEmpty ? "" : " (missing: \(describe(missing)))") + (extra.isEmpty ? "" : " (not in it: \(describe(extra)))"))
            }
        }
        if count > limit { problems.append("… and \(count - limit) more versions whose columns or indicators do not match their bodies") }
        return problems
    }

    /// The names of the columns whose stored value differs from the one extracted from the body.
    static func mismatchedColumns(_ stored: VersionRecord, _ expected: VersionRecord) -> [String] {
        let pairs: [(String, Bool)] = [
            ("type", stored.type == expected.type), ("title", stored.title == expected.title),
            ("severity", stored.severity == expected.severity), ("severity_label", stored.severityLabel == expected.severityLabel),
            ("confidence", stored.confidence == expected.confidence), ("created_at", stored.createdAt == expected.createdAt),
            ("updated_at", stored.updatedAt == expected.updatedAt), ("first_seen", stored.firstSeen == expected.firstSeen),
            ("last_seen", stored.lastSeen == expected.lastSeen), ("count", stored.count == expected.count),
            ("archived", stored.archived == expected.archived), ("resource_type", stored.resourceType == expected.resourceType),
            ("resource_role", stored.resourceRole == expected.resourceRole), ("action_type", stored.actionType == expected.actionType),
            ("feature_name", stored.featureName == expected.featureName),
        ]
        return pairs.filter { !$0.1 }.map(\.0)
    }
}
