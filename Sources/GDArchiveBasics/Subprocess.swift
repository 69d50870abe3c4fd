import Foundation

/// Runs a program to its end and collects what it printed (both pipes are drained at once, so
/// a chatty program can never block on a full pipe).
///
/// ```swift
/// let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["aws", "--version"])
/// print(result.status, String(decoding: result.stdout, as: UTF8.self))
/// ```
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
    }

    /// - Parameters:
    ///   - environment: the whole environment of the child (nil: this process's).
    ///   - stdin: bytes to write to its standard input (nil: /dev/null).
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                           stdin: Data? = nil, currentDirectory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        let errorDrain = Drain(err.fileHandleForReading)
        if let stdin {
            try? input.fileHandleForWriting.write(contentsOf: stdin)
            try? input.fileHandleForWriting.close()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: output, stderr: errorDrain.finish())
    }

    /// Reads a pipe to its end on a background thread.
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
}
