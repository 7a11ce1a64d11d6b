/// Why an uploaded logo was not accepted. `rule` is a stable slug a client can switch on;
/// `message` is one sentence a person can act on.
public enum LogoImageRefusal: Error, Sendable, Equatable {
    /// The upload had no bytes.
    case empty
    /// The upload is larger than `limit` bytes.
    case tooLarge(limit: Int)
    /// Not a still PNG or a baseline/progressive JPEG (SVG, GIF, WebP, animated PNG, lossless or
    /// arithmetic-coded JPEG, …).
    case unsupportedFormat
    /// The request's Content-Type names a different type than the bytes are.
    case typeMismatch(declared: String, detected: String)
    /// The bytes start like a PNG or JPEG but break its structure; the reason is short English.
    case malformed(String)
    /// Width or height is zero or above `limit` pixels.
    case dimensionsOutOfRange(width: Int, height: Int, limit: Int)

    public var rule: String {
        switch self {
        case .empty: "empty"
        case .tooLarge: "too-large"
        case .unsupportedFormat: "unsupported-format"
        case .typeMismatch: "type-mismatch"
        case .malformed: "malformed-image"
        case .dimensionsOutOfRange: "dimensions"
        }
    }

    public var message: String {
        switch self {
        case .empty:
            "The logo file is empty."
        case .tooLarge(let limit):
            "The logo must be at most \(Self.describe(byteCount: limit))."
        case .unsupportedFormat:
            "The logo must be a still PNG or JPEG image (SVG, GIF, WebP, animated PNG and other formats are not accepted)."
        case .typeMismatch(let declared, let detected):
            "The logo was sent as \(declared) but the file is \(detected); send it with Content-Type \(detected)."
        case .malformed(let reason):
            "The logo file is not a valid PNG or JPEG image (\(reason))."
        case .dimensionsOutOfRange(let width, let height, let limit):
            "The logo must be between 1 and \(limit) pixels wide and high (this one is \(width)×\(height))."
        }
    }

    /// Whole KiB or MiB where the limit is one, bytes otherwise.
    private static func describe(byteCount: Int) -> String {
        if byteCount >= 1024 * 1024, byteCount % (1024 * 1024) == 0 { return "\(byteCount / (1024 * 1024)) MiB" }
        if byteCount >= 1024, byteCount % 1024 == 0 { return "\(byteCount / 1024) KiB" }
        return "\(byteCount) bytes"
    }
}
