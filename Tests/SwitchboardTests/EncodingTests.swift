import Foundation
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

/// The hand-written formatters on every request's path agree with the Foundation ones they replace.
final class EncodingTests: XCTestCase {
    func testDatesEncodeLikeTheDefaultTranscoder() throws {
        let fast = RFC3339DateTranscoder(), reference = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        let samples = [0, -1, -0.5, -0.0004, 951_782_400, 1_700_000_000.999, 1_700_000_000.9996, 1_132_285_309.999713, 4_102_444_800, -12_219_292_800, -62_135_596_800, 253_402_300_799] +
            (0..<2000).map { _ in Double.random(in: -5_000_000_000...10_000_000_000, using: &generator) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(try fast.encode(date), reference.string(from: date), "\(seconds)")
        }
    }

    func testDatesDecodeWithFractionsAndOffsets() throws {
        let fast = RFC3339DateTranscoder()
        let whole = Date(timeIntervalSince1970: 1_795_248_939)
        XCTAssertEqual(try fast.decode("2026-11-21T08:15:39Z"), whole)
        XCTAssertEqual(try fast.decode("2026-11-21t08:15:39z"), whole)
        XCTAssertEqual(try fast.decode("2026-11-21T09:15:39+01:00"), whole)
        XCTAssertEqual(try fast.decode("2026-11-21T03:45:39-04:30"), whole)
        XCTAssertEqual(try fast.decode("2026-11-21T08:15:39.250Z").timeIntervalSince1970, 1_795_248_939.25, accuracy: 1e-6)
        XCTAssertEqual(try fast.decode("2026-11-21T10:15:39.5+02:00").timeIntervalSince1970, 1_795_248_939.5, accuracy: 1e-6)
        XCTAssertEqual(try fast.decode("2024-02-29T00:00:00Z"), Date(timeIntervalSince1970: 1_709_164_800))
        for malformed in ["", "2026-11-21", "2026-11-21T08:15:39", "2026-11-21T08:15:39.Z", "not a date"] {
            XCTAssertThrowsError(try fast.decode(malformed), malformed)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let date = Date(timeIntervalSince1970: Double(Int.random(in: -2_000_000_000...8_000_000_000, using: &generator)))
            XCTAssertEqual(try fast.decode(fast.encode(date)), date)
        }
    }

    func testCredentialHashIsLowerCaseHexOfSHA256() {
        XCTAssertEqual(Credentials.hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Credentials.hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testAPIStringIsTheLowerCasedUUID() {
        for id in (0..<1000).map({ _ in UUID() }) + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))] {
            XCTAssertEqual(id.apiString, id.uuidString.lowercased())
        }
    }
}
