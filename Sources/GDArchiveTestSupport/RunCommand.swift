import Foundation

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

/// Runs the real `gdarchive` binary, as a user would.
///
/// ```swift
/// let result = try runGDArchive(["--db", db, "status", "--format", "json"])
/// #expect(result.status == 0)
/// ```
///
/// The environment is the test's own with `GDARCHIVE_DB` removed (so no test touches the
/// user's archive by accident), plus `environment`.
public func runGDArchive(_ arguments: [String], environment: [String: String] = [:], stdin: [UInt8]? = nil,
                         currentDirectory: URL? = nil) throws -> CommandResult {
    let process = makeProcess(arguments, environment: environment, currentDirectory: currentDirectory)
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        try input.fileHandleForWriting.write(contentsOf: Data(stdin))
        try input.fileHandleForWriting.close()
    }
    // Read both pipes to the end before waiting, so a chatty process cannot block.
    let errData = Reader(err.fileHandleForReading)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData.finish(), as: UTF8.self))
}

/// A configured but not started `gdarchive` process (for tests that signal it).
public func makeProcess(_ arguments: [String], environment: [String: String] = [:], currentDirectory: URL? = nil) -> Process {
    let process = Process()
    process.executableURL = Paths.binary
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "GDARCHIVE_DB")
    for (key, value) in environment { env[key] = value }
    process.environment = env
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    return process
}

/// Drains a pipe on a background thread.
private final class Reader: @unchecked Sendable {
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
