import GDArchiveModel
import Foundation
import GDArchiveIngest
import GDArchiveJSON
import GDArchiveStore
import GDArchiveTestSupport
import GRDB
import Testing

/// `gdarchive check --repair`: the versions an older gdarchive stored twice for one change seen
/// through two channels are folded into one version with two forms, and the archive is then the
/// one the import would have made with the form rule.
@Suite struct FormFoldTests {
    static func record(_ line: String) throws -> VersionRecord {
        try FindingExtractor.record(from: JSONParser.parse(Array(line.utf8)))
    }

    /// What the CLI keeps of an export line: the unmodelled `additionalInfo.threatListName`
    /// and the null `errorCode` dropped, severity as a fraction.
    static func cliCopy(_ line: String) -> String {
        line.replacingOccurrences(of: #","threatListName":"ProofPoint"}"#, with: "}")
            .replacingOccurrences(of: #""errorCode":null,"#, with: "")
            .replacingOccurrences(of: #""severity":5,"#, with: #""severity":5.0,"#)
    }

    /// 20 findings from the export, the CLI's copies of all of them (for 2, the CLI's copy
    /// first), a real update (version 2) of 5, and an archived CLI copy of 3 others' first
    /// version: in arrival order.
    static func arrivals() throws -> (records: [VersionRecord], realVersions: Int) {
        let generator = FindingGenerator(seed: 29)
        let export = (0..<20).map { generator.finding(number: $0, version: 1) }
        var lines = export[18...].map(cliCopy) + export
        lines += export[..<18].map(cliCopy)
        lines += (0..<5).map { generator.finding(number: $0, version: 2) }
        lines += (15..<18).map { cliCopy(generator.finding(number: $0, version: 1)).replacingOccurrences(of: #""archived":false"#, with: #""archived":true"#) }
        return (try lines.map(record), 20 + 5 + 3)
    }

    static func store(_ records: [VersionRecord], at path: String, forms: FormRule?) throws -> Archive {
        let archive = try Archive.open(path: path)
        let run = try ArchiveWriter.beginRun(in: archive, command: "test")
        try archive.database.write { db in
            let writer = try ArchiveWriter(db: db, runID: run, forms: forms)
            let file = try writer.sourceFile(path: "/export-and-pull.jsonl")
            for (line, record) in records.enumerated() {
                _ = try writer.store(record, file: file, line: line + 1, recordIndex: 0)
            }
        }
        return archive
    }

    /// Every version, sorted, with what a reader sees of it, and every form with its sightings.
    static func contents(_ archive: Archive) throws -> [String] {
        try archive.database.read { db in
            try String.fetchAll(db, sql: """
                SELECT v.id || ' ' || v.updated_at || ' ' || v.count || ' ' || v.archived || ' ' || v.sample || ' ' || v.occurrences || ' '
                       || v.is_latest || ' ' || v.body || ' ' ||
                       (SELECT group_concat(line, ',') FROM (SELECT s.line FROM sightings s WHERE s.version_id = v.version_id ORDER BY s.line))
                FROM finding_versions v ORDER BY v.id, v.updated_at, v.count, v.archived
                """) + String.fetchAll(db, sql: """
                SELECT count(*) || ' forms, ' || sum(shown) || ' shown' FROM version_form_bodies
                """) + String.fetchAll(db, sql: """
                SELECT f.id || ' ' || f.version_count || ' ' || f.archived || ' ' || f.sample || ' ' || f.count FROM findings f ORDER BY f.id
                """) + String.fetchAll(db, sql: """
                SELECT v.id || ' ' || i.kind || ' ' || i.value FROM indicators i JOIN versions v USING (version_id) ORDER BY 1
                """)
        }
    }

    @Test func foldingAnOlderArchiveGivesTheArchiveTheFormRuleMakes() throws {
        let tmp = try TemporaryDirectory()
        let (records, real) = try Self.arrivals()
        let older = try Self.store(records, at: tmp.path("older.sqlite"), forms: nil)
        let truth = try Self.store(records, at: tmp.path("truth.sqlite"), forms: GuardDutyModel.formRule)
        let count = { (archive: Archive) in try archive.database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM versions")! } }
        #expect(try count(older) == 20 + 20 + 5 + 3, "the older rule stores every CLI copy as a version of its own")
        #expect(try count(truth) == real)
        // A dry run says what it would fold and changes nothing.
        let before = try Self.contents(older)
        let dry = try GuardDutyModel.foldForms(in: older, dryRun: true)
        #expect(dry == FoldReport(folded: 20, findings: 20))
        #expect(try Self.contents(older) == before)
        let report = try GuardDutyModel.foldForms(in: older)
        #expect(report == FoldReport(folded: 20, findings: 20))
        #expect(try count(older) == real)
        #expect(try older.check().problems == [])
        #expect(try Self.contents(older) == Self.contents(truth))
        // The archived copies stay the latest of their findings.
        #expect(try older.database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM findings WHERE archived = 1")! } == 3)
        // Folding again finds nothing.
        #expect(try GuardDutyModel.foldForms(in: older) == FoldReport(folded: 0, findings: 0))
        #expect(try Self.contents(older) == Self.contents(truth))
    }

    @Test func checkRepairFoldsAndSaysHowMany() throws {
        let tmp = try TemporaryDirectory()
        let (records, _) = try Self.arrivals()
        _ = try Self.store(records, at: tmp.path("older.sqlite"), forms: nil)
        let repaired = try runGDArchive(["--db", tmp.path("older.sqlite"), "check", "--repair"])
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(repaired.stdout.hasPrefix("repair: folded 20 versions of 20 findings into forms of the versions they repeat\nok: 20 findings, 28 versions"), "\(repaired.stdout)")
        let again = try runGDArchive(["--db", tmp.path("older.sqlite"), "check", "--repair"])
        #expect(again.stdout.hasPrefix("repair: folded 0 versions of 0 findings"), "\(again.stdout)")
    }
}
