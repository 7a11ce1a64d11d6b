import Foundation
@testable import SwitchboardAPI
import SwitchboardDomain
import XCTest

/// The rules under brands and the portal: colour contrast, hostnames, and texts in both languages.
final class BrandingDomainTests: XCTestCase {
    func testContrastFollowsWCAG() {
        XCTAssertEqual(BrandColor.white.contrast(with: .black), 21, accuracy: 0.01)
        XCTAssertEqual(BrandColor(hex: "#777777")!.contrast(with: .white), 4.48, accuracy: 0.01)
        XCTAssertEqual(BrandColor(hex: "#0B5FFF")?.description, "#0b5fff")
        for bad in ["#fff", "0b5fff", "#0b5fffaa", "#0b5fgf", "", "#٠٠٠٠٠٠"] {
            XCTAssertNil(BrandColor(hex: bad), bad)
        }
    }

    /// Whatever two colours a reseller picks, every text the portal paints reaches 4.5:1.
    func testEveryPaletteIsReadable() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let primary = BrandColor(red: .random(in: 0...255, using: &generator), green: .random(in: 0...255, using: &generator), blue: .random(in: 0...255, using: &generator))
            let accent = BrandColor(red: .random(in: 0...255, using: &generator), green: .random(in: 0...255, using: &generator), blue: .random(in: 0...255, using: &generator))
            let palette = BrandPalette(primary: primary, accent: accent)
            XCTAssertGreaterThanOrEqual(palette.textOnPrimary.contrast(with: primary), 4.5, "\(primary)")
            XCTAssertGreaterThanOrEqual(palette.textOnAccent.contrast(with: accent), 4.5, "\(accent)")
            XCTAssertGreaterThanOrEqual(palette.link.contrast(with: .white), 4.5, "\(accent)")
            if accent.contrast(with: .white) >= 4.5 { XCTAssertEqual(palette.link, accent, "a readable accent is used as it is") }
        }
    }

    func testHostnames() {
        XCTAssertEqual(Hostname("Portal.Example.COM.")?.value, "portal.example.com")
        XCTAssertEqual(Hostname(hostHeader: "portal.example.com:8443")?.value, "portal.example.com")
        XCTAssertEqual(Hostname("xn--blge-ira.dk")?.value, "xn--blge-ira.dk")
        for bad in ["localhost", "10.0.0.1", "portal.example.com:80", "-a.example.com", "a-.example.com", "a..example.com", "a_b.example.com",
                    "bølge.dk", String(repeating: "a", count: 64) + ".com", "", ".", "example.123"] {
            XCTAssertNil(Hostname(bad), bad)
        }
        XCTAssertNil(Hostname(hostHeader: "[::1]:8080"))
        XCTAssertEqual(Hostname("a.example.com")?.verificationRecordName, "_portal-verification.a.example.com")
    }

    /// Every text key a template or the code uses exists in both languages, and the languages agree.
    func testDanishAndEnglishTextsCoverEveryKey() throws {
        let texts = try PortalTexts.bundled()
        let danish = texts.texts(.danish), english = texts.texts(.english)
        XCTAssertEqual(Set(danish.keys), Set(english.keys))
        XCTAssertGreaterThan(danish.count, 100)
        let templates = try PortalResources.directory("Templates")
        var used = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) {
            let text = try String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8)
            let pattern = try NSRegularExpression(pattern: #"\{\{(?:t|da|en)\.([a-z_]+)\}\}"#)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                used.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        XCTAssertGreaterThan(used.count, 50)
        XCTAssertEqual(used.subtracting(english.keys), [], "keys the templates use that the texts lack")
        for (language, texts) in [("da", danish), ("en", english)] {
            XCTAssertEqual(texts.filter { $0.value.trimmingCharacters(in: .whitespaces).isEmpty }.map(\.key), [], "\(language): empty texts")
        }
    }
}
