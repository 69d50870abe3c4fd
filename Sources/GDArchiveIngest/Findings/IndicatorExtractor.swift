import GDArchiveModel
import GDArchiveJSON
import GDArchiveStore

/// Finds the indicators a finding carries, wherever they are: not only in the details of its
/// `resourceType` (GuardDuty's sample findings carry instance details on AccessKey findings,
/// for one), by walking the whole finding and matching each value by its key and the keys of
/// the objects around it.
///
/// ```swift
/// let indicators = IndicatorExtractor.indicators(in: wire)
/// // [Indicator(kind: "remote_ip", value: "198.51.100.7"), Indicator(kind: "domain", value: "c2.example.net"), …]
/// ```
///
/// | kind | taken from |
/// |---|---|
/// | remote_ip | `ipAddressV4`/`ipAddressV6` in any `remoteIpDetails` (network connection, API call, port probe details, Kubernetes API call, RDS login), Kubernetes `sourceIps` |
/// | local_ip | `localIpDetails` addresses, instance `networkInterfaces[].privateIpAddress`/`publicIp`/`privateIpAddresses[]`/`ipv6Addresses[]` |
/// | domain | `dnsRequestAction.domain`, `domainDetails.domain` (lower-cased, no trailing dot) |
/// | access_key_id | `accessKeyId` |
/// | principal_id | `principalId`, Kubernetes user `uid` |
/// | user_name | `accessKeyDetails.userName`, Kubernetes `username`, `rdsDbUserDetails.user` |
/// | instance_id, image_id | `instanceId`, `imageId` |
/// | bucket | `s3BucketDetails[].name` |
/// | eks_cluster, ecs_cluster | `eksClusterDetails.name`, `ecsClusterDetails.name` |
/// | container_image | `image` of `containerDetails` and of `containers[]` |
/// | lambda_function | `lambdaDetails.functionName` |
/// | rds_instance | `dbInstanceIdentifier` |
/// | sha256 | `sha256`, `…Sha256` and `hash` values (hexadecimal lower-cased; anything else as it stands) |
/// | remote_country | `remoteIpDetails.country.countryName` |
/// | api | `awsApiCallAction.api` |
/// | local_port, remote_port | `localPortDetails.port`, `remotePortDetails.port` |
public enum IndicatorExtractor {
    /// Bumped whenever the rules change, so that older archives are re-derived.
    /// 2: a `sha256` that is not 64 hex digits is indexed as it stands (it was dropped).
    public static let version = 2

    /// Every kind the rules can produce.
    public static let kinds: Set<String> = [
        "remote_ip", "local_ip", "domain", "access_key_id", "principal_id", "user_name", "instance_id", "image_id",
        "bucket", "eks_cluster", "ecs_cluster", "container_image", "lambda_function", "rds_instance", "sha256",
        "remote_country", "api", "local_port", "remote_port",
    ]

    public static func indicators(in finding: JSONValue) -> [Indicator] {
        var found = Set<Indicator>()
        var path: [String] = []
        walk(finding, path: &path, into: &found)
        return found.sorted()
    }

    private static func walk(_ value: JSONValue, path: inout [String], into found: inout Set<Indicator>) {
        switch value {
        case .object(let members):
            for member in members {
                path.append(member.key)
                walk(member.value, path: &path, into: &found)
                path.removeLast()
            }
        case .array(let elements):
            // Array elements share the array's key as their context.
            for element in elements { walk(element, path: &path, into: &found) }
        case .string(let s):
            if let kind = kind(for: path, value: s), let normalized = normalize(s, kind: kind) {
                found.insert(Indicator(kind: kind, value: normalized))
            }
        case .number(let n):
            if let kind = kind(for: path, value: n), kind == "local_port" || kind == "remote_port" {
                found.insert(Indicator(kind: kind, value: CanonicalJSON.normalizeNumber(n)))
            }
        default:
            break
        }
    }

    private static func kind(for path: [String], value: String) -> String? {
        guard let key = path.last else { return nil }
        let parent = path.count >= 2 ? path[path.count - 2] : ""
        switch key {
        case "ipAddressV4", "ipAddressV6":
            if parent == "remoteIpDetails" { return "remote_ip" }
            if parent == "localIpDetails" { return "local_ip" }
            return nil
        case "sourceIps": return "remote_ip"
        case "privateIpAddress", "publicIp":
            return parent == "networkInterfaces" || parent == "privateIpAddresses" ? "local_ip" : nil
        case "ipv6Addresses": return parent == "networkInterfaces" ? "local_ip" : nil
        case "domain": return parent == "dnsRequestAction" || parent == "domainDetails" ? "domain" : nil
        case "accessKeyId": return "access_key_id"
        case "principalId": return "principal_id"
        case "uid": return parent == "kubernetesUserDetails" ? "principal_id" : nil
        case "userName": return parent == "accessKeyDetails" ? "user_name" : nil
        case "username": return parent == "kubernetesUserDetails" ? "user_name" : nil
        case "user": return parent == "rdsDbUserDetails" ? "user_name" : nil
        case "instanceId": return "instance_id"
        case "imageId": return "image_id"
        case "name":
            switch parent {
            case "s3BucketDetails": return "bucket"
            case "eksClusterDetails": return "eks_cluster"
            case "ecsClusterDetails": return "ecs_cluster"
            default: return nil
            }
        case "image": return parent == "containerDetails" || parent == "containers" ? "container_image" : nil
        case "functionName": return parent == "lambdaDetails" ? "lambda_function" : nil
        case "dbInstanceIdentifier": return "rds_instance"
        case "countryName":
            return parent == "country" && path.count >= 3 && path[path.count - 3] == "remoteIpDetails" ? "remote_country" : nil
        case "api": return parent == "awsApiCallAction" ? "api" : nil
        case "port":
            if parent == "localPortDetails" { return "local_port" }
            if parent == "remotePortDetails" { return "remote_port" }
            return nil
        default:
            if key == "sha256" || key.hasSuffix("Sha256") || key == "hash" { return "sha256" }
            return nil
        }
    }

    private static func normalize(_ value: String, kind: String) -> String? {
        IndicatorValue.normalize(value, kind: kind)
    }
}
