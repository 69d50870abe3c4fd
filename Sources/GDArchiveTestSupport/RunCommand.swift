import Foundation
import GDArchiveModel
import GRDB

/// What a finished process printed and returned.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// The test's environment without `GDARCHIVE_DB` and the `AWS_*` variables (so no test touches
/// the user's archive or AWS account by accident), plus `extra`.
public func testEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
    env.removeValue(forKey: "GDARCHIVE_DB")
    for (key, value) in extra { env[key] = value }
    return env
}

/// Runs any program to its end (see ``testEnvironment(_:)``): standard input is written on a
/// thread of its own while both output pipes are drained, so no pipe can fill and block; the
/// status of a program killed by a signal is 128 + the signal, as a shell reports it.
///
/// Tests run on Swift's cooperative pool, which ``ChildProcess`` (swift-subprocess, whose
/// tasks need a pool thread) must not block; this helper uses threads of its own instead.
public func runProgram(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: [UInt8]? = nil,
                       currentDirectory: URL? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = testEnvironment(environment)
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    let output = Drain(out.fileHandleForReading), errors = Drain(err.fileHandleForReading)
    if let stdin {
        let writer = input.fileHandleForWriting
        Thread.detachNewThread {
            try? writer.write(contentsOf: stdin)
            try? writer.close()
        }
    }
    process.waitUntilExit()
    let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    return CommandResult(status: status, stdout: String(decoding: output.finish(), as: UTF8.self),
                         stderr: String(decoding: errors.finish(), as: UTF8.self))
}

/// Reads a pipe to its end on a thread of its own.
private final class Drain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func finish() -> Data {
        done.wait()
        return data
    }
}

/// Runs the real `gdarchive` binary, as a user would.
///
/// ```swift
/// let result = try runGDArchive(["--db", db, "status", "--format", "json"])
/// #expect(result.status == 0)
/// ```
public func runGDArchive(_ arguments: [String], environment: [String: String] = [:], stdin: [UInt8]? = nil,
                         currentDirectory: URL? = nil) throws -> CommandResult {
    try runProgram(Paths.binary.path, arguments, environment: environment, stdin: stdin, currentDirectory: currentDirectory)
}

/// A configured but not started `gdarchive` process (for tests that signal it).
public func makeProcess(_ arguments: [String], environment: [String: String] = [:], currentDirectory: URL? = nil) -> Process {
    let process = Process()
    process.executableURL = Paths.binary
    process.arguments = arguments
    process.environment = testEnvironment(environment)
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    return process
}

/// Input files an import has committed so far to the archive at `db` (read-only; 0 before the
/// archive exists). Counts the files whose state was recorded, which is committed together
/// with the file (in its commit group), so it is exact across runs too.
public func filesCommitted(_ db: String) -> Int {
    committedCount(db, "SELECT count(*) FROM source_files WHERE content_sha256 IS NOT NULL")
}

/// A count that a reader of the archive at `db` sees now (read-only; 0 before the archive
/// exists or when the query fails), for tests that wait on what an import has committed.
public func committedCount(_ db: String, _ sql: String) -> Int {
    guard FileManager.default.fileExists(atPath: db) else { return 0 }
    var config = Configuration()
    config.readonly = true
    return (try? DatabaseQueue(path: db, configuration: config).read { db in try Int.fetchOne(db, sql: sql) }) ?? 0
}

/// A new archive at `TMP/a.sqlite` holding a generated export tree (`files` × `findingsPerFile`
/// findings, seeded), imported by the real binary; returns its path.
public func generatedArchive(in tmp: TemporaryDirectory, seed: UInt64, files: Int, findingsPerFile: Int) throws -> String {
    let db = tmp.path("a.sqlite")
    let tree = URL(fileURLWithPath: tmp.path("tree"))
    try FindingGenerator(seed: seed).writeExportTree(at: tree, files: files, findingsPerFile: findingsPerFile)
    _ = try runGDArchive(["--db", db, "import", tree.path])
    return db
}

/// Waits (up to a minute) until `process` has committed at least `count` files, or has ended.
public func waitUntilFilesCommitted(_ db: String, atLeast count: Int, while process: Process) {
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline && filesCommitted(db) < count {
        usleep(2_000)
    }
}

/// Runs one statement on the archive at `db` outside gdarchive, for a test that sets up a state
/// (such as a pull cursor as it would stand after some nights).
public func executeSQL(_ db: String, _ sql: String) throws {
    try DatabaseQueue(path: db).write { try $0.execute(sql: sql) }
}
