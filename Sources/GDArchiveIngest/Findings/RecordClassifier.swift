import GDArchiveJSON
/// What one top-level JSON text holds, record by record.
public enum ClassifiedRecord: Equatable, Sendable {
    /// A finding in wire (camelCase) form, ready for ``FindingExtractor``.
    case finding(JSONValue, recordIndex: Int)
    /// Something that is validly not a finding (e.g. a CloudTrail event from `aws.guardduty`).
    case skipped(recordIndex: Int, reason: String)
    /// Something that should have been a finding but is not usable.
    case rejected(recordIndex: Int, kind: String, message: String)
}

/// Recognises every form GuardDuty findings come in, by content:
///
/// | form | example |
/// |---|---|
/// | a finding in wire form (S3 export line) | `{"schemaVersion":"2.0","id":…}` |
/// | an array of them | `[{…},{…}]` |
/// | a REST `GetFindings` page | `{"findings":[…]}` |
/// | `aws guardduty get-findings` / boto3 output (PascalCase) | `{"Findings":[{"Id":…}]}` |
/// | a lone PascalCase finding | `{"Id":…,"AccountId":…}` |
/// | an EventBridge event | `{"detail-type":"GuardDuty Finding","detail":{…}}` |
/// | an array of EventBridge events | `[{"detail-type":…},…]` |
///
/// ```swift
/// for item in RecordClassifier.classify(value) {
///     if case .finding(let wire, let index) = item { … }
/// }
/// ```
///
/// Events of another `detail-type` are ``ClassifiedRecord/skipped(recordIndex:reason:)``.
/// `recordIndex` numbers the records inside one JSON text from 0.
public enum RecordClassifier {
    public static func classify(_ value: JSONValue) -> [ClassifiedRecord] {
        var out: [ClassifiedRecord] = []
        var index = 0
        classify(value, nested: false, into: &out, index: &index)
        return out
    }

    private static func classify(_ value: JSONValue, nested: Bool, into out: inout [ClassifiedRecord], index: inout Int) {
        func next() -> Int { defer { index += 1 }; return index }
        switch value {
        case .array(let elements):
            if nested {
                out.append(.rejected(recordIndex: next(), kind: "not-a-finding", message: "an array inside an array is not a GuardDuty finding"))
                return
            }
            for element in elements { classify(element, nested: true, into: &out, index: &index) }
        case .object:
            if let detailType = value["detail-type"] {
                // A GuardDuty finding in `detail` is stored whatever the detail-type says (a
                // relay may null or drop it): a finding is stored or it is an error, never
                // skipped. Another event (CloudTrail's from aws.guardduty) is skipped.
                if let detail = value["detail"], looksLikeFinding(detail) {
                    out.append(.finding(detail, recordIndex: next()))
                    return
                }
                guard detailType.stringValue == "GuardDuty Finding" else {
                    let source = value["source"]?.stringValue.map { " from \($0)" } ?? ""
                    guard let name = detailType.stringValue, !name.isEmpty else {
                        out.append(.rejected(recordIndex: next(), kind: "not-a-finding", message: "an EventBridge event\(source) whose detail-type is \(detailType.stringValue == nil ? kindName(detailType) : "empty") and whose detail is not a GuardDuty finding; expected detail-type \"GuardDuty Finding\" with the finding in detail"))
                        return
                    }
                    out.append(.skipped(recordIndex: next(), reason: "an EventBridge event of detail-type \"\(name)\"\(source) is not a GuardDuty finding"))
                    return
                }
                guard let detail = value["detail"], case .object = detail else {
                    out.append(.rejected(recordIndex: next(), kind: "not-a-finding", message: "EventBridge event of detail-type \"GuardDuty Finding\" has no \"detail\" object"))
                    return
                }
                out.append(.finding(detail, recordIndex: next()))
            } else if (value["Findings"] != nil && value["Id"] == nil) || (value["findings"] != nil && value["id"] == nil),
                      case .object(let members) = value {
                // A findings page: every "Findings" (PascalCase) and "findings" (wire) member is
                // read, in order, so a page with both, or with a key repeated, loses no finding.
                for member in members {
                    let pascal = member.key == "Findings" && value["Id"] == nil
                    guard pascal || (member.key == "findings" && value["id"] == nil) else { continue }
                    guard case .array(let findings) = member.value else {
                        out.append(.rejected(recordIndex: next(), kind: "not-a-finding", message: "\"\(member.key)\" is not an array"))
                        continue
                    }
                    for finding in findings {
                        out.append(.finding(pascal ? GuardDutyModel.wireForm(ofPascalCaseFinding: finding) : finding, recordIndex: next()))
                    }
                }
            } else if let detail = value["detail"], case .object = detail, value["id"] == nil, value["accountId"] == nil {
                // An EventBridge event without its envelope fields.
                out.append(.finding(detail, recordIndex: next()))
            } else if isPascalCaseFinding(value) {
                out.append(.finding(GuardDutyModel.wireForm(ofPascalCaseFinding: value), recordIndex: next()))
            } else {
                out.append(.finding(value, recordIndex: next()))
            }
        default:
            out.append(.rejected(recordIndex: next(), kind: "not-a-finding", message: "a JSON \(kindName(value)) is not a GuardDuty finding; expected an object"))
        }
    }

    /// A whole GuardDuty finding in wire form: its identity, or its schema version and type.
    static func looksLikeFinding(_ value: JSONValue) -> Bool {
        guard case .object = value else { return false }
        return (value["id"] != nil && value["accountId"] != nil) || (value["schemaVersion"] != nil && value["type"] != nil)
    }

    /// JSON with nothing of GuardDuty in it: not an object, or an object with none of the keys
    /// of a finding, a findings page or an EventBridge event (in camelCase or PascalCase). A
    /// file of nothing else is not findings input (a YAML file with JSON blocks, a policy).
    static func isForeign(_ value: JSONValue, depth: Int = 0) -> Bool {
        if case .array(let elements) = value {
            // An array of findings or events is not foreign; nested arrays hold none.
            return depth > 0 || elements.allSatisfy { isForeign($0, depth: depth + 1) }
        }
        guard case .object(let members) = value else { return true }
        return !members.contains { member in
            var key = member.key
            if let first = key.first, first.isUppercase { key = first.lowercased() + key.dropFirst() }
            return foreignnessKeys.contains(key)
        }
    }

    static let foreignnessKeys: Set<String> = Set(FindingExtractor.findingMarkers + ["findings", "detail", "detail-type", "source"])

    static func isPascalCaseFinding(_ value: JSONValue) -> Bool {
        guard value["id"] == nil, value["accountId"] == nil, value["schemaVersion"] == nil else { return false }
        return value["Id"] != nil || value["AccountId"] != nil || value["SchemaVersion"] != nil
            || value["Service"] != nil || value["Resource"] != nil
    }

    static func kindName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
