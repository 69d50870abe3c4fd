import Foundation
import GDArchiveTestSupport
import Testing

@Suite struct ReportGoldenTests {
    static let reports: [(name: String, arguments: [String])] = [
        ("summary", ["report", "summary"]),
        ("by-resource-type", ["report", "by", "resource_type"]),
        ("by-type-top-1-occurrences", ["report", "by", "type", "severity >= medium", "--top", "1", "--measure", "occurrences"]),
        ("timeline-week", ["report", "timeline", "--bucket", "week"]),
        ("timeline-week-by-severity", ["report", "timeline", "--bucket", "week", "--by", "severity_label", "--since", "2025-01-06", "--until", "2025-02-10"]),
    ]

    /// Every report in every format matches its golden file (the numbers themselves are
    /// worked out by hand in GDArchiveReportTests/ReportTests.swift).
    @Test(arguments: ["table", "json", "jsonl", "csv", "tsv"])
    func everyReportInEveryFormat(format: String) throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        #expect(try runGDArchive(["--db", db, "import", try tmp.copyFixture("reports/hand-counted.jsonl")]).status == 0)
        for report in Self.reports {
            let result = try runGDArchive(["--db", db] + report.arguments + ["--format", format])
            #expect(result.status == 0, "\(report.name): \(result.stderr)")
            let stable = result.stdout
                .replacingOccurrences(of: db, with: "ARCHIVE")
                .replacingOccurrences(of: #"(archive_bytes["\s:,]*)[0-9]+(,[0-9]{3})*"#, with: "$1BYTES", options: .regularExpression)
                .replacingOccurrences(of: #"(last_import["\s:,]*)\d{4}-\d\d-\d\dT[0-9:.]+Z"#, with: "$1TIME", options: .regularExpression)
                .replacingOccurrences(of: #"(,|\t)[0-9]+(,|\t)(\d{4}-\d\d-\d\dT[0-9:.]+Z)(,|\t)completed"#, with: "$1BYTES$2TIME$4completed", options: .regularExpression)
            let mismatch = snapshotMismatch(of: stable, named: "report-\(report.name).\(format)")
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }
}
