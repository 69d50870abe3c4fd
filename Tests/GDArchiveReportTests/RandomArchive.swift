import GDArchiveModel
import Foundation
import GDArchiveStore
import GDArchiveTestSupport

/// A new archive of `versions` random versions, for the tests that compare two ways of
/// counting: `record(n, &generator)` makes the n-th, stored as if read from line n + 1 of one
/// file, through the real write path.
///
/// ```swift
/// let archive = try randomArchive(in: tmp, number: 0, versions: 100) { n, _ in
///     VersionRecord(id: "f\(n % 10)", accountId: "1", region: "r", body: #"{"n":\#(n)}"#)
/// }
/// ```
func randomArchive(in tmp: TemporaryDirectory, number: Int, versions: Int,
                   record: (Int, inout SeededGenerator) -> VersionRecord) throws -> Archive {
    let archive = try Archive.open(path: tmp.path("a\(number).sqlite"))
    let run = try ArchiveWriter.beginRun(in: archive, command: "test")
    var generator = SeededGenerator(seed: 1000 + UInt64(number))  // seeded: each archive the same on every run
    try archive.database.write { db in
        let writer = try ArchiveWriter(db: db, runID: run)
        let file = try writer.sourceFile(path: "/x")
        for n in 0..<versions {
            _ = try writer.store(record(n, &generator), file: file, line: n + 1, recordIndex: 0)
        }
    }
    return archive
}
