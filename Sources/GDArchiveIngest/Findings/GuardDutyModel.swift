import GDArchiveBasics
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
/// seconds, become numbers again. Map keys are data and are left alone. A member the model does
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
