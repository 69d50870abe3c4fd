import GDArchiveJSON
import GDArchiveStore

/// Keeps data derived from stored bodies (the indicators) in step with the code that derives
/// it: archives made before a kind of indicator existed, or by an older extractor, are
/// re-derived in batches the first time a newer gdarchive opens them for import or query
/// (the Store does the work: ``Archive/refreshDerivedIndicators(version:batchSize:extract:)``).
///
/// ```swift
/// let updated = try DerivedData.refreshIfNeeded(archive)   // number of versions re-derived
/// ```
public enum DerivedData {
    /// Whether the archive's indicators were made by this extractor.
    public static func isUpToDate(_ archive: Archive) throws -> Bool {
        try archive.derivedIndicatorsAreCurrent(version: IndicatorExtractor.version)
    }

    /// Re-derives indicators if the archive's were made by an older extractor. Returns how many
    /// versions were processed (0 when up to date, and on an archive opened read-only, which
    /// keeps what it has: see ``isUpToDate(_:)``).
    @discardableResult
    public static func refreshIfNeeded(_ archive: Archive, batchSize: Int = 2000) throws -> Int {
        if try archive.isReadOnly || isUpToDate(archive) { return 0 }
        return try archive.refreshDerivedIndicators(version: IndicatorExtractor.version, batchSize: batchSize) { body in
            (try? JSONParser.parse(Array(body.utf8))).map(IndicatorExtractor.indicators(in:))
        }
    }
}
