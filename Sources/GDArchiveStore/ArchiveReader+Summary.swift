import GRDB

/// A condition over the row alias `f` with its bindings, as the filter compiler writes it
/// (until the renovation's step 5 gives the Store a typed filter to write SQL from).
package struct SQLCondition {
    package var sql: String
    package var bindings: [DatabaseValue]

    package init(sql: String, bindings: [DatabaseValue]) {
        self.sql = sql
        self.bindings = bindings
    }
}

/// How a summary measures each finding's versions and occurrences: without a window, its own
/// columns; in one, a `WITH` clause (first, with its bindings) joined in as `m`.
package struct MeasureSQL {
    package var with: String
    package var join: String
    package var versions: String
    package var occurrences: String
    package var bindings: [DatabaseValue]

    package init(with: String, join: String, versions: String, occurrences: String, bindings: [DatabaseValue]) {
        self.with = with
        self.join = join
        self.versions = versions
        self.occurrences = occurrences
        self.bindings = bindings
    }
}

/// One severity band of a summary: its findings, versions, occurrences and activity.
package struct SeverityBandTotals: Equatable {
    package var label: String
    package var findings: Int64
    package var versions: Int64
    package var occurrences: Int64
    package var firstActivity: String?
    package var lastActivity: String?
}

/// The last import run, as a summary shows it.
package struct LastImport: Equatable {
    package var startedAt: String?
    package var status: String?
}

extension ArchiveReader {
    /// The latest versions `condition` selects, by severity label (`(none)` without one):
    /// findings, versions and occurrences (`measures`), first and last activity.
    package func severityBands(measures: MeasureSQL, where condition: SQLCondition) throws -> [SeverityBandTotals] {
        try Row.fetchAll(db, sql: """
            \(measures.with)
            SELECT coalesce(f.severity_label, '(none)') AS band, count(*) AS findings, sum(\(measures.versions)) AS versions, sum(\(measures.occurrences)) AS occurrences,
                   min(coalesce(f.first_seen, f.created_at)) AS first_activity, max(coalesce(f.last_seen, f.updated_at)) AS last_activity
            FROM latest_findings f \(measures.join) WHERE (\(condition.sql)) GROUP BY band
            """, arguments: StatementArguments(measures.bindings + condition.bindings)).map { row in
            SeverityBandTotals(label: row["band"], findings: row["findings"], versions: (row["versions"] as Int64?) ?? 0, occurrences: (row["occurrences"] as Int64?) ?? 0,
                         firstActivity: row["first_activity"], lastActivity: row["last_activity"])
        }
    }

    /// How many accounts and Regions the latest versions `condition` selects are in.
    package func accountsAndRegions(where condition: SQLCondition) throws -> (accounts: Int64, regions: Int64) {
        let row = try Row.fetchOne(db, sql: """
            SELECT count(DISTINCT f.account_id) AS accounts, count(DISTINCT f.region) AS regions
            FROM latest_findings f WHERE (\(condition.sql))
            """, arguments: StatementArguments(condition.bindings))!
        return (row["accounts"], row["regions"])
    }

    /// The last import run (started, status), nil before the first.
    package func lastImport() throws -> LastImport? {
        try Row.fetchOne(db, sql: "SELECT started_at, status FROM import_runs ORDER BY id DESC LIMIT 1")
            .map { LastImport(startedAt: $0["started_at"], status: $0["status"]) }
    }

    /// How many sample findings `condition` selects (a sample finding: its latest version is a
    /// sample; on version rows, the sample findings with a version it selects, `extra` a
    /// further condition such as a time range), starting from the samples: their small partial
    /// index, materialised and joined first (without statistics, SQLite would start from the
    /// filter's own index and run the whole filter a second time).
    package func samplesLeftOut(rowsAreFindings: Bool, where condition: SQLCondition) throws -> Int {
        let sql = rowsAreFindings ? """
            WITH s AS MATERIALIZED (SELECT finding_key FROM findings INDEXED BY findings_sample WHERE sample = 1)
            SELECT count(*) FROM s CROSS JOIN latest_findings f ON f.finding_key = s.finding_key WHERE (\(condition.sql))
            """ : """
            WITH s AS MATERIALIZED (SELECT finding_key FROM findings INDEXED BY findings_sample WHERE sample = 1)
            SELECT count(DISTINCT f.finding_key) FROM s CROSS JOIN finding_versions f ON f.finding_key = s.finding_key WHERE (\(condition.sql))
            """
        return try Int.fetchOne(db, sql: sql, arguments: StatementArguments(condition.bindings)) ?? 0
    }
}
