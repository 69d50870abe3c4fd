import GRDB

/// Where `gdarchive pull` stands with each detector (migration 4): the start of its last
/// pull that stored everything it was given.
extension Archive {
    /// The cursor of a detector (milliseconds), nil before its first complete pull.
    public func pullCursor(region: String, detector: String) throws -> Int64? {
        try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT pulled_to_ms FROM pull_cursors WHERE region = ? AND detector_id = ?", arguments: [region, detector])
        }
    }

    /// Moves a detector's cursor to `pulledTo` (forward only), recording when it was pulled.
    public func advancePullCursor(region: String, detector: String, to pulledTo: Int64, pulledAt: String) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO pull_cursors (region, detector_id, pulled_to_ms, last_pull_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (region, detector_id) DO UPDATE SET pulled_to_ms = max(pulled_to_ms, excluded.pulled_to_ms), last_pull_at = excluded.last_pull_at
                """, arguments: [region, detector, pulledTo, pulledAt])
        }
    }
}
