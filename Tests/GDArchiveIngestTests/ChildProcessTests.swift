import GDArchiveIngest
import Testing

/// Child processes through swift-subprocess (as `gdarchive pull` runs the `aws` CLI).
@Suite struct ChildProcessTests {
    @Test func standardInputIsWrittenWhileTheOutputIsDrained() async throws {
        // 4 MiB through `cat`: far more than a pipe holds, so writing all of standard input
        // before reading standard output would block both processes for ever.
        let input = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let result = try await ChildProcess.runAsync("/bin/sh", ["-c", "cat; echo done >&2"], stdin: input)
        #expect(result.termination == .exited(0))
        #expect(result.stdout == input)
        #expect(result.stderr == Array("done\n".utf8))
    }

    @Test func aSignalIsToldFromAnExitStatus() async throws {
        let killed = try await ChildProcess.runAsync("/bin/sh", ["-c", "kill -9 $$"])
        #expect(killed.termination == .signaled(9))
        #expect(killed.termination.description == "killed by signal 9")
        #expect(killed.status == 137)
        let exited = try await ChildProcess.runAsync("/bin/sh", ["-c", "exit 9"])
        #expect(exited.termination == .exited(9))
        #expect(exited.termination.description == "exit status 9")
    }

    @Test func aNameIsLookedUpInPathAndTheEnvironmentIsTheOneGiven() async throws {
        let result = try await ChildProcess.runAsync("env", [], environment: ["PATH": "/usr/bin:/bin", "ONLY": "this"])
        #expect(String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").sorted() == ["ONLY=this", "PATH=/usr/bin:/bin"])
    }
}
