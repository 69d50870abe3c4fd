import GDArchiveModel
import GDArchiveJSON
import GDArchiveStore

/// Why a wire-form object cannot be stored as a finding version.
public struct RejectedFinding: Error, Equatable, Sendable, CustomStringConvertible {
    /// A short machine-readable kind: `missing-field` or `not-a-finding`.
    public var kind: String
    public var message: String
    public var description: String { message }
}

/// Turns a finding in wire form into a ``VersionRecord``: canonical JSON, SHA-256, and the
/// indexed columns.
///
/// ```swift
/// let record = try FindingExtractor.record(from: wire)
/// record.severityLabel   // "high"
/// ```
///
/// - Throws: ``RejectedFinding`` when `id`, `accountId` or `region` is missing or not a
///   string (naming which), or when the object has nothing of a finding at all.
public enum FindingExtractor {
    /// Keys at least one of which every GuardDuty finding has.
    static let findingMarkers = ["schemaVersion", "id", "accountId", "region", "arn", "type", "resource", "service", "severity"]

    /// - Parameter sizeHint: the size of the text `wire` was parsed from (its canonical form is
    ///   about as long).
    public static func record(from wire: JSONValue, sizeHint: Int = 4096) throws(RejectedFinding) -> VersionRecord {
        guard case .object = wire else {
            throw RejectedFinding(kind: "not-a-finding", message: "a JSON \(RecordClassifier.kindName(wire)) is not a GuardDuty finding; expected an object")
        }
        guard findingMarkers.contains(where: { wire[$0] != nil }) else {
            throw RejectedFinding(kind: "not-a-finding", message: "this object is not a GuardDuty finding (it has none of id, accountId, region, type, resource, service); expected a finding, {\"findings\":[…]}, {\"Findings\":[…]} or an EventBridge event")
        }
        let id = nonEmptyString(wire["id"])
        let accountId = nonEmptyString(wire["accountId"])
        let region = nonEmptyString(wire["region"])
        guard let id, let accountId, let region else {
            let missing = [("id", id), ("accountId", accountId), ("region", region)].filter { $0.1 == nil }.map(\.0)
            let list = missing.count == 1 ? missing[0] : missing.dropLast().joined(separator: ", ") + " and " + missing.last!
            throw RejectedFinding(kind: "missing-field", message: "GuardDuty finding has no \(list); a finding is identified by accountId, region and id, so it cannot be stored")
        }
        // Identity is exact: a control character (NUL above all, where SQLite's C strings end)
        // would let two findings pass for one, so such a record is refused, not truncated.
        for (name, value) in [("id", id), ("accountId", accountId), ("region", region)] {
            if let bad = value.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                let code = "U+" + String(repeating: "0", count: 4 - String(bad.value, radix: 16).count) + String(bad.value, radix: 16, uppercase: true)
                throw RejectedFinding(kind: "bad-identity", message: "GuardDuty finding's \(name) contains the control character \(code); a finding is identified by accountId, region and id exactly, so it cannot be stored (GuardDuty writes them as plain letters, digits and dashes)")
            }
        }
        var record = VersionRecord(id: id, accountId: accountId, region: region, body: CanonicalJSON.string(wire, capacity: sizeHint + sizeHint / 16))
        record.arn = wire["arn"]?.stringValue
        record.partition = wire["partition"]?.stringValue
        record.type = wire["type"]?.stringValue
        record.title = wire["title"]?.stringValue
        record.severity = wire["severity"]?.doubleValue
        record.severityLabel = record.severity.map(VersionRecord.severityLabel(for:))
        record.confidence = wire["confidence"]?.doubleValue
        record.createdAt = timestamp(wire["createdAt"])
        record.updatedAt = timestamp(wire["updatedAt"])
        let service = wire["service"]
        record.firstSeen = timestamp(service?["eventFirstSeen"])
        record.lastSeen = timestamp(service?["eventLastSeen"])
        record.count = service?["count"]?.int64Value.flatMap { VersionRecord.plausibleCounts.contains($0) ? $0 : nil }
        record.archived = service?["archived"]?.boolValue
        record.sample = isSample(service?["additionalInfo"])
        record.resourceType = wire["resource"]?["resourceType"]?.stringValue
        record.resourceRole = service?["resourceRole"]?.stringValue
        record.actionType = service?["action"]?["actionType"]?.stringValue
        record.detectorId = service?["detectorId"]?.stringValue
        record.featureName = service?["featureName"]?.stringValue
        record.indicators = IndicatorExtractor.indicators(in: wire)
        return record
    }

    static func nonEmptyString(_ value: JSONValue?) -> String? {
        guard let s = value?.stringValue, !s.isEmpty else { return nil }
        return s
    }

    /// A timestamp in the archive's format from an ISO string or epoch seconds (or
    /// milliseconds, for values too large to be seconds).
    public static func timestamp(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        switch value {
        case .string(let text):
            if let ms = Timestamp.parse(text) { return Timestamp.format(epochMilliseconds: ms) }
            if Double(text) != nil { return timestamp(.number(text)) }
            return nil
        case .number(let text):
            guard let number = Double(text), number.isFinite else { return nil }
            let ms = abs(number) >= 100_000_000_000 ? number : number * 1000
            guard abs(ms) < 253_402_300_800_000 else { return nil }  // before year 10000
            return Timestamp.format(epochMilliseconds: Int64(ms.rounded()))
        default:
            return nil
        }
    }

    /// GuardDuty's sample findings say so in `service.additionalInfo.sample`, or (in API
    /// output) inside the JSON string `service.additionalInfo.value`.
    static func isSample(_ additionalInfo: JSONValue?) -> Bool {
        guard let additionalInfo else { return false }
        if let flag = additionalInfo["sample"]?.boolValue { return flag }
        if let text = additionalInfo["value"]?.stringValue, text.contains("sample"),
           let inner = try? JSONParser.parse(Array(text.utf8)) {
            return inner["sample"]?.boolValue ?? false
        }
        return false
    }
}
