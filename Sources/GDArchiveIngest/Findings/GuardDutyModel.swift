import GDArchiveModel
import GDArchiveJSON
import GDArchiveStore

/// The shapes of the GuardDuty API model that findings use, read from botocore's
/// `service-2.json` (see `scripts/generate-guardduty-model.py`), and the conversion of the
/// PascalCase form printed by `aws guardduty get-findings` and boto3 back to the wire form
/// that S3 exports and EventBridge carry.
///
/// ```swift
/// let pascal = try JSONParser.parse(Array(#"{"Id":"x","Resource":{"InstanceDetails":{"ProductCodes":[{"Code":"c"}]}}}"#.utf8))
/// let wire = GuardDutyModel.wireForm(ofPascalCaseFinding: pascal)
/// // {"id":"x","resource":{"instanceDetails":{"productCodes":[{"productCodeId":"c"}]}}}
/// ```
///
/// Member names are translated with the model's `locationName`s (not by lowercasing:
/// `ProductCodes[].Code` is `productCodeId`, ECS `TaskCreatedAt` is `createdAt`). Members the
/// model marks as timestamps, which the CLI prints as ISO strings where the wire form has epoch
/// seconds, become numbers again, except those whose wire form is an ISO string
/// (``isoOnTheWire``), which stay the string the CLI printed. Map keys are data and are left alone. A member the model does
/// not know (a field newer than the model) gets its first letter lowercased, recursively.
public enum GuardDutyModel {
    enum Shape {
        case structure([String: (wire: String, target: String)])
        case list(element: String)
        case map(value: String)
        case timestamp
    }

    static let shapes: [String: Shape] = {
        var result: [String: Shape] = [:]
        var current: String? = nil
        var members: [String: (wire: String, target: String)] = [:]
        func close() {
            if let current { result[current] = .structure(members) }
            current = nil
            members = [:]
        }
        for line in table.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if line.hasPrefix("  ") {
                members[String(parts[0])] = (String(parts[1]), String(parts[2]))
                continue
            }
            close()
            switch parts[0] {
            case "S": current = String(parts[1])
            case "L": result[String(parts[1])] = .list(element: String(parts[2]))
            case "M": result[String(parts[1])] = .map(value: String(parts[2]))
            case "T": result[String(parts[1])] = .timestamp
            default: break
            }
        }
        close()
        return result
    }()

    /// The wire form of one finding in PascalCase.
    public static func wireForm(ofPascalCaseFinding value: JSONValue) -> JSONValue {
        convert(value, shape: "Finding")
    }

    static func convert(_ value: JSONValue, shape name: String?) -> JSONValue {
        let shape = name.flatMap { shapes[$0] }
        switch (shape, value) {
        case (.structure(let known)?, .object(let members)):
            return .object(members.map { member in
                if let spec = known[member.key] {
                    if isoOnTheWire.contains(name! + "." + member.key) { return JSONMember(key: spec.wire, value: member.value) }
                    return JSONMember(key: spec.wire, value: convert(member.value, shape: spec.target))
                }
                return JSONMember(key: lowerFirst(member.key), value: convert(member.value, shape: nil))
            })
        case (.list(let element)?, .array(let elements)):
            return .array(elements.map { convert($0, shape: element) })
        case (.map(let valueShape)?, .object(let members)):
            return .object(members.map { JSONMember(key: $0.key, value: convert($0.value, shape: valueShape)) })
        case (.timestamp?, .string(let text)):
            return epochSeconds(fromISO: text).map { .number($0) } ?? value
        case (nil, .object(let members)) where name == nil:
            return .object(members.map { JSONMember(key: lowerFirst($0.key), value: convert($0.value, shape: nil)) })
        case (nil, .array(let elements)) where name == nil:
            return .array(elements.map { convert($0, shape: nil) })
        default:
            return value
        }
    }

    static func lowerFirst(_ key: String) -> String {
        guard let first = key.first, first.isUppercase else { return key }
        return first.lowercased() + key.dropFirst()
    }

    /// `2021-12-09T00:45:03.250000+00:00` → `1639010703.25`, keeping every fraction digit.
    static func epochSeconds(fromISO text: String) -> String? {
        // Split off the fraction so that digits beyond milliseconds survive.
        var whole = text
        var fraction = ""
        if let dot = text.firstIndex(where: { $0 == "." || $0 == "," }) {
            let afterDot = text.index(after: dot)
            let digitsEnd = text[afterDot...].firstIndex(where: { !$0.isNumber }) ?? text.endIndex
            fraction = String(text[afterDot..<digitsEnd])
            whole = String(text[..<dot]) + String(text[digitsEnd...])
        }
        guard let ms = Timestamp.parse(whole) else { return nil }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return String(ms / 1000) + (fraction.isEmpty ? "" : "." + fraction)
    }
}

// MARK: - The API-model projection: when two bodies are one version

extension GuardDutyModel {
    /// Timestamp members whose wire form is an ISO string, not epoch seconds (measured on real
    /// findings: Runtime Monitoring's `runtimeDetails.context.modifiedAt`). The AWS CLI v1 prints
    /// them as received; the PascalCase conversion keeps them strings.
    static let isoOnTheWire: Set<String> = ["RuntimeContext.ModifiedAt"]

    /// The structures keyed by wire name: `shape → wire member → target shape`.
    static let wireMembers: [String: [String: String]] = shapes.compactMapValues { shape in
        guard case .structure(let members) = shape else { return nil }
        return Dictionary(members.values.map { ($0.wire, $0.target) }, uniquingKeysWith: { a, _ in a })
    }

    /// What of a wire-form finding survives the trip through GuardDuty's API model, in one
    /// normal form: the members the model knows (others dropped, as the `aws` CLI and boto3
    /// drop them), no null members, timestamp members as epoch milliseconds whether written as
    /// ISO strings or epoch seconds, and fractional numbers as the shortest text of their
    /// `Double` (as a JSON library in Python prints them). Two bodies of one finding with the
    /// same projection are two forms of one version: the S3 export's line and the CLI's
    /// `get-findings` output of it.
    ///
    /// ```swift
    /// let s3 = try JSONParser.parse(Array(#"{"id":"x","severity":5,"service":{"count":2,"evidence":null,"additionalInfo":{"value":"{}","type":"default","sample":true}}}"#.utf8))
    /// let cli = try JSONParser.parse(Array(#"{"Id":"x","Severity":5.0,"Service":{"Count":2,"AdditionalInfo":{"Value":"{}","Type":"default"}}}"#.utf8))
    /// GuardDutyModel.projection(ofWireFinding: s3) == GuardDutyModel.projection(ofWireFinding: wireForm(ofPascalCaseFinding: cli))   // true
    /// ```
    public static func projection(ofWireFinding value: JSONValue) -> JSONValue {
        project(value, shape: "Finding")
    }

    /// The SHA-256 of the canonical projection, and how many JSON values the body holds (its
    /// richness: the form with more is the one shown). Nil for a text that is not JSON.
    public static func formKey(ofCanonicalBody body: String) -> (projection: [UInt8], richness: Int)? {
        guard let value = try? JSONParser.parse(Array(body.utf8)) else { return nil }
        var bytes: [UInt8] = []
        CanonicalJSON.write(projection(ofWireFinding: value), to: &bytes)
        return (SHA256.hash(bytes), valueCount(value))
    }

    /// The rule the importer stores with: two bodies of one finding with the same
    /// `updated_at` and the same projection are forms of one version.
    public static let formRule = FormRule(key: formKey(ofCanonicalBody:))

    static func valueCount(_ value: JSONValue) -> Int {
        switch value {
        case .array(let elements): return 1 + elements.reduce(0) { $0 + valueCount($1) }
        case .object(let members): return 1 + members.reduce(0) { $0 + valueCount($1.value) }
        default: return 1
        }
    }

    static func project(_ value: JSONValue, shape name: String) -> JSONValue {
        switch (shapes[name], value) {
        case (.structure?, .object(let members)):
            let known = wireMembers[name] ?? [:]
            var kept: [JSONMember] = []
            for m in members where !m.value.isNull {
                guard let target = known[m.key] else { continue }
                kept.append(JSONMember(key: m.key, value: project(m.value, shape: target)))
            }
            return .object(kept)
        case (.list(let element)?, .array(let elements)):
            return .array(elements.map { project($0, shape: element) })
        case (.map(let valueShape)?, .object(let members)):
            return .object(members.filter { !$0.value.isNull }.map { JSONMember(key: $0.key, value: project($0.value, shape: valueShape)) })
        case (.timestamp?, _):
            if let ms = epochMilliseconds(value) { return .number(String(ms)) }
            return value
        case (_, .number(let text)):
            return .number(normalFraction(text))
        default:
            return value
        }
    }

    /// Epoch milliseconds of a timestamp written either way.
    static func epochMilliseconds(_ value: JSONValue) -> Int64? {
        switch value {
        case .string(let text):
            if let seconds = epochSeconds(fromISO: text), let number = Double(seconds) { return Int64((number * 1000).rounded()) }
            return Double(text).flatMap { epochMilliseconds(.number(String($0))) }
        case .number(let text):
            guard let number = Double(text), number.isFinite, abs(number) < 1e15 else { return nil }
            return Int64((abs(number) >= 100_000_000_000 ? number : number * 1000).rounded())
        default:
            return nil
        }
    }

    /// `5.0` → `5`, `0.1000000000000000055511` → `0.1`: a fraction or exponent through
    /// `Double`; an integer literal as written (a JSON library keeps big integers exact).
    static func normalFraction(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
              let number = Double(text), number.isFinite else { return text }
        return CanonicalJSON.normalizeNumber(String(number))
    }
}

extension GuardDutyModel {
    /// Folds the versions an older gdarchive stored twice for one real change (the export's
    /// body and the CLI's, before migration 14) into one version with two forms, by
    /// ``formRule``; see ``Archive/foldForms(rule:extract:dryRun:)``.
    public static func foldForms(in archive: Archive, dryRun: Bool = false) throws -> FoldReport {
        try archive.foldForms(rule: formRule, extract: { body in
            (try? JSONParser.parse(Array(body.utf8))).flatMap { try? FindingExtractor.record(from: $0, sizeHint: body.utf8.count) }
        }, dryRun: dryRun)
    }
}

// MARK: - Paths a filter may name

extension GuardDutyModel {
    /// Whether a dotted path of wire names (`resource.instanceDetails.instanceId`) is one a
    /// finding can have under GuardDuty's API model: lists are passed through (a path names
    /// their elements' members), a map takes any key. Nil when it is; else the paths the
    /// user may have meant (the same spelled in another case, or a near spelling, at the first
    /// segment that is not known), best first.
    public static func unknownPathSuggestions(_ segments: [String]) -> [String]? {
        var shape = "Finding"
        var index = 0
        while index < segments.count {
            switch shapes[shape] {
            case .list(let element)?:
                shape = element
                continue
            case .map(let value)?:
                shape = value
                index += 1
                continue
            case .structure?:
                let members = wireMembers[shape] ?? [:]
                let segment = segments[index]
                if let target = members[segment] {
                    shape = target
                    index += 1
                    continue
                }
                let prefix = segments[..<index].joined(separator: ".")
                let lower = segment.lowercased()
                let candidates = members.keys.filter { $0.lowercased() == lower }
                    + members.keys.filter { $0.lowercased() != lower && FieldCatalogDistance.within($0.lowercased(), lower, 2) }.sorted()
                return candidates.prefix(3).map { (prefix.isEmpty ? "" : prefix + ".") + ([$0] + segments[(index + 1)...]).joined(separator: ".") }
            default:
                // A scalar (or a timestamp) has nothing below it.
                return []
            }
        }
        return nil
    }
}

extension GuardDutyModel {
    /// What a dotted path of a finding reaches under GuardDuty's API model: whether a list
    /// lies on it (or it names one: then a finding may have any number of values there), and,
    /// when it ends at a structure (or a list of them, or a map), the paths of the members
    /// below it (a map's any key as `KEY`). Nil when the model does not know the path (a member
    /// newer than the model, or only in the export).
    public static func pathShape(_ segments: [String]) -> (throughList: Bool, below: [String]?)? {
        var shape = "Finding"
        var throughList = false
        var index = 0
        func resolveLists() {
            while case .list(let element)? = shapes[shape] {
                throughList = true
                shape = element
            }
        }
        while index < segments.count {
            resolveLists()
            switch shapes[shape] {
            case .map(let value)?:
                shape = value
            case .structure?:
                guard let target = wireMembers[shape]?[segments[index]] else { return nil }
                shape = target
            default:
                return nil  // below a scalar
            }
            index += 1
        }
        resolveLists()
        let path = segments.joined(separator: ".")
        switch shapes[shape] {
        case .structure?: return (throughList, (wireMembers[shape] ?? [:]).keys.sorted().map { path + "." + $0 })
        case .map?: return (throughList, [path + ".KEY"])
        default: return (throughList, nil)
        }
    }
}

/// Levenshtein distance, bounded: whether `a` and `b` are at most `limit` edits apart.
enum FieldCatalogDistance {
    static func within(_ a: String, _ b: String, _ limit: Int) -> Bool {
        let a = Array(a.utf8), b = Array(b.utf8)
        if abs(a.count - b.count) > limit { return false }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) <= limit }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count] <= limit
    }
}
