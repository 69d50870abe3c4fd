#!/usr/bin/env python3
"""A loopback GuardDuty REST-JSON stub for the real `aws` CLI.

usage: guardduty-stub.py FINDINGS.jsonl PORTFILE LOG
Serves the wire-form (camelCase) findings in FINDINGS.jsonl (one per line, read again for every
request, so a test can change them between pulls) under one detector "d1" per Region, as
GuardDuty's REST-JSON API does: GET /detector, POST /detector/d1/findings (ListFindings: the
updatedAt criterion, and pages of at most 7 ids with an opaque nextToken, so the CLI pages
itself) and POST /detector/d1/findings/get (GetFindings, at most 50 ids). A request sees the
findings of the Region its SigV4 signature is scoped to (a Region with none has no detector).
Listens on 127.0.0.1 on a free port, which it writes to PORTFILE once it is ready. Every
request is appended to LOG as a JSON line.

It stops by itself when the test that started it goes away, and after 10 minutes at most.
"""
import base64, http.server, json, os, signal, sys, threading, time

# Foundation's Process starts children with every signal blocked: unblock them, so that the
# test's SIGTERM stops the stub.
signal.pthread_sigmask(signal.SIG_SETMASK, set())
signal.signal(signal.SIGTERM, signal.SIG_DFL)
parent = os.getppid()


def watchdog():
    deadline = time.monotonic() + 600
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=watchdog, daemon=True).start()

findings_path, port_file = sys.argv[1], sys.argv[2]
log_path = sys.argv[3]
SERVICE_PAGE = 7


def load(region):
    with open(findings_path) as f:
        findings = [json.loads(line) for line in f if line.strip()]
    return [f for f in findings if f.get("region") == region]


def signed_region(headers):
    # Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261205/us-east-1/guardduty/aws4_request, ...
    credential = (headers.get("Authorization") or "").split("Credential=")[-1].split(",")[0]
    parts = credential.split("/")
    return parts[2] if len(parts) >= 4 else None


def millis(value):
    if isinstance(value, (int, float)):
        return float(value)
    from datetime import datetime
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        region = signed_region(self.headers)
        with open(log_path, "a") as f:
            f.write(json.dumps({"path": self.path, "region": region}) + "\n")
        if self.path.split("?")[0] == "/detector":
            return self.reply({"detectorIds": ["d1"] if load(region) else []})
        self.reply({"message": "not found"}, 404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        region = signed_region(self.headers)
        with open(log_path, "a") as f:
            f.write(json.dumps({"path": self.path, "region": region, "body": request}) + "\n")
        findings = load(region)
        if self.path == "/detector/d1/findings":
            criterion = request.get("findingCriteria", {}).get("criterion", {})
            since = criterion.get("updatedAt", {}).get("greaterThanOrEqual")
            ids = [f["id"] for f in findings if since is None or millis(f["updatedAt"]) >= since]
            start = int(base64.b64decode(request["nextToken"])) if request.get("nextToken") else 0
            size = min(int(request.get("maxResults", 50)), SERVICE_PAGE)
            body = {"findingIds": ids[start:start + size]}
            if start + size < len(ids):
                body["nextToken"] = base64.b64encode(str(start + size).encode()).decode()
            return self.reply(body)
        if self.path == "/detector/d1/findings/get":
            wanted = request.get("findingIds", [])
            if len(wanted) > 50:
                self.send_response(400)
                data = json.dumps({"message": "The request is rejected because findingIds has more than 50 items."}).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Amzn-ErrorType", "BadRequestException")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            by_id = {f["id"]: f for f in findings}
            return self.reply({"findings": [by_id[i] for i in wanted if i in by_id]})
        self.reply({"message": "not found"}, 404)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
