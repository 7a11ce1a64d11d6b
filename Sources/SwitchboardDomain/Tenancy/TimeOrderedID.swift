import Foundation

/// UUID version 7 (RFC 9562): a millisecond timestamp, then the sub-millisecond fraction in the
/// 12 `rand_a` bits (§6.2, method 3), then randomness. Ids sort by creation time, so keyset
/// pagination by id lists records in the order they were made.
public enum TimeOrderedID {
    public static func make(now: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        let interval = max(0, now.timeIntervalSince1970)
        let milliseconds = UInt64(interval * 1000)
        let fraction = UInt16(min(4095, (interval * 1000 - Double(milliseconds)) * 4096))
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes[6] = 0x70 | UInt8(fraction >> 8)  // version 7
        bytes[7] = UInt8(truncatingIfNeeded: fraction)
        for index in 8..<16 { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
