import SwitchboardJobs
import XCTest

final class WebhookURLTests: XCTestCase {
    func testAcceptsAndNormalises() throws {
        let url = try WebhookURL(validating: "https://Hooks.Example.COM/Reseller/Hook?a=1&b=%20", allowsPlainHTTP: false)
        XCTAssertEqual(try WebhookURL(validating: "https://h.example/~a/b;c=d?e=f:g@h&i=j+k,(l)!*'$", allowsPlainHTTP: false).pathAndQuery,
                       "/~a/b;c=d?e=f:g@h&i=j+k,(l)!*'$")
        XCTAssertEqual(url.scheme, "https")
        XCTAssertEqual(url.host, "hooks.example.com")
        XCTAssertEqual(url.port, 443)
        XCTAssertEqual(url.pathAndQuery, "/Reseller/Hook?a=1&b=%20")
        XCTAssertEqual(url.hostHeader, "hooks.example.com")
        XCTAssertFalse(url.hostIsIPAddress)

        XCTAssertEqual(try WebhookURL(validating: "https://example.com", allowsPlainHTTP: false).pathAndQuery, "/")
        XCTAssertEqual(try WebhookURL(validating: "https://example.com?x=1", allowsPlainHTTP: false).pathAndQuery, "/?x=1")

        let withPort = try WebhookURL(validating: "HTTPS://example.com:8443/x", allowsPlainHTTP: false)
        XCTAssertEqual(withPort.scheme, "https")
        XCTAssertEqual(withPort.port, 8443)
        XCTAssertEqual(withPort.hostHeader, "example.com:8443")

        let v6 = try WebhookURL(validating: "https://[2001:DB8::1]:8443/x", allowsPlainHTTP: false)
        XCTAssertEqual(v6.host, "2001:db8::1")
        XCTAssertEqual(v6.port, 8443)
        XCTAssertTrue(v6.hostIsIPAddress)
        XCTAssertEqual(v6.hostHeader, "[2001:db8::1]:8443")

        let plain = try WebhookURL(validating: "http://127.0.0.1:8080/in", allowsPlainHTTP: true)
        XCTAssertEqual(plain, try WebhookURL(validating: "http://127.0.0.1:8080/in", allowsPlainHTTP: true))
        XCTAssertEqual(plain.scheme, "http")
        XCTAssertEqual(plain.port, 8080)
        XCTAssertEqual(plain.hostHeader, "127.0.0.1:8080")
        XCTAssertTrue(plain.hostIsIPAddress)
        XCTAssertEqual(try WebhookURL(validating: "http://example.com/", allowsPlainHTTP: true).port, 80)
        // Internal literals pass here: the address policy refuses them at delivery, after resolution.
        XCTAssertEqual(try WebhookURL(validating: "https://10.0.0.1/", allowsPlainHTTP: false).host, "10.0.0.1")
    }

    func testLengthLimitIs2048Bytes() throws {
        let prefix = "https://example.com/"
        let exact = prefix + String(repeating: "a", count: 2048 - prefix.utf8.count)
        XCTAssertEqual(try WebhookURL(validating: exact, allowsPlainHTTP: false).pathAndQuery.utf8.count, 2048 - 19)
        assertRefused(exact + "a", .tooLong(limit: 2048))
    }

    func testRefusals() {
        let cases: [(String, WebhookURLRefusal)] = [
            ("http://example.com/hook", .plainHTTPNotAllowed),
            ("ftp://example.com/hook", .unsupportedScheme("ftp")),
            ("javascript://example.com/%0aalert(1)", .unsupportedScheme("javascript")),
            ("https://user:pw@example.com/", .credentials),
            ("https://user@example.com/", .credentials),
            ("https://example.com@169.254.169.254/", .credentials),
            ("https://:pw@example.com/", .credentials),
            ("https://example.com/hook#section", .fragment),
            ("https://example.com#", .fragment),
            ("https:///hook", .missingHost),
            ("https://", .missingHost),
            ("https://:443/", .missingHost),
            ("https://?x=1", .missingHost),
            ("example.com/hook", .notAbsolute),
            ("/hook", .notAbsolute),
            ("", .notAbsolute),
            ("mailto:ops@example.com", .notAbsolute),
            ("https://example.com:0/", .invalidPort),
            ("https://example.com:65536/", .invalidPort),
            ("https://example.com:99999999999999999999/", .invalidPort),
            ("https://example.com:abc/", .invalidPort),
            ("https://example.com:/", .invalidPort),
            ("https://example.com:443:443/", .invalidPort),
            ("https://example.com:+443/", .invalidPort),
            ("https://example.com/\n", .invalidCharacters),
            ("https://example.com/a\r\nHost: evil", .invalidCharacters),
            ("https://example.com/a b", .invalidCharacters),
            ("https://exa\tmple.com/", .invalidCharacters),
            ("https://example.com/\u{0}", .invalidCharacters),
            ("https://example.com/\u{7f}", .invalidCharacters),
            ("https://exämple.com/", .invalidCharacters),
            (" https://example.com/", .invalidCharacters),
            ("https:\\\\example.com\\hook", .invalidCharacters),
            ("https://example.com\\@evil.com/", .invalidCharacters),
            ("https://2130706433/", .numericHostNotDottedQuad),
            ("https://127.1/", .numericHostNotDottedQuad),
            ("https://0x7f.0.0.1/", .numericHostNotDottedQuad),
            ("https://0177.0.0.1/", .numericHostNotDottedQuad),
            ("https://1.2.3.4.5/", .numericHostNotDottedQuad),
            ("https://[::1%25eth0]/", .invalidHost),
            ("https://[zz::1]/", .invalidHost),
            ("https://[127.0.0.1]/", .invalidHost),
            ("https://[::1]x/", .invalidHost),
            ("https://[::1/", .invalidHost),
            ("https://exa%6dple.com/", .invalidHost),
            ("https://example..com/", .invalidHost),
            ("https://.example.com/", .invalidHost),
            ("https://exa*mple.com/", .invalidHost),
            ("https://example.com/%zz", .invalidPercentEncoding),
            ("https://example.com/a%2", .invalidPercentEncoding),
            ("https://example.com/?q=100%", .invalidPercentEncoding),
            ("https://example.com/a{b}", .invalidCharacters),
            ("https://example.com/a|b", .invalidCharacters),
            ("https://example.com/\"quoted\"", .invalidCharacters),
            ("https://example.com/<script>", .invalidCharacters),
            ("https://example.com/?a[]=1", .invalidCharacters),
        ]
        for (text, refusal) in cases {
            assertRefused(text, refusal, allowsPlainHTTP: refusal != .plainHTTPNotAllowed)
        }
    }

    func testRefusalMessagesTellWhatToFix() {
        XCTAssertEqual(WebhookURLRefusal.plainHTTPNotAllowed.message, "Plain http:// webhook URLs are not accepted; use https://.")
        XCTAssertTrue(WebhookURLRefusal.credentials.message.contains("remove it"))
        XCTAssertTrue(WebhookURLRefusal.tooLong(limit: 2048).message.contains("2048 bytes"))
        XCTAssertTrue(WebhookURLRefusal.unsupportedScheme("ftp").message.contains("\"ftp\""))
    }

    private func assertRefused(_ text: String, _ expected: WebhookURLRefusal, allowsPlainHTTP: Bool = true,
                               file: StaticString = #filePath, line: UInt = #line) {
        do {
            let url = try WebhookURL(validating: text, allowsPlainHTTP: allowsPlainHTTP)
            XCTFail("accepted \(text.debugDescription) as \(url)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, text.debugDescription, file: file, line: line)
        }
    }
}
