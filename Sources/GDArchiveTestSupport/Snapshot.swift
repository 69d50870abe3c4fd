import Foundation

/// Compares `actual` with the golden file `Snapshots/<name>` next to the calling test file.
/// When the file is missing, or `GDARCHIVE_RECORD_SNAPSHOTS=1`, it is (re)written and the
/// comparison fails, so that recording is always deliberate.
///
/// ```swift
/// #expect(snapshotMismatch(of: help, named: "gdarchive-help.txt") == nil)
/// ```
///
/// - Returns: nil when they match, else a message with both texts.
public func snapshotMismatch(of actual: String, named name: String, filePath: String = #filePath) -> String? {
    let folder = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    let file = folder.appendingPathComponent(name)
    let record = ProcessInfo.processInfo.environment["GDARCHIVE_RECORD_SNAPSHOTS"] == "1"
    if record || !FileManager.default.fileExists(atPath: file.path) {
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? actual.write(to: file, atomically: true, encoding: .utf8)
        return "recorded snapshot \(file.path); check it in and run the tests again"
    }
    let expected = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    if expected == actual { return nil }
    return "output differs from \(file.path) (rerun with GDARCHIVE_RECORD_SNAPSHOTS=1 to re-record deliberately)\n--- expected\n\(expected)\n--- actual\n\(actual)"
}
