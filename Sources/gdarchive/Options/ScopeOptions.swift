import ArgumentParser
import GDArchiveStore
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

    /// The scope the options ask for; with `archive`, a dotted path the filter names must be
    /// one findings can have (see ``Terminal/pathChecker(_:)``).
    func scope(filter: String?, archive: Archive? = nil) -> ReportScope {
        var scope = ReportScope(filter: filter)
        scope.checkPath = archive.map(Terminal.pathChecker)
        scope.pathShape = Terminal.pathShape
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
