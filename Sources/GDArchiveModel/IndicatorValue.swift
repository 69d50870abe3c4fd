/// How an indicator's value is written in the archive, defined once: the extractor stores
/// values so, and the filter compiler normalises what an analyst types the same way, so that
/// `domain = 'Evil.Example.COM.'` finds `evil.example.com`.
///
/// ```swift
/// IndicatorValue.normalize(" Evil.Example.COM. ", kind: "domain")   // "evil.example.com"
/// IndicatorValue.normalize("ABCDEF…(64 hex)", kind: "sha256")          // lower-cased
/// IndicatorValue.normalize("not-a-hash", kind: "sha256")              // "not-a-hash", as it stands
/// ```
public enum IndicatorValue {
    /// The stored form of `value` for `kind`; nil when there is nothing to store (empty, or
    /// a port that is not a number).
    public static func normalize(_ value: String, kind: String) -> String? {
        let trimmed = trimWhitespace(value)
        guard !trimmed.isEmpty else { return nil }
        switch kind {
        case "domain":
            var d = trimmed.lowercased()
            while d.hasSuffix(".") { d.removeLast() }
            return d.isEmpty ? nil : d
        case "sha256":
            // A hash written in hexadecimal is lower-cased; anything else (real data has
            // hashes that are not 64 hex digits) is kept as it stands, never dropped.
            let hex = trimmed.lowercased()
            return hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) ? hex : trimmed
        case "local_port", "remote_port":
            return Int(trimmed).map(String.init)
        default:
            return trimmed
        }
    }

    static func trimWhitespace(_ value: String) -> String {
        var s = Substring(value)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
