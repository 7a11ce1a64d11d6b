import Foundation
import SwitchboardDomain
import XCTest

/// `LogoImage.validate` on real files made with Pillow (embedded below as base64) and on
/// copies of them broken one way at a time.
final class LogoImageTests: XCTestCase {
    // MARK: Accepted, and what is kept or stripped

    func testPNGIsAcceptedWithItsFormatAndDimensions() throws {
        let logo = try LogoImage.validate(LogoSamples.plainPNG, declaredType: "image/png")
        XCTAssertEqual(logo.format, .png)
        XCTAssertEqual(logo.mediaType, "image/png")
        XCTAssertEqual(logo.width, 2)
        XCTAssertEqual(logo.height, 2)
        XCTAssertEqual(logo.bytes, LogoSamples.plainPNG, "nothing to strip: the file comes back as it was")
    }

    func testDeclaredTypeMayBeAbsent() throws {
        XCTAssertEqual(try LogoImage.validate(LogoSamples.plainPNG, declaredType: nil).format, .png)
        XCTAssertEqual(try LogoImage.validate(LogoSamples.exifJPEG, declaredType: nil).format, .jpeg)
    }

    func testPNGTextChunkIsStrippedAndTheResultStillValidates() throws {
        XCTAssertTrue(contains(LogoSamples.textPNG, "GPS secret"), "the sample carries the marker")
        XCTAssertEqual(pngChunkTypes(LogoSamples.textPNG), ["IHDR", "gAMA", "tEXt", "IDAT", "IEND"])

        let logo = try LogoImage.validate(LogoSamples.textPNG, declaredType: "image/png")
        XCTAssertFalse(contains(logo.bytes, "GPS secret"))
        XCTAssertEqual(pngChunkTypes(logo.bytes), ["IHDR", "gAMA", "IDAT", "IEND"], "colour management kept, text dropped")
        XCTAssertEqual([logo.width, logo.height], [2, 2])

        let again = try LogoImage.validate(logo.bytes, declaredType: "image/png")
        XCTAssertEqual(again, logo, "the sanitised file is a valid PNG with nothing left to strip")
    }

    func testPalettePNGKeepsItsPaletteAndTransparency() throws {
        let logo = try LogoImage.validate(LogoSamples.palettePNG, declaredType: nil)
        XCTAssertEqual(pngChunkTypes(logo.bytes), ["IHDR", "PLTE", "tRNS", "IDAT", "IEND"])
        XCTAssertEqual([logo.width, logo.height], [3, 2])
    }

    func testUnknownAncillaryPNGChunkIsDropped() throws {
        let withPrivate = insertingPNGChunk(type: "prVt", data: Array("serial 12345".utf8), into: LogoSamples.plainPNG)
        let logo = try LogoImage.validate(withPrivate, declaredType: nil)
        XCTAssertEqual(logo.bytes, LogoSamples.plainPNG)
    }

    func testJPEGExifAndCommentAreStrippedAndTheResultStillValidates() throws {
        for marker in ["GPS secret", "Jane Photographer", "COM secret"] {
            XCTAssertTrue(contains(LogoSamples.exifJPEG, marker), "the sample carries \(marker)")
        }
        XCTAssertTrue(jpegMarkers(LogoSamples.exifJPEG).contains(0xE1))

        let logo = try LogoImage.validate(LogoSamples.exifJPEG, declaredType: "image/jpeg")
        for marker in ["GPS secret", "Jane Photographer", "COM secret", "Exif"] {
            XCTAssertFalse(contains(logo.bytes, marker), marker)
        }
        XCTAssertEqual(jpegMarkers(logo.bytes), [0xE0, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA, 0xD9], "JFIF, tables, frame and scan kept")
        XCTAssertEqual(logo.format, .jpeg)
        XCTAssertEqual(logo.mediaType, "image/jpeg")
        XCTAssertEqual([logo.width, logo.height], [2, 2])

        let again = try LogoImage.validate(logo.bytes, declaredType: "image/jpeg")
        XCTAssertEqual(again, logo, "the sanitised file is a valid JPEG with nothing left to strip")
    }

    func testJFIFThumbnailIsRemoved() throws {
        // A JFIF APP0 announcing a 1×1 thumbnail (3 bytes of RGB) in place of the plain one.
        var withThumbnail = LogoSamples.progressiveJPEG
        XCTAssertEqual(Array(withThumbnail[2 ..< 6]), [0xFF, 0xE0, 0x00, 0x10])
        withThumbnail.replaceSubrange(4 ..< 6, with: [0x00, 0x13])
        withThumbnail.replaceSubrange(18 ..< 20, with: [0x01, 0x01, 0xAB, 0xCD, 0xEF])
        let logo = try LogoImage.validate(withThumbnail, declaredType: nil)
        XCTAssertEqual(logo.bytes, LogoSamples.progressiveJPEG)
    }

    func testProgressiveJPEGIsAccepted() throws {
        XCTAssertGreaterThan(jpegMarkers(LogoSamples.progressiveJPEG).filter { $0 == 0xDA }.count, 1, "several scans")
        XCTAssertTrue(jpegMarkers(LogoSamples.progressiveJPEG).contains(0xC2))
        let logo = try LogoImage.validate(LogoSamples.progressiveJPEG, declaredType: "image/jpeg")
        XCTAssertEqual([logo.width, logo.height], [16, 16])
        XCTAssertEqual(logo.bytes, LogoSamples.progressiveJPEG, "nothing to strip")
    }

    func testAdobeSegmentOfAFourComponentJPEGIsKept() throws {
        let logo = try LogoImage.validate(LogoSamples.adobeCMYKJPEG, declaredType: nil)
        XCTAssertEqual(jpegMarkers(logo.bytes).first, 0xEE)
        XCTAssertEqual(logo.bytes, LogoSamples.adobeCMYKJPEG)
    }

    // MARK: Refused formats and types

    func testSVGIsRefusedAsUnsupported() {
        let svg = #"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#
        XCTAssertEqual(refusal(Array(svg.utf8), declaredType: "image/svg+xml"), .unsupportedFormat)
        XCTAssertEqual(refusal(Array(svg.utf8), declaredType: "image/png"), .unsupportedFormat, "the declared type is not trusted")
        XCTAssertEqual(refusal(Array(("<?xml version=\"1.0\"?>\n" + svg).utf8), declaredType: nil), .unsupportedFormat)
    }

    func testGIFAndWebPAreRefusedAsUnsupported() {
        XCTAssertEqual(refusal(LogoSamples.gif, declaredType: "image/gif"), .unsupportedFormat)
        XCTAssertEqual(refusal(LogoSamples.gif, declaredType: "image/png"), .unsupportedFormat)
        XCTAssertEqual(refusal(LogoSamples.webp, declaredType: nil), .unsupportedFormat)
    }

    func testAnimatedPNGIsRefusedAsUnsupported() {
        // acTL: frame count 1, play count 0.
        let animated = insertingPNGChunk(type: "acTL", data: [0, 0, 0, 1, 0, 0, 0, 0], into: LogoSamples.plainPNG)
        XCTAssertEqual(refusal(animated), .unsupportedFormat)
    }

    func testLosslessJPEGIsRefusedAsUnsupported() throws {
        var lossless = LogoSamples.exifJPEG
        let frame = try XCTUnwrap(markerOffset(0xC0, in: lossless))
        lossless[frame + 1] = 0xC3
        XCTAssertEqual(refusal(lossless), .unsupportedFormat)
    }

    func testDeclaredTypeThatDisagreesWithTheBytesIsRefused() {
        XCTAssertEqual(refusal(LogoSamples.exifJPEG, declaredType: "image/png"), .typeMismatch(declared: "image/png", detected: "image/jpeg"))
        XCTAssertEqual(refusal(LogoSamples.plainPNG, declaredType: "image/jpeg"), .typeMismatch(declared: "image/jpeg", detected: "image/png"))
        XCTAssertEqual(refusal(LogoSamples.plainPNG, declaredType: "image/gif"), .typeMismatch(declared: "image/gif", detected: "image/png"))
    }

    // MARK: Refused structure

    func testCorruptedPNGChunkCRCIsRefused() throws {
        var corrupted = LogoSamples.plainPNG
        let imageData = try XCTUnwrap(pngChunkOffset("IDAT", in: corrupted))
        corrupted[imageData + 8] ^= 0x01
        XCTAssertEqual(refusal(corrupted), .malformed("PNG chunk CRC mismatch"))
    }

    func testTruncatedPNGIsRefused() {
        XCTAssertEqual(refusal(Array(LogoSamples.plainPNG.dropLast(12))), .malformed("PNG ends without IEND"), "IEND missing")
        XCTAssertEqual(refusal(Array(LogoSamples.plainPNG.dropLast(20))), .malformed("PNG chunk is truncated"), "cut inside IDAT")
        XCTAssertEqual(refusal(Array(LogoSamples.plainPNG.prefix(8))), .malformed("PNG chunk is truncated"), "signature only")
    }

    func testBytesAfterPNGIENDAreRefused() {
        XCTAssertEqual(refusal(LogoSamples.plainPNG + [0x00]), .malformed("PNG has data after IEND"))
        XCTAssertEqual(refusal(LogoSamples.plainPNG + Array("<?php echo 1; ?>".utf8)), .malformed("PNG has data after IEND"))
    }

    func testTruncatedJPEGIsRefused() {
        XCTAssertEqual(refusal(Array(LogoSamples.exifJPEG.dropLast(2))), .malformed("JPEG scan data ends without EOI"))
        XCTAssertEqual(refusal(Array(LogoSamples.exifJPEG.prefix(100))), .malformed("JPEG segment length exceeds the file"))
    }

    func testBytesAfterJPEGEOIAreRefused() {
        XCTAssertEqual(refusal(LogoSamples.exifJPEG + [0x00]), .malformed("JPEG has data after EOI"))
        XCTAssertEqual(refusal(LogoSamples.progressiveJPEG + LogoSamples.plainPNG), .malformed("JPEG has data after EOI"))
    }

    func testUnknownCriticalPNGChunkIsRefused() {
        let unknown = insertingPNGChunk(type: "ABCD", data: [1, 2, 3], into: LogoSamples.plainPNG)
        XCTAssertEqual(refusal(unknown), .malformed("PNG has an unknown critical chunk ABCD"))
    }

    func testPaletteImageWithoutPLTEIsRefused() throws {
        var missingPalette = LogoSamples.palettePNG
        let palette = try XCTUnwrap(pngChunkOffset("PLTE", in: missingPalette))
        missingPalette.removeSubrange(palette ..< palette + 12 + 9)
        XCTAssertEqual(refusal(missingPalette), .malformed("PNG palette image has no PLTE"))
    }

    // MARK: Refused sizes

    func testPNGWiderThanTheLimitIsRefused() {
        let wide = replacingIHDR(of: LogoSamples.plainPNG, width: 5000, height: 2)
        XCTAssertEqual(refusal(wide), .dimensionsOutOfRange(width: 5000, height: 2, limit: 2048))
        let empty = replacingIHDR(of: LogoSamples.plainPNG, width: 2, height: 0)
        XCTAssertEqual(refusal(empty), .dimensionsOutOfRange(width: 2, height: 0, limit: 2048))
    }

    func testJPEGTallerThanTheLimitIsRefused() throws {
        var tall = LogoSamples.exifJPEG
        let frame = try XCTUnwrap(markerOffset(0xC0, in: tall))
        tall.replaceSubrange(frame + 5 ..< frame + 7, with: [0x13, 0x88])  // height 5000
        XCTAssertEqual(refusal(tall), .dimensionsOutOfRange(width: 2, height: 5000, limit: 2048))
    }

    func testFileOverTheByteLimitIsRefused() {
        let oversized = LogoSamples.plainPNG + [UInt8](repeating: 0, count: LogoImage.maxBytes + 1 - LogoSamples.plainPNG.count)
        XCTAssertEqual(refusal(oversized), .tooLarge(limit: LogoImage.maxBytes))
        let atTheLimit = Array(oversized.dropLast())
        XCTAssertEqual(refusal(atTheLimit), .malformed("PNG has data after IEND"), "exactly maxBytes is not too large")
    }

    func testEmptyFileIsRefused() {
        XCTAssertEqual(refusal([], declaredType: "image/png"), .empty)
    }

    // MARK: Refusal wording

    func testRefusalsHaveRulesAndSentences() {
        let refusals: [(LogoImageRefusal, String)] = [
            (.empty, "empty"),
            (.tooLarge(limit: LogoImage.maxBytes), "too-large"),
            (.unsupportedFormat, "unsupported-format"),
            (.typeMismatch(declared: "image/png", detected: "image/jpeg"), "type-mismatch"),
            (.malformed("PNG chunk CRC mismatch"), "malformed-image"),
            (.dimensionsOutOfRange(width: 5000, height: 2, limit: 2048), "dimensions"),
        ]
        for (refusal, rule) in refusals {
            XCTAssertEqual(refusal.rule, rule)
            XCTAssertTrue(refusal.message.hasPrefix("The logo"), refusal.message)
            XCTAssertTrue(refusal.message.hasSuffix("."), refusal.message)
        }
        XCTAssertEqual(LogoImageRefusal.tooLarge(limit: 256 * 1024).message, "The logo must be at most 256 KiB.")
        XCTAssertTrue(LogoImageRefusal.unsupportedFormat.message.contains("SVG"))
        XCTAssertTrue(LogoImageRefusal.dimensionsOutOfRange(width: 5000, height: 2, limit: 2048).message.contains("5000×2"))
        XCTAssertTrue(LogoImageRefusal.malformed("PNG chunk CRC mismatch").message.contains("PNG chunk CRC mismatch"))
    }

    func testLongDeclaredTypeIsShortenedInTheRefusal() {
        let declared = "image/" + String(repeating: "x", count: 10_000)
        guard case .typeMismatch(let echoed, _)? = refusal(LogoSamples.plainPNG, declaredType: declared) else {
            return XCTFail("expected a type mismatch")
        }
        XCTAssertEqual(echoed.count, 80)
    }

    // MARK: Robustness

    /// Thousands of damaged copies of the samples (bytes changed, inserted, removed, cut, spliced
    /// between files, PNG chunks changed with their CRC fixed): none may trap, and whatever is
    /// accepted must come back unchanged when validated again.
    func testDamagedFilesNeverCrashAndAcceptedOnesAreStable() {
        var random = SplitMix64(seed: 20_251_202)
        let seeds = [LogoSamples.plainPNG, LogoSamples.textPNG, LogoSamples.palettePNG, LogoSamples.exifJPEG, LogoSamples.progressiveJPEG, LogoSamples.adobeCMYKJPEG]
        var accepted = 0
        for _ in 0 ..< 5000 {
            var bytes = seeds[random.below(seeds.count)]
            for _ in 0 ... random.below(3) {
                switch random.below(6) {
                case 0: if !bytes.isEmpty { bytes[random.below(bytes.count)] = random.byte() }
                case 1: bytes.insert(random.byte(), at: random.below(bytes.count + 1))
                case 2: if !bytes.isEmpty { bytes.remove(at: random.below(bytes.count)) }
                case 3: bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
                case 4:
                    let other = seeds[random.below(seeds.count)]
                    let start = random.below(other.count)
                    bytes.insert(contentsOf: other[start ..< min(other.count, start + random.below(64))], at: random.below(bytes.count + 1))
                default: mutatePNGChunkKeepingItsCRC(&bytes, using: &random)
                }
            }
            do {
                let logo = try LogoImage.validate(bytes, declaredType: nil)
                accepted += 1
                XCTAssertEqual(try LogoImage.validate(logo.bytes, declaredType: logo.mediaType), logo)
            } catch {
                XCTAssertFalse(error.message.isEmpty)
            }
        }
        XCTAssertGreaterThan(accepted, 0, "some damage leaves a valid file (e.g. a changed pixel byte)")
    }
}

// MARK: - Helpers

private func refusal(_ bytes: [UInt8], declaredType: String? = nil) -> LogoImageRefusal? {
    do {
        _ = try LogoImage.validate(bytes, declaredType: declaredType)
        return nil
    } catch {
        return error
    }
}

private func contains(_ bytes: [UInt8], _ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard bytes.count >= needle.count else { return false }
    return (0 ... bytes.count - needle.count).contains { bytes[$0 ..< $0 + needle.count].elementsEqual(needle) }
}

/// Chunk offsets of a well-formed PNG (the test's own files).
private func pngChunks(_ png: [UInt8]) -> [(type: String, offset: Int)] {
    var chunks: [(type: String, offset: Int)] = []
    var offset = 8
    while offset + 12 <= png.count {
        let length = png[offset ..< offset + 4].reduce(0) { $0 << 8 | Int($1) }
        chunks.append((String(decoding: png[offset + 4 ..< offset + 8], as: UTF8.self), offset))
        offset += 12 + length
    }
    return chunks
}

private func pngChunkTypes(_ png: [UInt8]) -> [String] { pngChunks(png).map(\.type) }

private func pngChunkOffset(_ type: String, in png: [UInt8]) -> Int? { pngChunks(png).first { $0.type == type }?.offset }

/// A chunk with a correct CRC.
private func pngChunk(type: String, data: [UInt8]) -> [UInt8] {
    let typeAndData = Array(type.utf8) + data
    return bigEndian(UInt32(data.count)) + typeAndData + bigEndian(crc32(typeAndData))
}

/// `png` with a chunk inserted right after IHDR.
private func insertingPNGChunk(type: String, data: [UInt8], into png: [UInt8]) -> [UInt8] {
    var result = png
    result.insert(contentsOf: pngChunk(type: type, data: data), at: 8 + 25)
    return result
}

/// `png` with its IHDR (the first chunk) saying other dimensions, its CRC correct.
private func replacingIHDR(of png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
    let fields = bigEndian(width) + bigEndian(height) + Array(png[24 ..< 29])
    var result = png
    result.replaceSubrange(8 ..< 33, with: pngChunk(type: "IHDR", data: fields))
    return result
}

private func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

/// CRC-32 (IEEE), bit by bit: independent of the table the validator uses.
private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0 ..< 8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }
    return ~crc
}

/// Markers of a well-formed JPEG after SOI, in order, skipping entropy-coded data.
private func jpegMarkers(_ jpeg: [UInt8]) -> [UInt8] {
    var markers: [UInt8] = []
    var offset = 2
    while offset + 1 < jpeg.count {
        guard jpeg[offset] == 0xFF, jpeg[offset + 1] != 0x00, !(0xD0 ... 0xD7).contains(jpeg[offset + 1]) else {
            offset += 1
            continue
        }
        let marker = jpeg[offset + 1]
        markers.append(marker)
        if marker == 0xD9 || offset + 3 >= jpeg.count { break }
        offset += 2 + (Int(jpeg[offset + 2]) << 8 | Int(jpeg[offset + 3]))
    }
    return markers
}

/// Offset of a marker's FF in a well-formed JPEG's header segments.
private func markerOffset(_ marker: UInt8, in jpeg: [UInt8]) -> Int? {
    var offset = 2
    while offset + 3 < jpeg.count, jpeg[offset] == 0xFF {
        if jpeg[offset + 1] == marker { return offset }
        if jpeg[offset + 1] == 0xDA { return nil }
        offset += 2 + (Int(jpeg[offset + 2]) << 8 | Int(jpeg[offset + 3]))
    }
    return nil
}

/// Changes one byte inside a PNG chunk (header, type or data) and recomputes that chunk's CRC,
/// so the damage reaches past the checksum.
private func mutatePNGChunkKeepingItsCRC(_ bytes: inout [UInt8], using random: inout SplitMix64) {
    guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) else { return }
    var chunks: [(offset: Int, length: Int)] = []
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = bytes[offset ..< offset + 4].reduce(0) { $0 << 8 | Int($1) }
        guard length <= bytes.count - offset - 12 else { break }
        chunks.append((offset, length))
        offset += 12 + length
    }
    guard !chunks.isEmpty else { return }
    let chunk = chunks[random.below(chunks.count)]
    bytes[chunk.offset + 4 + random.below(chunk.length + 4)] = random.byte()
    let crc = crc32(Array(bytes[chunk.offset + 4 ..< chunk.offset + 8 + chunk.length]))
    bytes.replaceSubrange(chunk.offset + 8 + chunk.length ..< chunk.offset + 12 + chunk.length, with: bigEndian(crc))
}

/// A small deterministic generator, so a failure reproduces.
private struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}

// MARK: - Samples

/// Made with Pillow 13 (`Image.save`); see each comment for what the file carries.
enum LogoSamples {
    /// A 2×2 RGB PNG with nothing to strip (Pillow).
    static let plainPNG = decode(
        """
        iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DA8J+BkYHh////DAAe9gT9Ce00PgAAAABJ
        RU5ErkJggg==
        """
    )

    /// A 2×2 RGBA PNG with gAMA and a tEXt "Comment" holding "GPS secret 55.6761N 12.5683E".
    static let textPNG = decode(
        """
        iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAABGdBTUEAALGPC/xhBQAAACR0RVh0Q29tbWVudABHUFMgc2Vj
        cmV0IDU1LjY3NjFOIDEyLjU2ODNF7quh+gAAABpJREFUeJxj+M/A8J/hP0MDAwPDfwYuEbn/ADeABbhwTD1/AAAAAElFTkSu
        QmCC
        """
    )

    /// A 3×2 palette PNG with PLTE and tRNS.
    static let palettePNG = decode(
        """
        iVBORw0KGgoAAAANSUhEUgAAAAMAAAACAgMAAADgGo6JAAAACVBMVEX/AAAAAP8A/wCHDR4IAAAAAnRSTlP/AOW3MEoAAAAM
        SURBVHicY5BgmAAAANwAqWznwCMAAAAASUVORK5CYII=
        """
    )

    /// A 2×2 baseline JPEG: JFIF APP0, an EXIF APP1 with "GPS secret 55.6761N 12.5683E" and "Jane Photographer", and a COM "COM secret comment".
    static let exifJPEG = decode(
        """
        /9j/4AAQSkZJRgABAQAAAQABAAD/4QBeRXhpZgAATU0AKgAAAAgAAgEOAAIAAAAdAAAAJgE7AAIAAAASAAAARAAAAABHUFMg
        c2VjcmV0IDU1LjY3NjFOIDEyLjU2ODNFAABKYW5lIFBob3RvZ3JhcGhlcgD//gAUQ09NIHNlY3JldCBjb21tZW50/9sAQwAD
        AgIDAgIDAwMDBAMDBAUIBQUEBAUKBwcGCAwKDAwLCgsLDQ4SEA0OEQ4LCxAWEBETFBUVFQwPFxgWFBgSFBUU/9sAQwEDBAQF
        BAUJBQUJFA0LDRQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU/8AAEQgAAgACAwEi
        AAIRAQMRAf/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFB
        BhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0
        dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz
        9PX29/j5+v/EAB8BAAMBAQEBAQEBAQEAAAAAAAABAgMEBQYHCAkKC//EALURAAIBAgQEAwQHBQQEAAECdwABAgMRBAUhMQYS
        QVEHYXETIjKBCBRCkaGxwQkjM1LwFWJy0QoWJDThJfEXGBkaJicoKSo1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpz
        dHV2d3h5eoKDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uLj5OXm5+jp6vLz
        9PX29/j5+v/aAAwDAQACEQMRAD8A+6/2b/AfhrUv2ePhdd3fh3Sbq7uPC2lyzTz2MTySO1pEWZmK5JJJJJ65ooor8dx/+91v
        8UvzZ+BZn/v1f/HL82f/2Q==
        """
    )

    /// A 16×16 progressive JPEG (ten scans with DHT segments between them).
    static let progressiveJPEG = decode(
        """
        /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAUDBAQEAwUEBAQFBQUGBwwIBwcHBw8LCwkMEQ8SEhEPERETFhwXExQaFRERGCEY
        Gh0dHx8fExciJCIeJBweHx7/2wBDAQUFBQcGBw4ICA4eFBEUHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4e
        Hh4eHh4eHh4eHh4eHh7/wgARCAAQABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAABgX/xAAUAQEAAAAAAAAAAAAA
        AAAAAAAA/9oADAMBAAIQAxAAAAEKlupT/8QAFRABAQAAAAAAAAAAAAAAAAAABAD/2gAIAQEAAQUCOSOSOSOS/8QAFxEBAAMA
        AAAAAAAAAAAAAAAABQAhMf/aAAgBAwEBPwEVrLn/xAAVEQEBAAAAAAAAAAAAAAAAAAADAP/aAAgBAgEBPwE0v//EABUQAQEA
        AAAAAAAAAAAAAAAAAAAx/9oACAEBAAY/AoiI/8QAFRABAQAAAAAAAAAAAAAAAAAAADH/2gAIAQEAAT8hmTJkz//aAAwDAQAC
        AAMAAAAQo//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQMBAT8QZ//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQIBAT8Q
        f//EABUQAQEAAAAAAAAAAAAAAAAAAADx/9oACAEBAAE/EIqamor/2Q==
        """
    )

    /// A 2×2 four-component (CMYK) JPEG with an Adobe APP14 segment.
    static let adobeCMYKJPEG = decode(
        """
        /9j/7gAOQWRvYmUAZAAAAAAA/9sAQwADAgIDAgIDAwMDBAMDBAUIBQUEBAUKBwcGCAwKDAwLCgsLDQ4SEA0OEQ4LCxAWEBET
        FBUVFQwPFxgWFBgSFBUU/8AAFAgAAgACBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//E
        ALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2
        Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrC
        w8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9U6ZX5VV+nFf/2Q==
        """
    )

    /// A 1×1 GIF.
    static let gif = decode(
        """
        R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==
        """
    )

    /// A 2×2 WebP.
    static let webp = decode(
        """
        UklGRjoAAABXRUJQVlA4IC4AAACQAQCdASoCAAIAAUAmJaQAAudZtgAA/vZ//5wOIS38q//7Rj88te91eiYeAAAA
        """
    )

    private static func decode(_ base64: String) -> [UInt8] {
        [UInt8](Data(base64Encoded: base64, options: .ignoreUnknownCharacters) ?? Data())
    }
}
