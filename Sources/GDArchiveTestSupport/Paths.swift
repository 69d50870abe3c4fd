import Foundation

/// Where things are, for tests: the package root (found from this file's path), the bundled
/// `Fixtures/`, the shared real samples beside the project, and the built binary.
///
/// ```swift
/// let fixture = Paths.fixtures.appendingPathComponent("scenarios/out-of-order-versions.jsonl")
/// ```
public enum Paths {
    /// The package root.
    public static let packageRoot: URL = {
        URL(fileURLWithPath: #filePath)  // Sources/GDArchiveTestSupport/Paths.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    public static var fixtures: URL { packageRoot.appendingPathComponent("Fixtures") }

    /// `../shared/samples` beside the project root, if it exists (it does on developers'
    /// machines and in CI; tests that need it skip with a message elsewhere).
    public static var samples: URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/samples")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The message a test prints when it skips for want of the samples.
    public static let samplesMissing = "../shared/samples is absent beside the project root; the real-sample tests are skipped"

    /// The `gdarchive` binary built alongside the tests.
    public static var binary: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // On Linux the test runner is …/debug/gdarchivePackageTests.xctest; on macOS a bundle.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("gdarchive")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue {
                return candidate
            }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/gdarchive")
    }
}

/// A fresh temporary directory, removed when the value is deinitialised.
///
/// ```swift
/// let tmp = try TemporaryDirectory()
/// let db = tmp.path("archive.sqlite")
/// ```
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gdarchive-test-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// A path inside the directory.
    public func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    /// Writes `contents` to `name` (creating folders) and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: [UInt8]) throws -> String {
        let target = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents).write(to: target)
        return target.path
    }

    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }

    /// Copies a fixture (file or folder, relative to `Fixtures/`) into the directory.
    @discardableResult
    public func copyFixture(_ relative: String, as name: String? = nil) throws -> String {
        let source = Paths.fixtures.appendingPathComponent(relative)
        let target = url.appendingPathComponent(name ?? source.lastPathComponent)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: target)
        return target.path
    }
}
