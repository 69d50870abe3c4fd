/// The type of a filterable field, which decides which literals it accepts.
public enum FieldType: String, Sendable {
    case text, number, integer, timestamp, bool
    /// low, medium, high or critical.
    case severityLabel = "severity_label"
}

/// Where a field's values live.
public enum FieldStorage: Sendable, Equatable {
    /// A column of `latest_findings` / `finding_versions`.
    case column(String)
    /// Rows of kind `kind` in the `indicators` table.
    case indicator(String)
    /// Any indicator of an IOC kind.
    case anyIOC
}

/// One short field of the filter language, `gdarchive fields` and the README's filter table.
///
/// ```swift
/// let field = FieldCatalog.field(named: "severity")!
/// field.storage   // .column("severity")
/// ```
public struct Field: Sendable, Equatable {
    public var name: String
    public var type: FieldType
    public var storage: FieldStorage
    /// The JSON path(s) in the finding that the field is taken from.
    public var paths: [String]
    public var description: String
    /// Whether `ioc = …` searches this indicator kind.
    public var isIOC: Bool = false
}

/// Every short field, defined once: the filter compiler, `gdarchive fields` and the
/// documentation all read this table.
public enum FieldCatalog {
    public static let all: [Field] = [
        col("id", .text, ["id"], "The finding's id (unique within its account and region)."),
        col("arn", .text, ["arn"], "The finding's ARN."),
        col("account_id", .text, ["accountId"], "The AWS account the finding belongs to."),
        col("region", .text, ["region"], "The Region the finding was generated in."),
        col("partition", .text, ["partition"], "The AWS partition (aws, aws-cn, aws-us-gov)."),
        col("type", .text, ["type"], "The finding type, e.g. Recon:EC2/PortProbeUnprotectedPort."),
        col("title", .text, ["title"], "The finding's title."),
        col("severity", .number, ["severity"], "Severity 1.0–10.0; also compared with low, medium, high, critical (their lower bounds)."),
        col("severity_label", .severityLabel, ["severity"], "low (1.0–3.9), medium (4.0–6.9), high (7.0–8.9) or critical (9.0–10.0)."),
        col("confidence", .number, ["confidence"], "GuardDuty's confidence score."),
        col("created_at", .timestamp, ["createdAt"], "When the finding was created."),
        col("updated_at", .timestamp, ["updatedAt"], "When this version of the finding was last updated."),
        col("first_seen", .timestamp, ["service.eventFirstSeen"], "When the activity was first seen."),
        col("last_seen", .timestamp, ["service.eventLastSeen"], "When the activity was last seen (in this version)."),
        col("count", .integer, ["service.count"], "How many times GuardDuty saw the activity (in this version)."),
        col("archived", .bool, ["service.archived"], "Whether the finding was archived."),
        col("sample", .bool, ["service.additionalInfo.sample", "service.additionalInfo.value"], "Whether GuardDuty generated it as a sample finding."),
        col("resource_type", .text, ["resource.resourceType"], "Instance, AccessKey, S3Bucket, EKSCluster, ECSCluster, Container, RDSDBInstance, Lambda, EBSVolume, …"),
        col("resource_role", .text, ["service.resourceRole"], "TARGET or ACTOR."),
        col("action_type", .text, ["service.action.actionType"], "NETWORK_CONNECTION, PORT_PROBE, DNS_REQUEST, AWS_API_CALL, RDS_LOGIN_ATTEMPT, KUBERNETES_API_CALL (null when there is no action)."),
        col("detector_id", .text, ["service.detectorId"], "The GuardDuty detector."),
        col("feature_name", .text, ["service.featureName"], "The GuardDuty feature that produced it (RuntimeMonitoring, EbsVolumeScan, …)."),
        ioc("remote_ip", ["…remoteIpDetails.ipAddressV4/V6 (network connection, API call, port probe, Kubernetes, RDS)", "…kubernetesApiCallAction.sourceIps[]"], "A remote IP address (IPv4 or IPv6) involved in the activity."),
        ioc("local_ip", ["…localIpDetails.ipAddressV4/V6", "resource.instanceDetails.networkInterfaces[].privateIpAddress/publicIp/ipv6Addresses[]"], "A local IP address of the affected resource."),
        ioc("domain", ["service.action.dnsRequestAction.domain", "…domainDetails.domain"], "A domain name (lower-cased, without a trailing dot)."),
        ioc("access_key_id", ["resource.accessKeyDetails.accessKeyId"], "An AWS access key id."),
        ioc("principal_id", ["resource.accessKeyDetails.principalId", "…kubernetesUserDetails.uid"], "An IAM principal id or a Kubernetes user uid."),
        ioc("user_name", ["resource.accessKeyDetails.userName", "…kubernetesUserDetails.username", "…rdsDbUserDetails.user"], "An IAM, Kubernetes or database user name."),
        ioc("instance_id", ["…instanceDetails.instanceId"], "An EC2 instance id."),
        ioc("image_id", ["…instanceDetails.imageId"], "An AMI id."),
        ioc("bucket", ["resource.s3BucketDetails[].name"], "An S3 bucket name."),
        ioc("eks_cluster", ["resource.eksClusterDetails.name"], "An EKS cluster name."),
        ioc("ecs_cluster", ["resource.ecsClusterDetails.name"], "An ECS cluster name."),
        ioc("container_image", ["…containerDetails.image", "…containers[].image"], "A container image."),
        ioc("lambda_function", ["resource.lambdaDetails.functionName"], "A Lambda function name."),
        ioc("rds_instance", ["resource.rdsDbInstanceDetails.dbInstanceIdentifier"], "An RDS DB instance identifier."),
        ioc("sha256", ["…executableSha256, …sha256, …filePaths[].hash"], "A SHA-256 file hash (lower-case hex)."),
        attribute("remote_country", .text, ["…remoteIpDetails.country.countryName"], "The country of a remote IP address."),
        attribute("api", .text, ["service.action.awsApiCallAction.api"], "The AWS API called."),
        attribute("local_port", .integer, ["…localPortDetails.port"], "A local port (network connection, port probe)."),
        attribute("remote_port", .integer, ["…remotePortDetails.port"], "A remote port."),
        Field(name: "ioc", type: .text, storage: .anyIOC, paths: ["any indicator above except remote_country, api and the ports"],
              description: "Matches a finding that contains the value as any kind of indicator."),
    ]

    private static let byName: [String: Field] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func field(named name: String) -> Field? { byName[name.lowercased()] }

    /// The indicator kinds `ioc` searches.
    public static var iocKinds: [String] {
        all.filter(\.isIOC).compactMap { if case .indicator(let kind) = $0.storage { return kind } else { return nil } }
    }

    /// Every indicator kind (IOCs and attributes).
    public static var indicatorKinds: [String] {
        all.compactMap { if case .indicator(let kind) = $0.storage { return kind } else { return nil } }
    }

    /// Top-level members of a finding in wire form; a bare one (`description`) is read as a path.
    public static let topLevelMembers: Set<String> = [
        "accountId", "arn", "confidence", "createdAt", "description", "id", "partition", "region", "resource",
        "schemaVersion", "service", "severity", "title", "type", "updatedAt", "associatedAttackSequenceArn",
    ]

    private static func col(_ name: String, _ type: FieldType, _ paths: [String], _ description: String) -> Field {
        Field(name: name, type: type, storage: .column(name), paths: paths, description: description)
    }

    private static func ioc(_ name: String, _ paths: [String], _ description: String) -> Field {
        Field(name: name, type: .text, storage: .indicator(name), paths: paths, description: description, isIOC: true)
    }

    private static func attribute(_ name: String, _ type: FieldType, _ paths: [String], _ description: String) -> Field {
        Field(name: name, type: type, storage: .indicator(name), paths: paths, description: description)
    }

    /// Names close to `name`, best first, for "did you mean".
    public static func suggestions(for name: String) -> [String] {
        let lower = name.lowercased()
        // A word of field names (`ip` of `remote_ip` and `local_ip`): those fields, and `ioc`
        // when they are indicators, before fields that are merely spelled alike (`id`).
        let worded = all.filter { $0.name != lower && $0.name.split(separator: "_").contains { $0 == lower } }
        if !worded.isEmpty {
            var names = worded.map(\.name).sorted()
            if worded.contains(where: { if case .indicator(let kind) = $0.storage { return iocKinds.contains(kind) } else { return false } }) {
                names.append("ioc")
            }
            return Array(names.prefix(4))
        }
        var scored: [(name: String, distance: Int)] = []
        for field in all {
            let distance = editDistance(lower, field.name)
            let close = distance <= max(2, lower.count / 3)
            if close || field.name.hasPrefix(lower) || lower.hasPrefix(field.name) {
                scored.append((field.name, distance))
            }
        }
        scored.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.name < $1.name }
        guard let best = scored.first?.distance else { return [] }
        return scored.filter { $0.distance <= best }.prefix(3).map { $0.name }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
