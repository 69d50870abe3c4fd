/// One finding version ready to be stored: its canonical JSON, its hash and the indexed
/// columns extracted from it.
///
/// ```swift
/// var record = VersionRecord(id: "abc", accountId: "111122223333", region: "us-east-1",
///                            body: #"{"accountId":"111122223333","id":"abc","region":"us-east-1"}"#)
/// record.severity = 8
/// record.severityLabel = "high"
/// ```
///
/// `GDArchiveIngest` builds these from input; the store never parses JSON.
public struct VersionRecord: Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var region: String
    public var arn: String?
    public var partition: String?
    public var type: String?
    public var title: String?
    public var severity: Double?
    public var severityLabel: String?
    public var confidence: Double?
    public var createdAt: String?
    public var updatedAt: String?
    public var firstSeen: String?
    public var lastSeen: String?
    public var count: Int64?
    public var archived: Bool?
    public var sample: Bool = false
    public var resourceType: String?
    public var resourceRole: String?
    public var actionType: String?
    public var detectorId: String?
    public var featureName: String?
    /// The finding JSON in canonical wire form.
    public var body: String
    /// SHA-256 of `body`'s UTF-8 bytes.
    public var hash: [UInt8]
    /// The indicators found in the finding (distinct).
    public var indicators: [Indicator] = []

    /// The `service.count` values taken as a count: GuardDuty's counts are far below 10^12. One
    /// outside (negative, or 2^63 - 1 from a forged or broken record) is stored as unknown (the
    /// body keeps it), so that no sum of counts can overflow and no occurrence is negative.
    public static let plausibleCounts: ClosedRange<Int64> = 0...1_000_000_000_000

    public init(id: String, accountId: String, region: String, body: String) {
        self.id = id
        self.accountId = accountId
        self.region = region
        self.body = body
        self.hash = SHA256.hash(body.utf8)  // no copy of the body (it may be 256 MiB)
    }

    /// The severity band GuardDuty documents: low 1.0–3.9, medium 4.0–6.9, high 7.0–8.9,
    /// critical 9.0–10.0.
    public static func severityLabel(for severity: Double) -> String {
        switch severity {
        case ..<4: return "low"
        case ..<7: return "medium"
        case ..<9: return "high"
        default: return "critical"
        }
    }
}

/// One indicator of a version: an IOC such as a remote IP address, or a searchable attribute
/// such as the API called.
///
/// ```swift
/// let indicator = Indicator(kind: "remote_ip", value: "198.51.100.7")
/// ```
public struct Indicator: Hashable, Sendable, Comparable {
    public var kind: String
    public var value: String
    public init(kind: String, value: String) {
        self.kind = kind
        self.value = value
    }

    public static func < (a: Indicator, b: Indicator) -> Bool {
        (a.kind, a.value) < (b.kind, b.value)
    }
}
