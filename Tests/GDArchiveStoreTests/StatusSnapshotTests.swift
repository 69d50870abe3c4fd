import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

@Suite struct StatusSnapshotTests {
    @Test func statusIsOneReadTransaction() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        final class Counter: @unchecked Sendable { var begins = 0 }
        let counter = Counter()
        try archive.database.writeWithoutTransaction { db in
            db.trace { event in
                if case .statement(let statement) = event, statement.sql.uppercased().hasPrefix("BEGIN") { counter.begins += 1 }
            }
        }
        _ = try archive.status()
        #expect(counter.begins == 1)
    }
}
