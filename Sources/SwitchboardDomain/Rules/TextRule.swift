/// What a stored human-readable text (a name, a reason, an e-mail address) may be. The one
/// definition: migration 0005's `sb.valid_text(value, max_length)` states the same rule for the
/// CHECK constraints, and `TextRuleAgreementTests` runs both on the same hostile samples.
///
/// - length is counted in Unicode scalars (code points), as PostgreSQL's `char_length` and JSON
///   Schema's `maxLength` count, never in grapheme clusters (`String.count`): a name of combining
///   marks or emoji sequences would otherwise pass here and break the constraint;
/// - no control character (C0 including NUL, DEL, C1) and no bidirectional override, embedding or
///   isolate (U+202A–U+202E, U+2066–U+2069), which make a name display as something else;
/// - no space separator (Zs, Zl, Zp) at either end: input is trimmed of them (and of surrounding
///   tabs and line breaks) before the other rules apply.
public enum TextRule {
    public enum Violation: Error, Sendable, Equatable {
        case empty
        case tooLong(maxLength: Int)
        case forbiddenCharacter
    }

    /// `value` trimmed, or the first rule it breaks.
    public static func normalised(_ value: String, maxLength: Int) -> Result<String, Violation> {
        let scalars = value.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }) else { return .failure(.empty) }
        let last = scalars.lastIndex(where: { !isTrimmed($0) })!
        let trimmed = String(String.UnicodeScalarView(scalars[first...last]))
        if trimmed.unicodeScalars.contains(where: isForbidden) { return .failure(.forbiddenCharacter) }
        if trimmed.unicodeScalars.count > maxLength { return .failure(.tooLong(maxLength: maxLength)) }
        return .success(trimmed)
    }

    /// Whether `value` may be stored as it is: exactly what `sb.valid_text` answers.
    public static func isValid(_ value: String, maxLength: Int) -> Bool {
        guard case .success(let trimmed) = normalised(value, maxLength: maxLength) else { return false }
        return trimmed == value
    }

    public static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// Space separators, which a stored text may not start or end with.
    public static func isSpaceSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// What trimming removes: space separators and the whitespace controls (tab, line breaks, NEL).
    private static func isTrimmed(_ scalar: Unicode.Scalar) -> Bool {
        isSpaceSeparator(scalar) || (0x09...0x0D).contains(scalar.value) || scalar.value == 0x85
    }
}
