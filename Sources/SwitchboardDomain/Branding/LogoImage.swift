/// A reseller's brand logo that has passed `validate`: a still PNG, or a baseline or progressive
/// JPEG, at most `maxBytes` long and `maxDimension` pixels a side, rebuilt without the chunks and
/// segments that can carry personal metadata (text, EXIF with GPS, XMP, comments, thumbnails).
///
/// The format is read from the bytes, never taken from the declared type. Only the container is
/// checked (structure, checksums, header fields); the compressed pixels are not decoded, but
/// what they can expand to is bounded by the dimension limit.
public struct LogoImage: Sendable, Equatable {
    public enum Format: String, Sendable {
        case png, jpeg

        public var mediaType: String {
            switch self {
            case .png: "image/png"
            case .jpeg: "image/jpeg"
            }
        }
    }

    public static let maxBytes = 256 * 1024
    public static let maxDimension = 2048

    public let format: Format
    public let width: Int
    public let height: Int
    /// The sanitised file: what is stored and served.
    public let bytes: [UInt8]

    public var mediaType: String { format.mediaType }

    /// Private: every `LogoImage` has been through `validate`.
    private init(format: Format, width: Int, height: Int, bytes: [UInt8]) {
        self.format = format
        self.width = width
        self.height = height
        self.bytes = bytes
    }

    /// Checks an upload and returns it sanitised. `declaredType` is the request's Content-Type
    /// media type (lowercased, without parameters), or nil when the request had none.
    public static func validate(_ bytes: [UInt8], declaredType: String?) throws(LogoImageRefusal) -> LogoImage {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maxBytes else { throw .tooLarge(limit: maxBytes) }
        guard let format = detectedFormat(of: bytes) else { throw .unsupportedFormat }
        if let declaredType, declaredType != format.mediaType {
            // Echoed back to the client: a hostile header must not make the message long.
            throw .typeMismatch(declared: String(declaredType.prefix(80)), detected: format.mediaType)
        }
        switch format {
        case .png: return try sanitisedPNG(bytes)
        case .jpeg: return try sanitisedJPEG(bytes)
        }
    }

    private static func detectedFormat(of bytes: [UInt8]) -> Format? {
        if bytes.starts(with: pngSignature) { return .png }
        // SOI and the FF of the marker that must follow it.
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }
}

// MARK: - PNG

extension LogoImage {
    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Where the image data stands as the chunks go by: the IDAT chunks must form one unbroken run.
    private enum ImageDataRun {
        case notStarted, running, ended
    }

    /// Walks every chunk, checks the critical ones and their order, and copies the critical
    /// chunks and the colour-management ancillaries. Every other ancillary chunk (tEXt, zTXt,
    /// iTXt, eXIf, tIME, pHYs, private ones) is left out, as is a kept kind that is malformed,
    /// out of place or repeated: decoders would ignore it anyway.
    private static func sanitisedPNG(_ bytes: [UInt8]) throws(LogoImageRefusal) -> LogoImage {
        var output = pngSignature
        output.reserveCapacity(bytes.count)

        let first = try pngChunk(in: bytes, at: pngSignature.count)
        guard first.type == "IHDR" else { throw .malformed("PNG does not start with IHDR") }
        let header = try PNGHeader(Array(bytes[first.data]))
        output.append(contentsOf: bytes[first.whole])

        var paletteEntries: Int?
        var imageData = ImageDataRun.notStarted
        var keptAncillaries: Set<String> = []
        var position = first.whole.upperBound
        while position < bytes.count {
            let chunk = try pngChunk(in: bytes, at: position)
            position = chunk.whole.upperBound
            if imageData == .running, chunk.type != "IDAT" { imageData = .ended }

            switch chunk.type {
            case "IHDR":
                throw .malformed("PNG has more than one IHDR")
            case "PLTE":
                guard paletteEntries == nil else { throw .malformed("PNG has more than one PLTE") }
                guard imageData == .notStarted else { throw .malformed("PNG PLTE comes after IDAT") }
                guard header.colourType != 0, header.colourType != 4 else { throw .malformed("PNG greyscale image has a PLTE") }
                let length = chunk.data.count
                guard length > 0, length % 3 == 0, length / 3 <= 256 else { throw .malformed("PNG PLTE length is invalid") }
                if header.colourType == 3, length / 3 > 1 << Int(header.bitDepth) {
                    throw .malformed("PNG PLTE has more entries than the bit depth allows")
                }
                paletteEntries = length / 3
                output.append(contentsOf: bytes[chunk.whole])
            case "IDAT":
                switch imageData {
                case .ended:
                    throw .malformed("PNG IDAT chunks are not consecutive")
                case .notStarted:
                    if header.colourType == 3, paletteEntries == nil { throw .malformed("PNG palette image has no PLTE") }
                    imageData = .running
                case .running:
                    break
                }
                output.append(contentsOf: bytes[chunk.whole])
            case "IEND":
                guard imageData != .notStarted else { throw .malformed("PNG has no IDAT") }
                guard chunk.data.isEmpty else { throw .malformed("PNG IEND is not empty") }
                guard position == bytes.count else { throw .malformed("PNG has data after IEND") }
                output.append(contentsOf: bytes[chunk.whole])
                return LogoImage(format: .png, width: header.width, height: header.height, bytes: output)
            case "acTL", "fcTL", "fdAT":
                // Animated PNG: browsers would play it; a logo is a still image.
                throw .unsupportedFormat
            case "tRNS", "gAMA", "cHRM", "sRGB", "iCCP":
                // sRGB and iCCP both say what the colours mean; the PNG spec allows only one.
                let colourSpaceTaken = (chunk.type == "sRGB" || chunk.type == "iCCP")
                    && (keptAncillaries.contains("sRGB") || keptAncillaries.contains("iCCP"))
                if imageData == .notStarted, !keptAncillaries.contains(chunk.type), !colourSpaceTaken,
                   pngAncillaryIsWellFormed(chunk.type, bytes[chunk.data], header: header, paletteEntries: paletteEntries) {
                    keptAncillaries.insert(chunk.type)
                    output.append(contentsOf: bytes[chunk.whole])
                }
            default:
                // Bit 5 of the first letter (lowercase) marks a chunk a decoder may skip; one it
                // must understand and we do not know cannot be displayed.
                if bytes[chunk.whole.lowerBound + 4] & 0x20 == 0 {
                    throw .malformed("PNG has an unknown critical chunk \(chunk.type)")
                }
            }
        }
        throw .malformed("PNG ends without IEND")
    }

    /// One chunk's byte ranges: length (4), type (4), data, CRC (4).
    private struct PNGChunk {
        let type: String
        let data: Range<Int>
        let whole: Range<Int>
    }

    private static func pngChunk(in bytes: [UInt8], at start: Int) throws(LogoImageRefusal) -> PNGChunk {
        let remaining = bytes.count - start
        guard remaining >= 12, let declaredLength = bytes.bigEndianUInt32(at: start),
              declaredLength <= UInt32(remaining - 12) else { throw .malformed("PNG chunk is truncated") }
        let typeRange = start + 4 ..< start + 8
        let data = start + 8 ..< start + 8 + Int(declaredLength)
        guard bytes[typeRange].allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }) else {
            throw .malformed("PNG chunk type is not four letters")
        }
        guard let storedCRC = bytes.bigEndianUInt32(at: data.upperBound),
              storedCRC == CRC32.checksum(bytes[typeRange.lowerBound ..< data.upperBound]) else {
            throw .malformed("PNG chunk CRC mismatch")
        }
        return PNGChunk(type: String(decoding: bytes[typeRange], as: UTF8.self), data: data, whole: start ..< data.upperBound + 4)
    }

    /// The layout rules of the ancillary chunks kept; `paletteEntries` is nil before PLTE.
    private static func pngAncillaryIsWellFormed(
        _ type: String, _ data: ArraySlice<UInt8>, header: PNGHeader, paletteEntries: Int?
    ) -> Bool {
        switch type {
        case "tRNS":
            switch header.colourType {
            case 0: return data.count == 2
            case 2: return data.count == 6
            case 3: return paletteEntries.map { (1...$0).contains(data.count) } ?? false
            default: return false  // the image already has an alpha channel
            }
        // The colour-space chunks must come before PLTE.
        case "gAMA": return paletteEntries == nil && data.count == 4
        case "cHRM": return paletteEntries == nil && data.count == 32
        case "sRGB": return paletteEntries == nil && data.count == 1 && (data.first ?? 4) <= 3
        case "iCCP":
            // Profile name (1–79 bytes), NUL, compression method 0, then the compressed profile.
            guard paletteEntries == nil, let nul = data.prefix(80).firstIndex(of: 0) else { return false }
            let nameLength = nul - data.startIndex
            let method = nul + 1
            return nameLength >= 1 && method + 1 < data.endIndex && data[method] == 0
        default:
            return false
        }
    }

    /// IHDR: width, height, bit depth, colour type, compression, filter, interlace.
    private struct PNGHeader {
        let width: Int
        let height: Int
        let bitDepth: UInt8
        let colourType: UInt8

        init(_ data: [UInt8]) throws(LogoImageRefusal) {
            guard data.count == 13, let width = data.bigEndianUInt32(at: 0), let height = data.bigEndianUInt32(at: 4) else {
                throw .malformed("PNG IHDR is not 13 bytes")
            }
            let limit = UInt32(LogoImage.maxDimension)
            guard (1...limit).contains(width), (1...limit).contains(height) else {
                throw .dimensionsOutOfRange(width: Int(clamping: width), height: Int(clamping: height), limit: LogoImage.maxDimension)
            }
            let bitDepth = data[8], colourType = data[9]
            let allowedDepths: [UInt8]
            switch colourType {
            case 0: allowedDepths = [1, 2, 4, 8, 16]  // greyscale
            case 2, 4, 6: allowedDepths = [8, 16]  // RGB, greyscale + alpha, RGBA
            case 3: allowedDepths = [1, 2, 4, 8]  // palette
            default: throw .malformed("PNG colour type is invalid")
            }
            guard allowedDepths.contains(bitDepth) else { throw .malformed("PNG bit depth is invalid for its colour type") }
            guard data[10] == 0 else { throw .malformed("PNG compression method is not 0") }
            guard data[11] == 0 else { throw .malformed("PNG filter method is not 0") }
            guard data[12] <= 1 else { throw .malformed("PNG interlace method is invalid") }
            self.width = Int(width)
            self.height = Int(height)
            self.bitDepth = bitDepth
            self.colourType = colourType
        }
    }
}

// MARK: - JPEG

extension LogoImage {
    /// Walks the marker segments and scans to EOI, checking the frame and scan headers and the
    /// tables, and copies what a decoder needs: JFIF (without its thumbnail), Adobe APP14 (it
    /// says how to convert the colours), DQT, DHT, DRI, the frame header, the scans. Other
    /// APPn segments (EXIF with GPS, XMP, ICC, IPTC, Photoshop) and comments are left out.
    private static func sanitisedJPEG(_ bytes: [UInt8]) throws(LogoImageRefusal) -> LogoImage {
        var output: [UInt8] = [0xFF, 0xD8]
        output.reserveCapacity(bytes.count)
        var frame: JPEGFrame?
        var quantisationTables: Set<UInt8> = []
        var scanCount = 0
        var position = 2

        while true {
            guard position < bytes.count else { throw .malformed("JPEG ends without EOI") }
            guard bytes[position] == 0xFF else { throw .malformed("JPEG has stray bytes between segments") }
            // Any number of FF fill bytes may precede a marker.
            while position < bytes.count, bytes[position] == 0xFF { position += 1 }
            guard position < bytes.count else { throw .malformed("JPEG ends without EOI") }
            let marker = bytes[position]
            position += 1

            switch marker {
            case 0xD9:
                guard let frame, scanCount > 0 else { throw .malformed("JPEG has no image data") }
                guard position == bytes.count else { throw .malformed("JPEG has data after EOI") }
                output.append(contentsOf: [0xFF, 0xD9])
                return LogoImage(format: .jpeg, width: frame.width, height: frame.height, bytes: output)
            case 0x00, 0x01, 0xD0...0xD8:
                // Stuffing, TEM, RSTn and SOI have no place between segments.
                throw .malformed("JPEG has a misplaced marker")
            default:
                break
            }

            // Every other marker starts a segment whose length counts its own two bytes.
            guard let length = bytes.bigEndianUInt16(at: position), length >= 2, length <= bytes.count - position else {
                throw .malformed("JPEG segment length exceeds the file")
            }
            let segment = position ..< position + length
            let payload = position + 2 ..< position + length
            position = segment.upperBound

            switch marker {
            case 0xC0, 0xC1, 0xC2:
                // Baseline, extended sequential and progressive Huffman-coded frames.
                guard frame == nil else { throw .malformed("JPEG has more than one frame header") }
                frame = try JPEGFrame(bytes, payload)
                output.append(segment: segment, of: bytes, marker: marker)
            case 0xC3, 0xC5...0xCB, 0xCD...0xCF, 0xCC, 0xDE, 0xDF, 0xF0...0xFD:
                // Lossless, hierarchical and arithmetic-coded frames (with DAC, DHP, EXP) and the
                // JPG extensions (JPEG-LS): browsers do not display them.
                throw .unsupportedFormat
            case 0xC4:
                try checkHuffmanTables(bytes, payload)
                output.append(segment: segment, of: bytes, marker: marker)
            case 0xDB:
                quantisationTables.formUnion(try quantisationTableIDs(bytes, payload))
                output.append(segment: segment, of: bytes, marker: marker)
            case 0xDD:
                guard payload.count == 2 else { throw .malformed("JPEG restart interval has the wrong length") }
                output.append(segment: segment, of: bytes, marker: marker)
            case 0xDA:
                guard let frame else { throw .malformed("JPEG scan comes before the frame header") }
                try checkScanHeader(bytes, payload, frame: frame, quantisationTables: quantisationTables)
                output.append(segment: segment, of: bytes, marker: marker)
                let scanEnd = try endOfEntropyCodedData(bytes, from: position)
                output.append(contentsOf: bytes[position ..< scanEnd])
                position = scanEnd
                scanCount += 1
            case 0xE0:
                if let jfif = jfifWithoutThumbnail(bytes, payload) {
                    output.append(contentsOf: [0xFF, 0xE0])
                    output.append(contentsOf: jfif)
                }
            case 0xEE:
                // "Adobe": the colour transform flag decides how 3- and 4-component data is read.
                if payload.count >= 12, bytes[payload].starts(with: [0x41, 0x64, 0x6F, 0x62, 0x65]) {
                    output.append(segment: segment, of: bytes, marker: marker)
                }
            case 0xE1...0xED, 0xEF, 0xFE:
                break  // metadata and comments: dropped
            default:
                // Reserved markers, and DNL (only meaningful with a zero height, which is refused).
                throw .malformed("JPEG has an unexpected marker")
            }
        }
    }

    /// Entropy-coded data runs to the next marker: an FF not followed by 00 (a stuffed FF byte)
    /// or by a restart marker D0–D7 (further FF bytes before either are fill).
    private static func endOfEntropyCodedData(_ bytes: [UInt8], from start: Int) throws(LogoImageRefusal) -> Int {
        var index = start
        while index < bytes.count {
            guard bytes[index] == 0xFF else {
                index += 1
                continue
            }
            var next = index + 1
            while next < bytes.count, bytes[next] == 0xFF { next += 1 }
            guard next < bytes.count else { break }
            let following = bytes[next]
            if following == 0x00 || (0xD0...0xD7).contains(following) {
                index = next + 1
                continue
            }
            return index
        }
        throw .malformed("JPEG scan data ends without EOI")
    }

    /// SOFn: precision, height, width, then identifier, sampling factors and quantisation table
    /// of each component.
    private struct JPEGFrame {
        let width: Int
        let height: Int
        /// Component identifier and the quantisation table it uses, in frame order.
        let components: [(id: UInt8, quantisationTable: UInt8)]

        init(_ bytes: [UInt8], _ payload: Range<Int>) throws(LogoImageRefusal) {
            guard payload.count >= 6 else { throw .malformed("JPEG frame header is truncated") }
            let start = payload.lowerBound
            // 12- and 16-bit samples are valid JPEG but not displayed by browsers.
            guard bytes[start] == 8 else { throw .unsupportedFormat }
            let height = Int(bytes[start + 1]) << 8 | Int(bytes[start + 2])
            let width = Int(bytes[start + 3]) << 8 | Int(bytes[start + 4])
            let componentCount = Int(bytes[start + 5])
            guard componentCount == 1 || componentCount == 3 || componentCount == 4 else {
                throw .malformed("JPEG must have 1, 3 or 4 colour components")
            }
            guard payload.count == 6 + 3 * componentCount else { throw .malformed("JPEG frame header has the wrong length") }
            let limit = LogoImage.maxDimension
            guard (1...limit).contains(width), (1...limit).contains(height) else {
                throw .dimensionsOutOfRange(width: width, height: height, limit: limit)
            }
            var components: [(id: UInt8, quantisationTable: UInt8)] = []
            for offset in stride(from: start + 6, to: payload.upperBound, by: 3) {
                let id = bytes[offset], sampling = bytes[offset + 1], table = bytes[offset + 2]
                guard !components.contains(where: { $0.id == id }) else { throw .malformed("JPEG frame repeats a component") }
                guard (1...4).contains(sampling >> 4), (1...4).contains(sampling & 0x0F) else {
                    throw .malformed("JPEG sampling factor is invalid")
                }
                guard table <= 3 else { throw .malformed("JPEG quantisation table number is invalid") }
                components.append((id, table))
            }
            self.width = width
            self.height = height
            self.components = components
        }
    }

    /// SOS: component count, each component's identifier and Huffman tables, spectral selection,
    /// successive approximation. Each component must be in the frame and its quantisation table
    /// defined by now (decoders fail otherwise).
    private static func checkScanHeader(
        _ bytes: [UInt8], _ payload: Range<Int>, frame: JPEGFrame, quantisationTables: Set<UInt8>
    ) throws(LogoImageRefusal) {
        guard let first = payload.first else { throw .malformed("JPEG scan header is truncated") }
        let componentCount = Int(bytes[first])
        guard (1...4).contains(componentCount), payload.count == 4 + 2 * componentCount else {
            throw .malformed("JPEG scan header has the wrong length")
        }
        var seen: [UInt8] = []
        for offset in stride(from: first + 1, to: first + 1 + 2 * componentCount, by: 2) {
            let id = bytes[offset]
            guard !seen.contains(id), let component = frame.components.first(where: { $0.id == id }) else {
                throw .malformed("JPEG scan names a component not in the frame")
            }
            guard quantisationTables.contains(component.quantisationTable) else {
                throw .malformed("JPEG scan uses an undefined quantisation table")
            }
            guard bytes[offset + 1] >> 4 <= 3, bytes[offset + 1] & 0x0F <= 3 else {
                throw .malformed("JPEG Huffman table number is invalid")
            }
            seen.append(id)
        }
        let spectralStart = bytes[first + 1 + 2 * componentCount]
        let spectralEnd = bytes[first + 2 + 2 * componentCount]
        guard spectralStart <= spectralEnd, spectralEnd <= 63 else { throw .malformed("JPEG scan spectral selection is invalid") }
    }

    /// DQT: one or more tables of 64 entries, 8- or 16-bit; returns the table numbers defined.
    private static func quantisationTableIDs(_ bytes: [UInt8], _ payload: Range<Int>) throws(LogoImageRefusal) -> Set<UInt8> {
        var defined: Set<UInt8> = []
        var offset = payload.lowerBound
        while offset < payload.upperBound {
            let precision = bytes[offset] >> 4, id = bytes[offset] & 0x0F
            guard precision <= 1, id <= 3 else { throw .malformed("JPEG quantisation table is invalid") }
            let size = 1 + 64 * (Int(precision) + 1)
            guard size <= payload.upperBound - offset else { throw .malformed("JPEG quantisation table is truncated") }
            defined.insert(id)
            offset += size
        }
        return defined
    }

    /// DHT: one or more tables, each a class/number byte, 16 code-length counts, then the values.
    private static func checkHuffmanTables(_ bytes: [UInt8], _ payload: Range<Int>) throws(LogoImageRefusal) {
        var offset = payload.lowerBound
        while offset < payload.upperBound {
            guard payload.upperBound - offset >= 17 else { throw .malformed("JPEG Huffman table is truncated") }
            guard bytes[offset] >> 4 <= 1, bytes[offset] & 0x0F <= 3 else { throw .malformed("JPEG Huffman table is invalid") }
            let valueCount = bytes[offset + 1 ... offset + 16].reduce(0) { $0 + Int($1) }
            guard valueCount <= 256, valueCount <= payload.upperBound - offset - 17 else {
                throw .malformed("JPEG Huffman table is truncated")
            }
            offset += 17 + valueCount
        }
    }

    /// A JFIF APP0 segment (length included) with its thumbnail removed: a thumbnail can show the
    /// picture before it was cropped. Nil for other APP0 segments (JFXX thumbnails, AVI1, …).
    private static func jfifWithoutThumbnail(_ bytes: [UInt8], _ payload: Range<Int>) -> [UInt8]? {
        // "JFIF\0", version (2), density units (1), X and Y density (2 each), thumbnail size (2).
        guard payload.count >= 14, bytes[payload].starts(with: [0x4A, 0x46, 0x49, 0x46, 0x00]) else { return nil }
        return [0x00, 0x10] + bytes[payload.lowerBound ..< payload.lowerBound + 12] + [0, 0]
    }
}

// MARK: - Bytes

/// CRC-32 as PNG uses it (IEEE 802.3, reflected, polynomial 0xEDB88320), one table lookup a byte.
private enum CRC32 {
    static let table: [UInt32] = (0 ..< 256).map { index in
        var value = UInt32(index)
        for _ in 0 ..< 8 {
            value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
        }
        return value
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }
}

extension [UInt8] {
    /// Nil when the two bytes at `offset` are not all inside the array.
    fileprivate func bigEndianUInt16(at offset: Int) -> Int? {
        guard offset >= 0, offset + 2 <= count else { return nil }
        return Int(self[offset]) << 8 | Int(self[offset + 1])
    }

    /// Nil when the four bytes at `offset` are not all inside the array.
    fileprivate func bigEndianUInt32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= count else { return nil }
        return UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }

    /// Appends a marker and the segment (length bytes and payload) copied from `source`.
    fileprivate mutating func append(segment: Range<Int>, of source: [UInt8], marker: UInt8) {
        append(contentsOf: [0xFF, marker])
        append(contentsOf: source[segment])
    }
}
