import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs a program to its end and collects what it printed, on swiftlang/swift-subprocess:
/// standard input is written while both output pipes are drained, so a chatty program can
/// never block on a full pipe, and a program killed by a signal is told from one that exited.
///
/// ```swift
/// let result = try ChildProcess.run("/usr/bin/env", ["aws", "--version"])
/// print(result.termination, String(decoding: result.stdout, as: UTF8.self))
/// ```
public enum ChildProcess {
    /// How the program ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): return "exit status \(code)"
            case .signaled(let signal): return "killed by signal \(signal)"
            }
        }
    }

    public struct Result: Sendable {
        public var termination: Termination
        public var stdout: [UInt8]
        public var stderr: [UInt8]

        /// The status a shell would report: the exit code, or 128 + the signal.
        public var status: Int32 {
            switch termination {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        }
    }

    /// Blocks the calling thread until the program ends. Call it from a thread outside Swift's
    /// cooperative pool (the command line's main thread): swift-subprocess starts tasks of its
    /// own, which need a pool thread; from async code, call ``runAsync(_:_:environment:stdin:currentDirectory:)``.
    ///
    /// - Parameters:
    ///   - executable: a path, or a name looked up in `PATH`.
    ///   - environment: the whole environment of the child (nil: this process's).
    ///   - stdin: bytes to write to its standard input (nil: /dev/null).
    ///   - shouldStop: polled while the program runs (every 50 ms); once it says true, the
    ///     program is killed (SIGKILL, by swift-subprocess's teardown) and ``Stopped`` thrown.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           stdin: [UInt8]? = nil, currentDirectory: String? = nil,
                           shouldStop: () -> Bool = { false }) throws -> Result {
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = Task.detached {
            do {
                box.result = .success(try await runAsync(executable, arguments, environment: environment, stdin: stdin,
                                                         currentDirectory: currentDirectory))
            } catch {
                box.result = .failure(error)
            }
            done.signal()
        }
        var stopped = false
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if !stopped && shouldStop() {
                stopped = true
                task.cancel()
            }
        }
        if stopped { throw Stopped() }
        return try box.result!.get()
    }

    /// The program was killed because the caller asked to stop.
    public struct Stopped: Error, CustomStringConvertible {
        public var description: String { "stopped" }
    }

    public static func runAsync(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                                stdin: [UInt8]? = nil, currentDirectory: String? = nil) async throws -> Result {
        let program: Executable = executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
        let env: Subprocess.Environment = environment.map { variables in
            .custom(Dictionary(variables.compactMap { key, value in Environment.Key(rawValue: key).map { ($0, value) } },
                               uniquingKeysWith: { first, _ in first }))
        } ?? .inherit
        let directory = currentDirectory.map { FilePath($0) }
        let outcome = try await Subprocess.run(program, arguments: Arguments(arguments), environment: env, workingDirectory: directory,
                                               input: .array(stdin ?? []), output: .bytes(limit: .max), error: .bytes(limit: .max))
        let termination: Termination
        switch outcome.terminationStatus {
        case .exited(let code): termination = .exited(code)
        case .signaled(let signal): termination = .signaled(signal)
        }
        return Result(termination: termination, stdout: outcome.standardOutput, stderr: outcome.standardError)
    }

    private final class Box: @unchecked Sendable {
        var result: Swift.Result<Result, Error>?
    }
}
