import ArgumentParser
import GDArchiveReport

extension Measure: ExpressibleByArgument {}
extension Bucket: ExpressibleByArgument {}

/// `--since`, `--until`, `--time-field` and `--include-samples`: the scope options of `query`
/// and every report.
struct ScopeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Only findings whose time field is at or after this (a timestamp or -90d, -24h, …).", valueName: "time"))
    var since: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Only findings whose time field is before this.", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("The time field: created, updated, first-seen or last-seen.", valueName: "field"))
    var timeField: TimeField = .updated

    @Flag(help: "Include GuardDuty-generated sample findings (left out otherwise).")
    var includeSamples = false

    func scope(filter: String?) -> ReportScope {
        var scope = ReportScope(filter: filter)
        scope.since = since
        scope.until = until
        scope.timeField = timeField
        scope.includeSamples = includeSamples
        return scope
    }
}

/// `--measure`, for the reports.
struct MeasureOptions: ParsableArguments {
    @Option(help: ArgumentHelp("What sorts rows and sizes bars: findings, versions or occurrences (every format carries all three).", valueName: "measure"))
    var measure: Measure = .findings
}
