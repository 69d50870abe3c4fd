import Foundation

/// Deterministic, realistic GuardDuty findings in wire form, for tests and benchmarks.
///
/// ```swift
/// var generator = FindingGenerator(seed: 42)
/// let line = generator.finding(number: 7, version: 2)   // one S3-export JSON line
/// ```
///
/// Version `v` of finding `n` has `service.count` growing with `v` and `updatedAt`/
/// `eventLastSeen` advancing by `spacing` (an hour unless given) per version; everything else
/// is fixed by `n`, so the same (n, v) always gives the same bytes. Shapes follow the real
/// samples: nulls, numbers as strings (`asn`), nested arrays, and a mix of resource and action
/// types.
public struct FindingGenerator: Sendable {
    private let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
    }

    static let kinds: [(resource: String, type: String, action: String?)] = [
        ("Instance", "UnauthorizedAccess:EC2/TorClient", "NETWORK_CONNECTION"),
        ("Instance", "Recon:EC2/PortProbeUnprotectedPort", "PORT_PROBE"),
        ("Instance", "Trojan:EC2/DNSDataExfiltration", "DNS_REQUEST"),
        ("AccessKey", "CredentialAccess:IAMUser/AnomalousBehavior", "AWS_API_CALL"),
        ("S3Bucket", "Discovery:S3/MaliciousIPCaller", "AWS_API_CALL"),
        ("EKSCluster", "Discovery:Kubernetes/SuccessfulAnonymousAccess", "KUBERNETES_API_CALL"),
        ("RDSDBInstance", "CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin", "RDS_LOGIN_ATTEMPT"),
        ("Container", "Execution:Runtime/NewBinaryExecuted", nil),
    ]

    private func mix(_ n: Int, _ salt: UInt64) -> UInt64 {
        var z = seed &+ UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15 &+ salt
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The finding id of finding `number`.
    public func id(_ number: Int) -> String {
        String(format: "%016llx%016llx", mix(number, 1), mix(number, 2))
    }

    /// One finding version as a compact JSON line (no trailing newline).
    public func finding(number n: Int, version v: Int, account: String = "111122223333", region: String = "us-east-1",
                        spacing: Int64 = 3600) -> String {
        let kind = Self.kinds[Int(mix(n, 3) % UInt64(Self.kinds.count))]
        let id = id(n)
        let severity = [2, 5, 8][Int(mix(n, 4) % 3)]
        let base: Int64 = 1_735_689_600 + Int64(mix(n, 5) % 31_536_000)  // some time in 2025
        let created = iso(base)
        let updated = iso(base + Int64(v - 1) * spacing)
        let ip = "198.51.\(mix(n, 6) % 256).\(mix(n, 7) % 256)"
        let count = 1 + (v - 1) * Int(1 + mix(n, 8) % 5)
        let action: String
        switch kind.action {
        case "NETWORK_CONNECTION"?:
            action = #""action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"blocked":false,"connectionDirection":"OUTBOUND","localPortDetails":{"port":41234,"portName":"Unknown"},"protocol":"TCP","remoteIpDetails":{"city":{"cityName":"Amsterdam"},"country":{"countryName":"Netherlands"},"geoLocation":{"lat":52.37,"lon":4.89},"ipAddressV4":"\#(ip)","organization":{"asn":"16509","asnOrg":"EXAMPLE","isp":"Example","org":"Example"}},"remotePortDetails":{"port":443,"portName":"HTTPS"}}},"#
        case "PORT_PROBE"?:
            action = #""action":{"actionType":"PORT_PROBE","portProbeAction":{"blocked":false,"portProbeDetails":[{"localIpDetails":{"ipAddressV4":"10.0.0.\#(n % 250)"},"localPortDetails":{"port":22,"portName":"SSH"},"remoteIpDetails":{"country":{"countryName":"Brazil"},"ipAddressV4":"\#(ip)","organization":{"asn":"28573","asnOrg":"CLARO","isp":"Claro","org":"Claro"}}}]}},"#
        case "DNS_REQUEST"?:
            action = #""action":{"actionType":"DNS_REQUEST","dnsRequestAction":{"blocked":false,"domain":"c2-\#(n).example.net","protocol":"UDP"}},"#
        case "AWS_API_CALL"?:
            action = #""action":{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"GetSecretValue","callerType":"Remote IP","errorCode":null,"remoteIpDetails":{"country":{"countryName":"Russia"},"ipAddressV4":"\#(ip)","organization":{"asn":"12389","asnOrg":"ROSTELECOM","isp":"Rostelecom","org":"Rostelecom"}},"serviceName":"secretsmanager.amazonaws.com"}},"#
        case "KUBERNETES_API_CALL"?:
            action = #""action":{"actionType":"KUBERNETES_API_CALL","kubernetesApiCallAction":{"requestUri":"/api/v1/secrets","sourceIps":["\#(ip)"],"statusCode":200,"userAgent":"kubectl/v1.29.0","verb":"list"}},"#
        case "RDS_LOGIN_ATTEMPT"?:
            action = #""action":{"actionType":"RDS_LOGIN_ATTEMPT","rdsLoginAttemptAction":{"loginAttributes":[{"application":"psql","failedLoginAttempts":0,"successfulLoginAttempts":1,"user":"admin"}],"remoteIpDetails":{"ipAddressV4":"\#(ip)"}}},"#
        default:
            action = ""
        }
        let resource: String
        switch kind.resource {
        case "AccessKey":
            resource = #""accessKeyDetails":{"accessKeyId":"ASIA\#(n)EXAMPLE","principalId":"AIDA\#(n)EXAMPLE","userName":"user\#(n % 97)","userType":"IAMUser"}"#
        case "S3Bucket":
            resource = #""s3BucketDetails":[{"arn":"arn:aws:s3:::bucket-\#(n % 53)","name":"bucket-\#(n % 53)","type":"Destination","tags":[]}]"#
        case "EKSCluster":
            resource = #""eksClusterDetails":{"name":"eks-\#(n % 7)","status":"ACTIVE","vpcId":"vpc-\#(n % 11)"}"#
        case "RDSDBInstance":
            resource = #""rdsDbInstanceDetails":{"dbInstanceIdentifier":"db-\#(n % 13)","engine":"aurora-postgresql","engineVersion":"15.4"}"#
        case "Container":
            resource = #""containerDetails":{"id":"c\#(n)","image":"nginx:1.25","imagePrefix":null,"name":"api"}"#
        default:
            resource = #""instanceDetails":{"availabilityZone":"\#(region)a","imageId":"ami-\#(n % 17)","instanceId":"i-\#(String(mix(n, 9) % 0xffffffff, radix: 16))","instanceState":"running","instanceType":"t3.medium","launchTime":"2024-11-02T10:00:00.000Z","networkInterfaces":[{"ipv6Addresses":[],"privateIpAddress":"10.0.0.\#(n % 250)","publicIp":"203.0.113.\#(n % 250)","securityGroups":[{"groupId":"sg-1","groupName":"web"}],"subnetId":"subnet-1","vpcId":"vpc-1"}],"platform":null,"productCodes":[],"tags":[{"key":"Name","value":"web-\#(n)"}]}"#
        }
        let role = kind.action == nil ? "" : #""resourceRole":"TARGET","#
        let sentences = 1 + Int(mix(n, 11) % 8)
        let description = (0..<sentences).map { i in
            "Activity \(i) for finding \(n): a principal or host behaved in a way GuardDuty associates with \(kind.type)."
        }.joined(separator: " ")
        let threats = (0..<(1 + Int(mix(n, 12) % 4))).map { #""ThreatName\#(n % 37)-\#($0)""# }.joined(separator: ",")
        let evidence = #""evidence":{"threatIntelligenceDetails":[{"threatListName":"ProofPoint","threatNames":[\#(threats)]}]},"#
        return #"{"accountId":"\#(account)","arn":"arn:aws:guardduty:\#(region):\#(account):detector/12abc/finding/\#(id)","createdAt":"\#(created)","description":"Generated finding \#(n) version \#(v). \#(description)","id":"\#(id)","partition":"aws","region":"\#(region)","resource":{\#(resource),"resourceType":"\#(kind.resource)"},"schemaVersion":"2.0","service":{\#(action)"additionalInfo":{"type":"default","value":"{\"threatListName\":\"ProofPoint\"}","threatListName":"ProofPoint"},\#(evidence)"featureName":"\#(kind.action == nil ? "RuntimeMonitoring" : "FlowLogs")","archived":false,"count":\#(count),"detectorId":"12abc","eventFirstSeen":"\#(created)","eventLastSeen":"\#(updated)",\#(role)"serviceName":"guardduty"},"severity":\#(severity),"title":"\#(kind.type) on \#(kind.resource) \#(n)","type":"\#(kind.type)","updatedAt":"\#(updated)"}"#
    }

    private func iso(_ seconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.000Z", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// Writes an S3-export-shaped tree: `files` gzip JSON-lines files of `findingsPerFile`
    /// lines each under `AWSLogs/<account>/GuardDuty/<region>/2025/01/DD/`. File `f` carries
    /// version `1 + f / 4` of findings `(f % 4) * findingsPerFile ..< +findingsPerFile`, so
    /// findings recur with new versions across files.
    public func writeExportTree(at root: URL, files: Int, findingsPerFile: Int, account: String = "111122223333",
                                region: String = "us-east-1") throws {
        for f in 0..<files {
            let day = 1 + f % 28
            let folder = root.appendingPathComponent("AWSLogs/\(account)/GuardDuty/\(region)/2025/01/" + String(format: "%02d", day))
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var text = ""
            let first = (f % 4) * findingsPerFile
            for n in first..<(first + findingsPerFile) {
                text += finding(number: n, version: 1 + f / 4, account: account, region: region) + "\n"
            }
            let name = String(format: "%016llx", mix(f, 10)) + ".jsonl.gz"
            try Data(Gzip.compress(Array(text.utf8))).write(to: folder.appendingPathComponent(name))
        }
    }

    /// What ``writeCorpus(at:findings:meanVersions:targetFiles:accounts:regions:)`` wrote.
    public struct CorpusStats: Codable, Sendable {
        public var files = 0
        public var versions = 0
        public var findings = 0
        /// Bytes of JSON lines (decompressed) and of the gzip files.
        public var jsonBytes = 0
        public var gzipBytes = 0
    }

    /// The time between a finding's versions in a benchmark corpus: a day. Changing what
    /// ``writeCorpus(at:findings:meanVersions:targetFiles:accounts:regions:)`` writes means
    /// changing `CORPUS_FORMAT` in `Benchmarks/run` too, so that cached corpora are made again.
    public static let corpusSpacing: Int64 = 86_400

    /// Writes a realistic export tree: `findings` findings spread over `accounts` × `regions`,
    /// each with 1 … 2·`meanVersions`−1 versions (count growing, updatedAt advancing a day per
    /// version, so that each version is in another export file) over 2025, one folder per day as
    /// in `AWSLogs/<account>/GuardDuty/<region>/YYYY/MM/DD/`, split into about `targetFiles` gzip
    /// JSON-lines files.
    public func writeCorpus(at root: URL, findings: Int, meanVersions: Int, targetFiles: Int,
                            accounts: Int = 1, regions: Int = 1) throws -> CorpusStats {
        let accountIDs = (0..<accounts).map { String(111_122_223_333 + $0 * 111_111) }
        let regionNames = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-west-2", "sa-east-1"].prefix(max(1, regions))
        struct Event { var finding: Int32; var version: Int32; var day: Int32; var group: Int32 }
        var events: [Event] = []
        let base: Int64 = 1_735_689_600  // 2025-01-01
        for n in 0..<findings {
            let versions = 1 + Int(mix(n, 20) % UInt64(max(1, 2 * meanVersions - 1)))
            let start = base + Int64(mix(n, 5) % 31_536_000)
            let group = Int32(n % (accounts * regionNames.count))
            for v in 1...versions {
                // A day between versions, and so one version of a finding per export file: an
                // export carries each finding once, as it stands when exported. (The last
                // versions of findings that start in late December fall in January 2026.)
                let t = start + Int64(v - 1) * Self.corpusSpacing
                let day = Int32((t - base) / 86_400)
                events.append(Event(finding: Int32(n), version: Int32(v), day: day, group: group))
            }
        }
        events.sort { ($0.group, $0.day, $0.finding, $0.version) < ($1.group, $1.day, $1.finding, $1.version) }
        let perFile = max(1, (events.count + targetFiles - 1) / max(1, targetFiles))
        var stats = CorpusStats()
        stats.findings = findings
        stats.versions = events.count
        var i = 0
        var fileNumber = 0
        while i < events.count {
            let first = events[i]
            var j = i
            var text = ""
            let account = accountIDs[Int(first.group) % accounts]
            let region = String(regionNames[Int(first.group) / accounts])
            while j < events.count && j - i < perFile && events[j].group == first.group && events[j].day == first.day {
                text += finding(number: Int(events[j].finding), version: Int(events[j].version), account: account, region: region,
                                spacing: Self.corpusSpacing) + "\n"
                j += 1
            }
            let date = Date(timeIntervalSince1970: TimeInterval(base + Int64(first.day) * 86_400))
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            let folder = root.appendingPathComponent(String(format: "AWSLogs/%@/GuardDuty/%@/%04d/%02d/%02d", account, region, c.year!, c.month!, c.day!))
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let bytes = Array(text.utf8)
            let gz = Gzip.compress(bytes)
            try Data(gz).write(to: folder.appendingPathComponent(String(format: "%016llx", mix(fileNumber, 30)) + ".jsonl.gz"))
            stats.files += 1
            stats.jsonBytes += bytes.count
            stats.gzipBytes += gz.count
            fileNumber += 1
            i = j
        }
        return stats
    }
}
