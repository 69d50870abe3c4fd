import Foundation

/// The archive's one timestamp format: `YYYY-MM-DDTHH:MM:SS.sssZ`, always UTC, always with
/// milliseconds, so that text order is time order.
///
/// ```swift
/// Timestamp.format(epochMilliseconds: 0)        // "1970-01-01T00:00:00.000Z"
/// Timestamp.parse("2024-05-01T12:00:00+02:00")  // 1714557600000 (ms)
/// ```
public enum Timestamp {
    /// Milliseconds since the epoch, now.
    public static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Now, formatted.
    public static func now() -> String {
        format(epochMilliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// Formats milliseconds since 1970-01-01T00:00:00Z.
    public static func format(epochMilliseconds ms: Int64) -> String {
        let days = floorDiv(ms, 86_400_000)
        let msOfDay = ms - days * 86_400_000
        let (y, m, d) = civil(fromDays: days)
        let hour = msOfDay / 3_600_000, minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1000 % 60, milli = msOfDay % 1000
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(hour, 2) + ":" + pad(minute, 2)
            + ":" + pad(second, 2) + "." + pad(milli, 3) + "Z"
    }

    /// Parses an ISO 8601 date-time (`T` or a space between date and time, optional fraction,
    /// `Z`, `±HH:MM`, `±HHMM` or no zone meaning UTC) or a plain date, to epoch milliseconds.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count && b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect(45), let mo = digits(2), expect(45), let d = digits(2),
              (1...12).contains(mo), (1...daysInMonth(y, mo)).contains(d) else { return nil }
        var ms = days(fromCivil: y, mo, d) * 86_400_000
        if i == b.count { return ms }
        guard i < b.count, b[i] == 84 || b[i] == 116 || b[i] == 32 else { return nil }
        i += 1
        guard let h = digits(2), expect(58), let mi = digits(2), h < 24, mi < 60 else { return nil }
        var s: Int64 = 0
        if expect(58) {
            guard let sec = digits(2), sec <= 60 else { return nil }
            s = sec
        }
        ms += (h * 3600 + mi * 60 + s) * 1000
        if i < b.count && (b[i] == 46 || b[i] == 44) {
            i += 1
            var scale: Int64 = 100
            var frac: Int64 = 0
            var count = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                frac += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
                count += 1
            }
            guard count > 0 else { return nil }
            ms += frac
        }
        if i == b.count { return ms }
        if b[i] == 90 || b[i] == 122 { i += 1; return i == b.count ? ms : nil }
        guard b[i] == 43 || b[i] == 45 else { return nil }
        let sign: Int64 = b[i] == 43 ? 1 : -1
        i += 1
        guard let oh = digits(2) else { return nil }
        _ = expect(58)
        guard let om = digits(2), i == b.count, oh < 24, om < 60 else { return nil }
        return ms - sign * (oh * 3600 + om * 60) * 1000
    }

    /// The units of a duration as users write them: seconds, minutes, hours, days, weeks and
    /// years of 365 days. One table for relative times (`--since -90d`, `updated_at > -1y`) and
    /// ages (`prune --older-than 2y`).
    public static let durationUnits: [Character: Int64] = [
        "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 365 * 86_400_000,
    ]

    /// `90d`, `-24h`, `+30m`, `2y` → signed milliseconds; nil for anything else or on overflow.
    public static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let scale = durationUnits[unit], let amount = Int64(text.dropLast()) else { return nil }
        let (product, overflow) = amount.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }

    /// Days in month `m` of year `y` (Gregorian: February has 29 in leap years).
    public static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    public static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
