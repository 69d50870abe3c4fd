import Foundation
import GDArchiveModel
import GDArchiveStore

/// How `gdarchive pull` drives the user's AWS CLI.
public struct PullOptions: Sendable {
    /// The `aws` binary.
    public var aws = "aws"
    public var profile: String?
    /// Regions to pull; empty: the CLI's own default Region.
    public var regions: [String] = []
    /// Detectors to pull; empty: every detector `list-detectors` returns in each Region.
    public var detectorIDs: [String] = []
    /// Pull findings updated at or after this (milliseconds) instead of the cursor.
    public var since: Int64?
    /// How far before the cursor the next window starts, so that findings updated in the same
    /// second (or made visible late) are not missed; duplicates dedupe as usual.
    public var overlapMilliseconds: Int64 = 5 * 60 * 1000
    /// Finding ids per `list-findings` page and `get-findings` call (the API allows 50).
    public var pageSize = 50
    /// Retries of a throttled call, with exponential backoff from `backoffMilliseconds`.
    public var maxRetries = 5
    public var backoffMilliseconds: Int64 = 1000
    /// Polled between calls and while the CLI runs: true stops the pull (the running CLI is
    /// killed; what was imported stays; no cursor moves). The command line wires SIGINT and
    /// SIGTERM to it.
    public var shouldStop: @Sendable () -> Bool = { false }

    public init() {}
}

/// The pull was asked to stop (SIGINT, SIGTERM).
struct PullStopped: Error {}

/// A CLI call that failed: the command and what the CLI said.
public struct PullFailure: Error, CustomStringConvertible, Equatable {
    public var command: String
    public var message: String
    public var description: String { "`\(command)` failed: \(message)" }
}

/// What may be passed to the `aws` CLI as an argument value: GuardDuty's detector and finding
/// ids are letters and digits, Regions letters, digits and dashes. Anything else (an id such
/// as `--output=text` in a tampered listing) would reach the CLI as an option.
public enum PullArgument {
    public static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }

    public static func isRegion(_ text: String) -> Bool {
        !text.isEmpty && text.first != "-" && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D }
    }

    /// A page token as the CLI hands them out (base64 of its own JSON, or the service's
    /// opaque token): letters, digits and `+/=_.:-`, at most 16 KiB, not starting with `-`
    /// (which the CLI would read as an option).
    public static func isPageToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 16_384 && text.first != "-" && text.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || Array("+/=_.:-".utf8).contains($0)
        }
    }
}

/// What a pull did.
public struct PullReport: Sendable {
    public struct Detector: Sendable, Equatable {
        public var region: String
        public var detectorID: String
        public var findingIDs: Int
        /// The cursor after the pull (milliseconds), nil if this detector failed.
        public var pulledTo: Int64?
    }
    public var summary: ImportSummary
    public var detectors: [Detector]
    /// One message per detector or Region that could not be pulled.
    public var failures: [String]
    /// Whether it was asked to stop before the end (see ``PullOptions/shouldStop``).
    public var interrupted = false
}

/// Pulls findings (archived and suppressed ones included) through the user's own `aws` CLI:
/// `list-detectors`, then `list-findings` with a `FindingCriteria` on `updatedAt` and paging,
/// then `get-findings` for each page, whose PascalCase output goes straight into the normal
/// import path. gdarchive handles no credentials.
///
/// ```swift
/// var options = PullOptions()
/// options.regions = ["eu-west-1"]
/// let report = try Puller(archive: archive, importer: importer, options: options) { print($0) }.run()
/// ```
public final class Puller {
    private let archive: Archive
    private let importer: Importer
    private let options: PullOptions
    private let log: (String) -> Void
    private let scratch: URL

    public init(archive: Archive, importer: Importer, options: PullOptions, log: @escaping (String) -> Void) {
        self.archive = archive
        self.importer = importer
        self.options = options
        self.log = log
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gdarchive-pull-" + UUID().uuidString)
    }

    public func run(now: Int64 = Timestamp.nowMilliseconds()) throws -> PullReport {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: scratch) }
        let session = try importer.beginSession()
        var detectors: [PullReport.Detector] = []
        var failures: [String] = []
        do {
            for region in options.regions.isEmpty ? [""] : options.regions where !options.shouldStop() {
                var ids = options.detectorIDs
                if ids.isEmpty {
                    do {
                        let output = try call(region: region, ["guardduty", "list-detectors", "--output", "json"])
                        ids = (output["DetectorIds"] as? [String]) ?? []
                        if let bad = ids.first(where: { !PullArgument.isIdentifier($0) }) {
                            throw PullFailure(command: "aws guardduty list-detectors", message: "it returned \(Self.quoted(bad)), which is not a detector id (letters and digits); nothing was passed on to the CLI")
                        }
                        if ids.isEmpty { log("note: no GuardDuty detector in \(region.isEmpty ? "the default Region" : region)") }
                    } catch let failure as PullFailure {
                        failures.append(failure.description)
                        log("error: \(failure.description)")
                        continue
                    }
                }
                for detector in ids where !options.shouldStop() {
                    do {
                        detectors.append(try pull(region: region, detector: detector, session: session, now: now))
                    } catch let failure as PullFailure {
                        failures.append(failure.description)
                        log("error: \(failure.description); the findings pulled before it were kept, and this detector's cursor did not move")
                        detectors.append(PullReport.Detector(region: region, detectorID: detector, findingIDs: 0, pulledTo: nil))
                    }
                }
            }
        } catch is PullStopped {
            log("stopped; the pages imported so far were kept, and the cursor of the detector being pulled did not move")
        }
        let stopped = options.shouldStop()
        let summary = try session.finish(interrupted: stopped)
        return PullReport(summary: summary, detectors: detectors, failures: failures, interrupted: stopped)
    }

    /// A value from the CLI's output, quoted and cut short for a message.
    static func quoted(_ text: String) -> String {
        "\"" + String(text.unicodeScalars.prefix(80).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }) + "\""
    }

    /// The window start for a detector: `--since`, else its cursor less the overlap, else
    /// everything GuardDuty still holds.
    func windowStart(region: String, detector: String) throws -> Int64? {
        if let since = options.since { return since }
        return try archive.pullCursor(region: region, detector: detector).map { $0 - options.overlapMilliseconds }
    }

    private func pull(region: String, detector: String, session: ImportSession, now: Int64) throws -> PullReport.Detector {
        let start = try windowStart(region: region, detector: detector)
        var listing = ["guardduty", "list-findings", "--detector-id", detector, "--max-items", String(options.pageSize), "--output", "json"]
        if let start {
            listing += ["--finding-criteria", #"{"Criterion":{"updatedAt":{"GreaterThanOrEqual":\#(start)}}}"#]
        }
        var token: String? = nil
        var tokens = Set<String>()
        var page = 0
        var total = 0
        var pagesWithErrors: [Int] = []
        let pulledAt = Timestamp.format(epochMilliseconds: now)
        repeat {
            if options.shouldStop() { throw PullStopped() }
            let output = try call(region: region, listing + (token.map { ["--starting-token", $0] } ?? []))
            let ids = (output["FindingIds"] as? [String]) ?? []
            if let bad = ids.first(where: { !PullArgument.isIdentifier($0) }) {
                throw PullFailure(command: "aws guardduty list-findings", message: "it returned \(Self.quoted(bad)), which is not a finding id (letters and digits); nothing of this page was passed on to get-findings")
            }
            token = output["NextToken"] as? String
            if let token, !token.isEmpty, !PullArgument.isPageToken(token) {
                throw PullFailure(command: "aws guardduty list-findings", message: "it returned the page token \(Self.quoted(String(token.prefix(80)))), which is not one (letters, digits and +/=_.:-); it was not passed back to the CLI; stopped after \(page) page\(page == 1 ? "" : "s")")
            }
            if let token, !token.isEmpty, !tokens.insert(token).inserted {
                throw PullFailure(command: "aws guardduty list-findings", message: "it returned a page token it had returned before, so its pages would never end; stopped after \(page) page\(page == 1 ? "" : "s")")
            }
            if !ids.isEmpty {
                page += 1
                total += ids.count
                let data = try callRaw(region: region, ["guardduty", "get-findings", "--detector-id", detector, "--output", "json", "--finding-ids"] + ids)
                let file = scratch.appendingPathComponent("page-\(page).json")
                try data.write(to: file)
                let name = "aws guardduty get-findings: region \(region.isEmpty ? "(default)" : region), detector \(detector), pulled \(pulledAt), page \(page)"
                let counts = try session.importFile(at: file.path, recordedAs: name)
                if counts.errors > 0 { pagesWithErrors.append(page) }
                try? FileManager.default.removeItem(at: file)
            }
        } while token != nil && !(token!.isEmpty)
        // A page some of whose findings could not be stored: the cursor stays, so that the
        // next pull asks for them again (archived findings are in no export).
        guard pagesWithErrors.isEmpty else {
            log("error: some findings of page\(pagesWithErrors.count == 1 ? "" : "s") \(pagesWithErrors.map(String.init).joined(separator: ", ")) from detector \(detector)\(region.isEmpty ? "" : " in \(region)") could not be stored (see above); this detector's cursor did not move, so the next pull asks for them again")
            return PullReport.Detector(region: region, detectorID: detector, findingIDs: total, pulledTo: nil)
        }
        // Everything up to the start of this pull is stored: move the cursor (forward only).
        try archive.advancePullCursor(region: region, detector: detector, to: now, pulledAt: pulledAt)
        log("pulled \(total) finding\(total == 1 ? "" : "s") from detector \(detector)\(region.isEmpty ? "" : " in \(region)")" + (start.map { " updated since \(Timestamp.format(epochMilliseconds: $0))" } ?? ""))
        return PullReport.Detector(region: region, detectorID: detector, findingIDs: total, pulledTo: now)
    }

    private func call(region: String, _ arguments: [String]) throws -> [String: Any] {
        let data = try callRaw(region: region, arguments)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PullFailure(command: commandLine(region: region, arguments), message: "the output is not a JSON object")
        }
        return object
    }

    private func commandLine(region: String, _ arguments: [String]) -> String {
        var shown = arguments
        if let i = shown.firstIndex(of: "--finding-ids") { shown = Array(shown[...i]) + ["(\(shown.count - i - 1) ids)"] }
        return ([options.aws] + globalArguments(region: region) + shown).joined(separator: " ")
    }

    private func globalArguments(region: String) -> [String] {
        (options.profile.map { ["--profile", $0] } ?? []) + (region.isEmpty ? [] : ["--region", region])
    }

    static let throttlingMarkers = ["ThrottlingException", "TooManyRequestsException", "Rate exceeded", "RequestLimitExceeded", "Throttling"]

    /// Runs the CLI, retrying throttled calls with exponential backoff.
    private func callRaw(region: String, _ arguments: [String]) throws -> Data {
        var attempt = 0
        while true {
            let (termination, stdout, stderr) = try runCLI(globalArguments(region: region) + arguments)
            if termination == .exited(0) { return stdout }
            // The CLI's words reach the terminal: each line shown escaped (VisibleText).
            let message = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                .split(separator: "\n", omittingEmptySubsequences: false).map { VisibleText.escaped(String($0)) }.joined(separator: "\n")
            if attempt < options.maxRetries && Self.throttlingMarkers.contains(where: message.contains) {
                let delay = options.backoffMilliseconds << attempt
                log("note: throttled (\(message.split(separator: "\n").last ?? "")); retrying in \(delay) ms")
                var waited: Int64 = 0
                while waited < min(delay, 60_000) && !options.shouldStop() {
                    usleep(50_000)
                    waited += 50
                }
                if options.shouldStop() { throw PullStopped() }
                attempt += 1
                continue
            }
            throw PullFailure(command: commandLine(region: region, arguments), message: message.isEmpty ? "\(termination)" : message)
        }
    }

    private func runCLI(_ arguments: [String]) throws -> (ChildProcess.Termination, Data, Data) {
        do {
            let result = try ChildProcess.run(options.aws, arguments, shouldStop: options.shouldStop)
            return (result.termination, Data(result.stdout), Data(result.stderr))
        } catch is ChildProcess.Stopped {
            throw PullStopped()
        } catch {
            throw PullFailure(command: options.aws, message: "cannot run it (\(error.localizedDescription)); install the AWS CLI or name it with --aws PATH")
        }
    }
}
