import Foundation
import SwitchboardJobs
import XCTest

final class WebhookSignatureTests: XCTestCase {
    private let secret = Array("whsec_test".utf8)
    private let body = Array(#"{"event":"ping"}"#.utf8)
    private let signedAt = Date(timeIntervalSince1970: 1_700_000_000.75)

    func testHeaderMatchesAnIndependentHMAC() {
        // python3: hmac.new(b'whsec_test', b'1700000000.{"event":"ping"}', hashlib.sha256).hexdigest()
        XCTAssertEqual(
            WebhookSignature.header(body: body, secret: secret, at: signedAt),
            "t=1700000000,v1=aa8efe37b751e71157c508c5ac4acb1e9fe5225db98355dfc00f4b680afbc447"
        )
    }

    func testRoundTripAndTampering() {
        let header = WebhookSignature.header(body: body, secret: secret, at: signedAt)
        XCTAssertTrue(WebhookSignature.verify(header: header, body: body, secret: secret, now: signedAt))
        XCTAssertFalse(WebhookSignature.verify(header: header, body: Array(#"{"event":"pong"}"#.utf8), secret: secret, now: signedAt))
        XCTAssertFalse(WebhookSignature.verify(header: header, body: body + [0x20], secret: secret, now: signedAt))
        XCTAssertFalse(WebhookSignature.verify(header: header, body: body, secret: Array("whsec_other".utf8), now: signedAt))
        let otherTime = header.replacingOccurrences(of: "t=1700000000", with: "t=1700000001")
        XCTAssertFalse(WebhookSignature.verify(header: otherTime, body: body, secret: secret, now: signedAt))
    }

    func testTimestampTolerance() {
        let header = WebhookSignature.header(body: body, secret: secret, at: signedAt)
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        XCTAssertTrue(WebhookSignature.verify(header: header, body: body, secret: secret, now: t.addingTimeInterval(300)))
        XCTAssertFalse(WebhookSignature.verify(header: header, body: body, secret: secret, now: t.addingTimeInterval(300.5)))
        XCTAssertFalse(WebhookSignature.verify(header: header, body: body, secret: secret, now: t.addingTimeInterval(3600)))
        XCTAssertTrue(WebhookSignature.verify(header: header, body: body, secret: secret, now: t.addingTimeInterval(-300)))
        XCTAssertFalse(WebhookSignature.verify(header: header, body: body, secret: secret, now: t.addingTimeInterval(-301)))
        XCTAssertTrue(WebhookSignature.verify(header: header, body: body, secret: secret, now: t.addingTimeInterval(50), tolerance: 60))
        XCTAssertFalse(WebhookSignature.verify(header: header, body: body, secret: secret, now: t.addingTimeInterval(61), tolerance: 60))
    }

    func testMalformedHeadersAreFalse() {
        let mac = "aa8efe37b751e71157c508c5ac4acb1e9fe5225db98355dfc00f4b680afbc447"
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        for header in [
            "", "t=1700000000", "v1=\(mac)", "t=abc,v1=\(mac)", "t=-1700000000,v1=\(mac)", "t=1700000000,v1=\(mac.uppercased())",
            "t=1700000000,v1=\(mac.dropLast())", "t=1700000000,v1=\(mac)00", "t=1700000000,v1=zz\(mac.dropFirst(2))",
            "t=1700000000,t=1700000000,v1=\(mac)", "t=1700000000;v1=\(mac)", "t=1700000000,,v1=\(mac)", "t= 1700000000,v1=\(mac)",
            "t=99999999999999999999999,v1=\(mac)",
        ] {
            XCTAssertFalse(WebhookSignature.verify(header: header, body: body, secret: secret, now: now), header)
        }
        // The well-formed variants: extra fields are ignored, and any v1 may match (secret rotation).
        XCTAssertTrue(WebhookSignature.verify(header: "t=1700000000,v1=\(mac)", body: body, secret: secret, now: now))
        XCTAssertTrue(WebhookSignature.verify(header: "t=1700000000,v0=x,v1=\(String(repeating: "0", count: 64)),v1=\(mac)",
                                              body: body, secret: secret, now: now))
        XCTAssertEqual(WebhookSignature.headerName, "Switchboard-Signature")
    }
}
