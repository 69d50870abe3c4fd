/// The one rule for text from a finding shown to a person (tables, report headers and legends,
/// `show`'s header, diagnostics, spreadsheet-safe CSV): characters that act on the display
/// instead of showing are written as escapes, so that such text can never drive a terminal
/// or make a line read other than it is.
///
/// ```swift
/// VisibleText.escaped("evil\u{1b}[2J\u{202e}txt")   // "evil\\u{1b}[2J\\u{202e}txt"
/// ```
///
/// Escaped: C0 and C1 controls and DEL (`\n`, `\r`, `\t` by name), bidirectional embeddings,
/// overrides, isolates and marks (U+202A–E, U+2066–9, U+061C), zero-width characters (U+200B–F,
/// U+2060–5, U+180E), the byte order mark, the line and paragraph separators (U+2028–9, which
/// some terminals and editors break lines at), the soft hyphen (U+00AD), tag characters
/// (U+E0000–E007F, which hide text) and interlinear annotation marks (U+FFF9–B).
public enum VisibleText {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isInvisible) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            default:
                if isInvisible(scalar) { out += escape(scalar) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// Characters that act on the display instead of showing.
    public static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F, 0x80..<0xA0, 0xAD, 0x061C, 0x180E, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF,
             0xFFF9...0xFFFB, 0xE0000...0xE007F: return true
        default: return false
        }
    }

    /// `\u{1b}`.
    public static func escape(_ scalar: Unicode.Scalar) -> String {
        "\\u{" + String(scalar.value, radix: 16) + "}"
    }
}
