import ArgumentParser
import Foundation
import GDArchiveIngest

/// How diagnostics, per-file lines and summaries are written to stderr.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `-q`, `-v` and `--log-format`, for commands that log as they work.
struct LogOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print errors only: no notes, no progress and no summary line.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print one line per input file.")
    var verbose = false

    @Option(help: ArgumentHelp("text, or json: one JSON object per line, for journald, cron mail and log shippers.", valueName: "format"))
    var logFormat: LogFormat = .text

    func validate() throws {
        if quiet && verbose { throw ValidationError("--quiet and --verbose contradict each other; choose one") }
    }

    /// Writes one event: as text, or as a JSON object with sorted keys.
    func emit(_ text: @autoclosure () -> String, json fields: @autoclosure () -> [String: Any]) {
        switch logFormat {
        case .text: Terminal.err(text())
        case .json:
            let data = (try? JSONSerialization.data(withJSONObject: fields(), options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            Terminal.err(String(decoding: data, as: UTF8.self))
        }
    }

    func diagnostic(_ d: Diagnostic) {
        if quiet && d.severity != .error { return }
        var fields: [String: Any] = ["event": "diagnostic", "level": d.severity.rawValue, "path": d.path, "message": d.message]
        if let line = d.line { fields["line"] = line }
        if let column = d.column { fields["column"] = column }
        emit(d.description, json: fields)
    }
}

/// SIGINT and SIGTERM ask an import to stop after the file it is reading; a second signal
/// ends the process at once (the archive stays consistent either way).
enum StopSignal {
    nonisolated(unsafe) static var received: Int32 = 0

    static func install() {
        // A parent may have left these blocked (some process launchers do); unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { sig in
            StopSignal.received = sig
            signal(sig, SIG_DFL)
        }
        signal(SIGTERM) { sig in
            StopSignal.received = sig
            signal(sig, SIG_DFL)
        }
    }

    /// 130 for SIGINT, 143 for SIGTERM (128 + the signal number).
    static var exitCode: Int32 { 128 + received }
}

/// A one-line progress display on a terminal: files done/total, versions/s, ETA.
final class ProgressLine {
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    func update(done: Int, total: Int?, versions: Int) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        var text = "\(done)" + (total.map { "/\($0)" } ?? "") + " files"
        if let total, total > 0 {
            let width = 24
            let filled = min(width, done * width / total)
            text = "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "] " + text
            if done > 0 && done < total {
                let eta = Int(elapsed / Double(done) * Double(total - done))
                text += String(format: "  ETA %d:%02d", eta / 60, eta % 60)
            }
        }
        text += "  \(Int(Double(versions) / elapsed)) new versions/s"
        Terminal.raw("\r\u{1b}[K" + text)
        drawn = true
    }

    func clear() {
        if drawn { Terminal.raw("\r\u{1b}[K") }
    }
}
