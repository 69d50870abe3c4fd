#!/usr/bin/env python3
"""Writes the scenario fixtures under Fixtures/ (deterministic: random.Random(42), gzip mtime 0).

The findings are shaped on the real samples in ../shared/samples: nulls, numbers as strings
(asn), epoch floats (EBS scan times), missing `action`, nested arrays. Run from anywhere:
    python3 scripts/make-fixtures.py
The PascalCase fixture is made with botocore's GuardDuty model (pip install botocore), the
way `aws guardduty get-findings` prints findings: member names, and timestamps as ISO strings.
"""
import copy, gzip, io, json, os, random, shutil, uuid

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")
rng = random.Random(42)

def uid():
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex

def remote_ip(ip, country="Netherlands", asn="16509"):
    return {"ipAddressV4": ip, "ipAddressV6": None, "organization": {"asn": asn, "asnOrg": "EXAMPLE-AS", "isp": "Example ISP", "org": "Example Org"},
            "country": {"countryName": country}, "city": {"cityName": "Amsterdam"}, "geoLocation": {"lat": 52.37, "lon": 4.89}}

def instance_details(n):
    return {"instanceId": "i-0%015x" % n, "instanceType": "t3.medium", "launchTime": "2024-11-02T10:00:00.000Z", "platform": None,
            "productCodes": [{"productCodeId": "prod-%d" % n, "productCodeType": "marketplace"}], "imageId": "ami-0abc%04d" % n,
            "iamInstanceProfile": {"arn": "arn:aws:iam::111122223333:instance-profile/web", "id": "AIPAEXAMPLE%d" % n},
            "networkInterfaces": [{"networkInterfaceId": "eni-%08x" % n, "privateIpAddress": "10.0.%d.%d" % (n, n + 10),
                                   "privateIpAddresses": [{"privateDnsName": "ip-10-0-%d-%d.ec2.internal" % (n, n + 10), "privateIpAddress": "10.0.%d.%d" % (n, n + 10)}],
                                   "publicIp": "203.0.113.%d" % n, "ipv6Addresses": [], "subnetId": "subnet-%x" % n, "vpcId": "vpc-%x" % n,
                                   "securityGroups": [{"groupId": "sg-%x" % n, "groupName": "web"}]}],
            "tags": [{"key": "Name", "value": "web-%d" % n}], "instanceState": "running", "availabilityZone": "us-east-1a"}

def access_key(user="alice"):
    return {"accessKeyId": "ASIAEXAMPLE%s" % user.upper(), "principalId": "AIDAEXAMPLE%s" % user.upper(), "userName": user, "userType": "IAMUser"}

ACTIONS = {
    "NETWORK_CONNECTION": lambda n: {"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {
        "blocked": False, "connectionDirection": "OUTBOUND", "protocol": "TCP", "localPortDetails": {"port": 41234, "portName": "Unknown"},
        "remotePortDetails": {"port": 443, "portName": "HTTPS"}, "localIpDetails": {"ipAddressV4": "10.0.%d.%d" % (n, n + 10)},
        "remoteIpDetails": remote_ip("198.51.100.%d" % n)}},
    "PORT_PROBE": lambda n: {"actionType": "PORT_PROBE", "portProbeAction": {"blocked": False, "portProbeDetails": [
        {"localPortDetails": {"port": 22, "portName": "SSH"}, "localIpDetails": {"ipAddressV4": "10.0.%d.%d" % (n, n + 10)}, "remoteIpDetails": remote_ip("198.51.100.%d" % (n + 100), "Brazil", "28573")},
        {"localPortDetails": {"port": 3389, "portName": "RDP"}, "localIpDetails": {"ipAddressV4": "10.0.%d.%d" % (n, n + 10)}, "remoteIpDetails": remote_ip("198.51.100.%d" % (n + 101), "Brazil", "28573")}]}},
    "DNS_REQUEST": lambda n: {"actionType": "DNS_REQUEST", "dnsRequestAction": {"domain": "c2-%d.example.net" % n, "protocol": "UDP", "blocked": False, "domainWithSuffix": "example.net"}},
    "AWS_API_CALL": lambda n: {"actionType": "AWS_API_CALL", "awsApiCallAction": {"api": "GetSecretValue", "serviceName": "secretsmanager.amazonaws.com",
        "callerType": "Remote IP", "remoteIpDetails": remote_ip("192.0.2.%d" % n, "Russia", "12389"), "errorCode": None, "affectedResources": {}}},
    "RDS_LOGIN_ATTEMPT": lambda n: {"actionType": "RDS_LOGIN_ATTEMPT", "rdsLoginAttemptAction": {"remoteIpDetails": remote_ip("192.0.2.%d" % (n + 50)),
        "loginAttributes": [{"user": "admin", "application": "psql", "failedLoginAttempts": 0, "successfulLoginAttempts": 1}]}},
    "KUBERNETES_API_CALL": lambda n: {"actionType": "KUBERNETES_API_CALL", "kubernetesApiCallAction": {"requestUri": "/api/v1/namespaces/default/secrets",
        "verb": "list", "sourceIps": ["203.0.113.%d" % (n + 100)], "userAgent": "kubectl/v1.29.0", "statusCode": 200,
        "remoteIpDetails": remote_ip("203.0.113.%d" % (n + 100))}},
}

def finding(n, resource_type, type_, severity, resource, action=None, feature=None, account="111122223333", region="us-east-1",
            day=6, extra_service=None):
    fid = uid()
    detector = "12abc34d567e8fa901bc2d34e56789f0"
    created = "2025-01-%02dT0%d:1%d:0%d.%03dZ" % (day, n % 10, n % 6, n % 10, n * 7 % 1000)
    service = {"serviceName": "guardduty", "detectorId": detector, "resourceRole": "TARGET" if action else None,
               "additionalInfo": {"value": "{}", "type": "default"}, "evidence": None,
               "eventFirstSeen": created.replace("Z", "Z"), "eventLastSeen": created, "archived": False, "count": 1}
    if action:
        service["action"] = ACTIONS[action](n)
    if feature:
        service["featureName"] = feature
    if extra_service:
        service.update(extra_service)
    return {"schemaVersion": "2.0", "accountId": account, "region": region, "partition": "aws", "id": fid,
            "arn": "arn:aws:guardduty:%s:%s:detector/%s/finding/%s" % (region, account, detector, fid),
            "type": type_, "resource": dict(resourceType=resource_type, **resource), "service": service,
            "severity": severity, "createdAt": created, "updatedAt": created,
            "title": "%s on %s %d" % (type_.split("/")[-1], resource_type, n), "description": "Fixture finding %d (%s)." % (n, type_)}

def ebs_scan(n):
    return {"ebsVolumeScanDetails": {"scanId": "scan%06d" % n, "scanStartedAt": 1.736158503E9, "scanCompletedAt": 1.7361590265E9,
            "scanType": "GUARDDUTY_INITIATED", "triggerFindingId": "trigger%d" % n, "sources": ["Bitdefender"],
            "scanDetections": {"scannedItemCount": {"totalGb": 8, "files": 65226, "volumes": 1}, "threatsDetectedItemCount": {"files": 1},
                "highestSeverityThreatDetails": {"severity": "HIGH", "threatName": "EICAR-Test-File", "count": 1},
                "threatDetectedByName": {"itemCount": 1, "uniqueThreatNameCount": 1, "shortened": False, "threatNames": [{"name": "EICAR-Test-File",
                    "severity": "HIGH", "itemCount": 1, "filePaths": [{"filePath": "tmp/eicar.com", "fileName": "eicar.com",
                    "volumeArn": "arn:aws:ec2:us-east-1:111122223333:volume/vol-0%x" % n,
                    "hash": "275a021bbfb6489e54d471899f7db9d1663fc345ec2fe2a2c4538aabf651fd0f"}]}]}}}}

def day_one():
    return [
        finding(1, "Instance", "UnauthorizedAccess:EC2/TorClient", 8, {"instanceDetails": instance_details(1)}, "NETWORK_CONNECTION"),
        finding(2, "Instance", "Recon:EC2/PortProbeUnprotectedPort", 2, {"instanceDetails": instance_details(2)}, "PORT_PROBE"),
        finding(3, "Instance", "Trojan:EC2/DNSDataExfiltration", 8, {"instanceDetails": instance_details(3)}, "DNS_REQUEST"),
        finding(4, "AccessKey", "CredentialAccess:IAMUser/AnomalousBehavior", 5, {"accessKeyDetails": access_key("alice"), "instanceDetails": instance_details(4)}, "AWS_API_CALL"),
        finding(5, "S3Bucket", "Discovery:S3/MaliciousIPCaller", 5, {"accessKeyDetails": access_key("bob"), "s3BucketDetails": [{"name": "audit-logs-111122223333",
            "arn": "arn:aws:s3:::audit-logs-111122223333", "type": "Destination", "createdAt": 1.7041536E9, "owner": {"id": "owner1"},
            "tags": [], "defaultServerSideEncryption": {"encryptionType": "AES256"}, "publicAccess": {"effectivePermission": "NOT_PUBLIC"}}]}, "AWS_API_CALL"),
        finding(6, "EKSCluster", "Discovery:Kubernetes/SuccessfulAnonymousAccess", 5, {"eksClusterDetails": {"name": "prod-eks", "arn": "arn:aws:eks:us-east-1:111122223333:cluster/prod-eks",
            "vpcId": "vpc-6", "status": "ACTIVE", "tags": [], "createdAt": 1.7041536E9},
            "kubernetesDetails": {"kubernetesUserDetails": {"username": "system:anonymous", "uid": "", "groups": ["system:unauthenticated"]}}}, "KUBERNETES_API_CALL"),
        finding(7, "ECSCluster", "Execution:ECS/MaliciousFile", 8, {"ecsClusterDetails": {"name": "batch", "arn": "arn:aws:ecs:us-east-1:111122223333:cluster/batch",
            "status": "ACTIVE", "taskDetails": {"arn": "arn:aws:ecs:us-east-1:111122223333:task/batch/7", "version": "3", "createdAt": 1.7361498E9,
            "containers": [{"name": "worker", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/worker:1.4"}]}}}, None, "EbsVolumeScan", extra_service=ebs_scan(7)),
        finding(8, "Container", "Execution:Runtime/NewBinaryExecuted", 5, {"containerDetails": {"id": "c0ffee%d" % 8, "name": "api", "image": "nginx:1.25", "imagePrefix": None},
            "instanceDetails": instance_details(8)}, None, "RuntimeMonitoring",
            extra_service={"runtimeDetails": {"process": {"name": "xmrig", "executablePath": "/tmp/xmrig", "executableSha256": "d2" * 32, "pid": 4242,
                "startTime": 1736150000.3773646, "uuid": "proc-8", "user": "root", "userId": 0, "euid": 0, "lineage": []}, "context": {}}}),
        finding(9, "RDSDBInstance", "CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin", 8, {"rdsDbInstanceDetails": {"dbInstanceIdentifier": "orders-db",
            "engine": "aurora-postgresql", "engineVersion": "15.4", "dbClusterIdentifier": "orders", "dbInstanceArn": "arn:aws:rds:us-east-1:111122223333:db:orders-db", "tags": []},
            "rdsDbUserDetails": {"user": "admin", "application": "psql", "database": "orders", "ssl": "true", "authMethod": "PASSWORD"}}, "RDS_LOGIN_ATTEMPT"),
        finding(10, "Lambda", "Backdoor:Lambda/C&CActivity.B", 8, {"lambdaDetails": {"functionName": "resize-images", "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:resize-images",
            "functionVersion": "$LATEST", "role": "arn:aws:iam::111122223333:role/lambda-resize", "lastModifiedAt": 1.7360928E9, "revisionId": "r-10",
            "vpcConfig": {"subnetIds": ["subnet-a"], "vpcId": "vpc-10", "securityGroups": [{"groupId": "sg-10", "groupName": "lambda"}]}, "tags": []}},
            "NETWORK_CONNECTION", "LambdaNetworkLogging"),
        finding(11, "EBSVolume", "Execution:EC2/MaliciousFile!Snapshot", 5, {"ebsSnapshotDetails": {"snapshotArn": "arn:aws:ec2:us-east-1:111122223333:snapshot/snap-11"}},
            None, "EbsVolumeScan", extra_service=ebs_scan(11)),
        finding(12, "AttackSequence", "AttackSequence:IAM/CompromisedCredentials", 9.2, {}, None, "CloudTrail",
            extra_service={"detection": {"sequence": {"uid": "seq-12", "description": "A sequence of suspicious API calls.",
                "actors": [{"id": "actor-1", "session": {"uid": "s-1", "mfaStatus": "DISABLED"}}], "signals": [{"uid": "sig-1", "type": "FINDING",
                "firstSeenAt": 1.736150000E9, "lastSeenAt": 1.736153600E9, "count": 3, "severity": 8}]}}}),
    ]

def updated(f, count_delta, minutes, **changes):
    g = copy.deepcopy(f)
    g["service"]["count"] += count_delta
    ts = g["updatedAt"]
    day, hour = int(ts[8:10]), int(ts[11:13])
    total = hour * 60 + minutes
    new = "2025-01-%02dT%02d:%02d:00.000Z" % (day + total // (24 * 60), total // 60 % 24, total % 60)
    g["updatedAt"] = new
    g["service"]["eventLastSeen"] = new
    for key, value in changes.items():
        g[key] = value
    return g

def write_gz(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    raw = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw)
    open(path, "wb").write(buf.getvalue())
    return raw, buf.getvalue()

def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write(text)

def pascal_case(finding):
    """The finding as `aws guardduty get-findings` prints it (PascalCase, ISO timestamps)."""
    import botocore, glob, datetime
    path = sorted(glob.glob(os.path.join(os.path.dirname(botocore.__file__), "data/guardduty/*/service-2.json*")))[-1]
    shapes = json.load(gzip.open(path, "rt"))["shapes"]
    def conv(value, shape):
        spec = shapes.get(shape, {}) if shape else {}
        kind = spec.get("type")
        if kind == "structure" and isinstance(value, dict):
            reverse = {m.get("locationName", name[0].lower() + name[1:]): (name, m["shape"]) for name, m in spec["members"].items()}
            return {reverse.get(k, (k[0].upper() + k[1:], None))[0]: conv(v, reverse.get(k, (None, None))[1]) for k, v in value.items()}
        if kind == "list" and isinstance(value, list):
            return [conv(v, spec["member"]["shape"]) for v in value]
        if kind == "map" and isinstance(value, dict):
            return {k: conv(v, spec["value"]["shape"]) for k, v in value.items()}
        if kind == "timestamp" and isinstance(value, (int, float)):
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc).isoformat()
        return value
    return conv(finding, "Finding")

def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    acct, region = "111122223333", "us-east-1"
    base = os.path.join(ROOT, "exports", "AWSLogs", acct, "GuardDuty", region, "2025", "01")
    first = day_one()
    write_gz(os.path.join(base, "06", uid() + ".jsonl.gz"), first)
    # Day 2: five findings recur (count and updatedAt grow; one gets more severe), two exports
    # repeat an unchanged version (re-exported: must not become a new version).
    second = [updated(first[0], 3, 90), updated(first[1], 12, 45), updated(first[3], 1, 30, severity=8),
              updated(first[5], 2, 20), updated(first[9], 5, 240), first[2], first[6]]
    write_gz(os.path.join(base, "07", uid() + ".jsonl.gz"), second)
    # Day 3: the port probe keeps going.
    write_gz(os.path.join(base, "08", uid() + ".jsonl.gz"), [updated(second[1], 30, 24 * 60)])
    # A second account and region.
    other = [finding(20 + i, "Instance", t, s, {"instanceDetails": instance_details(20 + i)}, a, account="444455556666", region="eu-west-1")
             for i, (t, s, a) in enumerate([("UnauthorizedAccess:EC2/SSHBruteForce", 2, "NETWORK_CONNECTION"),
                                            ("CryptoCurrency:EC2/BitcoinTool.B!DNS", 8, "DNS_REQUEST"),
                                            ("Recon:EC2/Portscan", 5, "NETWORK_CONNECTION")])]
    write_gz(os.path.join(ROOT, "exports", "AWSLogs", "444455556666", "GuardDuty", "eu-west-1", "2025", "01", "06", uid() + ".jsonl.gz"), other)

    sc = os.path.join(ROOT, "scenarios")
    # Three versions of one finding, newest first: the latest must stay the newest.
    f = finding(30, "Instance", "Recon:EC2/PortProbeUnprotectedPort", 2, {"instanceDetails": instance_details(30)}, "PORT_PROBE", day=10)
    v2, v3 = updated(f, 4, 60), updated(f, 9, 120)
    write_text(os.path.join(sc, "out-of-order-versions.jsonl"), "".join(json.dumps(v) + "\n" for v in (v3, f, v2)))
    # One version through three channels: S3 export line, EventBridge event, get-findings output.
    g = finding(31, "Instance", "Execution:EC2/MaliciousFile", 8, {"instanceDetails": instance_details(31)}, None, "EbsVolumeScan", day=11, extra_service=ebs_scan(31))
    ch = os.path.join(sc, "one-version-three-channels")
    write_text(os.path.join(ch, "s3-export-line.jsonl"), json.dumps(g, separators=(",", ":")) + "\n")
    event = {"version": "0", "id": uid(), "detail-type": "GuardDuty Finding", "source": "aws.guardduty", "account": g["accountId"],
             "time": g["updatedAt"], "region": g["region"], "resources": [], "detail": g}
    write_text(os.path.join(ch, "eventbridge-event.json"), json.dumps(event, indent=2) + "\n")
    write_text(os.path.join(ch, "get-findings-output.json"), json.dumps({"Findings": [pascal_case(g)]}, indent=4) + "\n")
    # A bad line among good ones: line 3 is cut short.
    good = [finding(40 + i, "Instance", "Recon:EC2/Portscan", 5, {"instanceDetails": instance_details(40 + i)}, "NETWORK_CONNECTION", day=12) for i in range(4)]
    lines = [json.dumps(x, separators=(",", ":")) for x in good]
    lines[2] = lines[2][: len(lines[2]) // 2]
    write_text(os.path.join(sc, "line-3-cut-short.jsonl"), "\n".join(lines) + "\n")
    # A truncated gzip export: three complete lines survive, the fourth is cut.
    raw, gz = write_gz(os.path.join(sc, "truncated-export.jsonl.gz"),
                       [finding(50 + i, "AccessKey", "UnauthorizedAccess:IAMUser/MaliciousIPCaller", 5, {"accessKeyDetails": access_key("u%d" % i)}, "AWS_API_CALL", day=13) for i in range(4)])
    # Cut inside the last line: compress everything and keep a prefix that decodes to 3.5 lines.
    cut = len(gz) - 1
    decomp = gzip.decompress if False else None
    while True:
        d = __import__("zlib").decompressobj(16 + 15)
        out = d.decompress(gz[:cut])
        if out.count(b"\n") == 3 and len(out) > raw.rfind(b"\n", 0, len(raw) - 1) + 10:
            break
        cut -= 16
    open(os.path.join(sc, "truncated-export.jsonl.gz"), "wb").write(gz[:cut])
    # A finding without its identity.
    h = finding(60, "Instance", "Recon:EC2/Portscan", 5, {"instanceDetails": instance_details(60)}, "NETWORK_CONNECTION", day=14)
    del h["id"], h["accountId"]
    write_text(os.path.join(sc, "finding-without-id.json"), json.dumps(h, indent=2) + "\n")
    # EventBridge events as JSON lines, one of them not a finding.
    e1 = finding(70, "S3Bucket", "Policy:S3/BucketBlockPublicAccessDisabled", 2, {"s3BucketDetails": [{"name": "public-site", "arn": "arn:aws:s3:::public-site", "type": "Destination"}],
                 "accessKeyDetails": access_key("carol")}, "AWS_API_CALL", day=15)
    trail = {"version": "0", "id": uid(), "detail-type": "AWS API Call via CloudTrail", "source": "aws.guardduty", "account": "111122223333",
             "time": "2025-01-15T10:00:00Z", "region": "us-east-1", "resources": [], "detail": {"eventName": "CreateSampleFindings"}}
    ev = lambda x: {"version": "0", "id": uid(), "detail-type": "GuardDuty Finding", "source": "aws.guardduty", "account": x["accountId"], "time": x["updatedAt"],
                    "region": x["region"], "resources": [], "detail": x}
    write_text(os.path.join(sc, "eventbridge-events.jsonl"), "".join(json.dumps(x) + "\n" for x in (ev(e1), trail, ev(updated(e1, 1, 15)))))
    # A pretty-printed REST page.
    page = {"findings": [finding(80 + i, "Instance", "Backdoor:EC2/C&CActivity.B!DNS", 8, {"instanceDetails": instance_details(80 + i)}, "DNS_REQUEST", day=16) for i in range(2)]}
    write_text(os.path.join(sc, "findings-page-pretty.json"), json.dumps(page, indent=2) + "\n")

def hand_counted():
    """Fixtures/reports/hand-counted.jsonl: a small archive whose report numbers the tests
    work out by hand (see Tests/GDArchiveReportTests/ReportTests.swift)."""
    def f(fid, acct, region, rtype, sev, count, updated, created, sample=False):
        types = {"Instance": "UnauthorizedAccess:EC2/TorClient", "AccessKey": "CredentialAccess:IAMUser/AnomalousBehavior",
                 "S3Bucket": "Policy:S3/BucketPublicAccessGranted"}
        d = {"schemaVersion": "2.0", "accountId": acct, "region": region, "partition": "aws", "id": fid,
             "arn": "arn:aws:guardduty:%s:%s:detector/d1/finding/%s" % (region, acct, fid),
             "type": "Recon:EC2/Portscan" if fid == "c" else types[rtype],
             "resource": {"resourceType": rtype}, "severity": sev, "createdAt": created, "updatedAt": updated, "title": "hand-counted finding " + fid,
             "service": {"serviceName": "guardduty", "detectorId": "d1", "count": count, "eventFirstSeen": created, "eventLastSeen": updated, "archived": False,
                         "additionalInfo": {"value": "{\"sample\":true}" if sample else "{}", "type": "default"}}}
        if rtype == "Instance":
            d["resource"]["instanceDetails"] = {"instanceId": "i-" + fid}
        return d
    rows = [
        f("a", "111111111111", "us-east-1", "Instance", 8, 1, "2025-01-06T10:00:00.000Z", "2025-01-06T09:00:00.000Z"),
        f("a", "111111111111", "us-east-1", "Instance", 8, 4, "2025-01-08T10:00:00.000Z", "2025-01-06T09:00:00.000Z"),
        f("a", "111111111111", "us-east-1", "Instance", 8, 6, "2025-01-15T10:00:00.000Z", "2025-01-06T09:00:00.000Z"),
        f("b", "111111111111", "us-east-1", "AccessKey", 5, 3, "2025-01-06T03:00:00.000Z", "2025-01-06T02:00:00.000Z"),
        f("b", "111111111111", "us-east-1", "AccessKey", 5, 1, "2025-01-14T12:00:00.000Z", "2025-01-06T02:00:00.000Z"),
        f("c", "222222222222", "eu-west-1", "Instance", 2, 10, "2025-02-04T08:00:00.000Z", "2025-02-04T07:00:00.000Z"),
        f("d", "222222222222", "eu-west-1", "S3Bucket", 9.5, 2, "2025-01-09T16:00:00.000Z", "2025-01-09T15:00:00.000Z"),
        f("s", "111111111111", "us-east-1", "Instance", 8, 7, "2025-01-08T11:00:00.000Z", "2025-01-08T10:00:00.000Z", sample=True),
    ]
    write_text(os.path.join(ROOT, "reports", "hand-counted.jsonl"), "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))

if __name__ == "__main__":
    main()
    hand_counted()
