import Foundation
import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import MigrationCodegen
import Testing

@Suite struct MigrationTests {
    @Test func generatedSwiftMatchesTheMigrationsFolder() throws {
        let files = try MigrationCodegen.readMigrations(in: Paths.packageRoot.appendingPathComponent("Migrations"))
        let expected = try MigrationCodegen.render(files)
        let onDisk = try String(contentsOf: Paths.packageRoot.appendingPathComponent(MigrationCodegen.generatedPath), encoding: .utf8)
        #expect(onDisk == expected, "Migrations/ changed: run `swift run generate-migrations` and commit the result")
        #expect(Migration.all.map(\.version) == Array(1...files.count))
        #expect(Migration.all.map(\.sql) == files.map(\.sql))
    }

    @Test(arguments: ["1_short.sql", "0002_Upper.sql", "0003-dash.sql", "0004_name.txt", "README.md"])
    func badlyNamedMigrationFilesAreRejected(name: String) throws {
        let tmp = try TemporaryDirectory()
        try tmp.write("Migrations/0001_first.sql", "CREATE TABLE a (x);\n")
        try tmp.write("Migrations/" + name, "SELECT 1;\n")
        #expect(throws: MigrationCodegen.Failure.self) {
            try MigrationCodegen.readMigrations(in: tmp.url.appendingPathComponent("Migrations"))
        }
    }

    @Test func aGapInTheNumberingIsRejected() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write("Migrations/0001_first.sql", "CREATE TABLE a (x);\n")
        try tmp.write("Migrations/0003_third.sql", "CREATE TABLE c (x);\n")
        let error = #expect(throws: MigrationCodegen.Failure.self) {
            try MigrationCodegen.readMigrations(in: tmp.url.appendingPathComponent("Migrations"))
        }
        #expect(error?.description.contains("expected migration 2") == true)
    }

    @Test func aNewArchiveRecordsEveryMigrationWithItsChecksum() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let rows = try archive.database.read { db in
            try Row.fetchAll(db, sql: "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        }
        #expect(rows.map { $0["version"] as Int } == Migration.all.map(\.version))
        #expect(rows.map { $0["checksum"] as String } == Migration.all.map(\.checksum))
        #expect(rows.map { $0["name"] as String } == Migration.all.map(\.name))
    }

    @Test func schemaMatchesTheGoldenDump() throws {
        let tmp = try TemporaryDirectory()
        let archive = try Archive.open(path: tmp.path("a.sqlite"))
        let statements = try archive.database.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY type DESC, name")
        }
        let dump = statements.map { $0 + ";\n" }.joined(separator: "\n")
        let mismatch = snapshotMismatch(of: dump, named: "schema.sql")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func anEditedMigrationIsRefused() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("a.sqlite")
        _ = try Archive.open(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1") }
        #expect(throws: StoreError.migrationModified(path: path, version: 1, fileName: Migration.all[0].fileName)) {
            _ = try Archive.open(path: path)
        }
        #expect(StoreError.migrationModified(path: path, version: 1, fileName: "0001_create_archive.sql").description
            .contains("restore the original migration file"))
    }

    @Test func anArchiveFromANewerGDArchiveIsRefused() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("a.sqlite")
        _ = try Archive.open(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO schema_migrations VALUES (999, 'from_the_future', 'abc', '2030-01-01')")
        }
        #expect(throws: StoreError.newerSchema(path: path, version: 999, name: "from_the_future")) {
            _ = try Archive.open(path: path)
        }
    }

    @Test func aFileThatIsNotSQLiteIsRefusedAndLeftAlone() throws {
        let tmp = try TemporaryDirectory()
        let path = try tmp.write("notes.txt", String(repeating: "not a database\n", count: 100))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notADatabase(path: path)) { _ = try Archive.open(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aForeignSQLiteDatabaseIsRefused() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("other.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE people (name TEXT)") }
        #expect(throws: StoreError.foreignDatabase(path: path)) { _ = try Archive.open(path: path) }
        let tables = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema") }
        #expect(tables == ["people"])
    }

    @Test func aMissingArchiveIsNotCreatedByReadOnlyCommands() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("absent.sqlite")
        #expect(throws: StoreError.archiveMissing(path: path)) { _ = try Archive.open(path: path, mode: .existing) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func theArchiveAndItsFolderAreCreatedPrivate() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("nested/deeper/archive.sqlite")
        _ = try Archive.open(path: path)
        let fileMode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        let folderMode = try FileManager.default.attributesOfItem(atPath: tmp.path("nested/deeper"))[.posixPermissions] as? Int
        #expect(fileMode == 0o600)
        #expect(folderMode == 0o700)
    }

    @Test func theDefaultPathFollowsTheEnvironment() {
        #expect(Archive.defaultPath(environment: ["GDARCHIVE_DB": "/x/a.sqlite", "HOME": "/home/u"]) == "/x/a.sqlite")
        #expect(Archive.defaultPath(environment: ["GDARCHIVE_DB": "~/a.sqlite", "HOME": "/home/u"]) == "/home/u/a.sqlite")
        #expect(Archive.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"]) == "/data/gdarchive/archive.sqlite")
        #expect(Archive.defaultPath(environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.local/share/gdarchive/archive.sqlite")
        #expect(Archive.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.local/share/gdarchive/archive.sqlite")
    }
}
