/// A contiguous block of E.164 numbers: the first one and how many follow, all of the same length.
public enum NumberRange {
    /// The `count` numbers from `first` on, or nil when the block would run past the last number
    /// of that length (`+4599999999` and 2).
    public static func numbers(from first: String, count: Int) -> [String]? {
        guard E164.isValid(first), count >= 1 else { return nil }
        let digits = Array(first.utf8.dropFirst())
        // At most 15 digits: fits in UInt64 with room for the count.
        let start = UInt64(String(decoding: digits, as: UTF8.self))!
        let last = start + UInt64(count - 1)
        guard String(last).count == digits.count else { return nil }
        return (0..<UInt64(count)).map { "+" + String(start + $0) }
    }
}
