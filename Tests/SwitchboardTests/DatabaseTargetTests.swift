import Foundation
import NIOSSL
@testable import SwitchboardStore
import XCTest

/// `DATABASE_URL`'s `sslmode` means what it means to libpq: only `verify-ca` and `verify-full`
/// check the server's certificate, so a Citus cluster's self-signed certificates pass `prefer`
/// and `require`; `sslrootcert` names the authorities and makes `require` check the chain.
final class DatabaseTargetTests: XCTestCase {
    private func target(_ query: String) throws -> DatabaseTarget {
        try DatabaseTarget(url: "postgres://admin:secret@db.example:5432/switchboard\(query)")
    }

    func testEachSSLModeHasLibpqsMeaning() throws {
        let expected: [(String, CertificateVerification?, Bool)] = [
            ("disable", nil, false),
            ("allow", CertificateVerification.none, true),
            ("prefer", CertificateVerification.none, true),
            ("require", CertificateVerification.none, false),
            ("verify-ca", .noHostnameVerification, false),
            ("verify-full", .fullVerification, false),
        ]
        for (mode, verification, plaintextAccepted) in expected {
            let parsed = try target("?sslmode=\(mode)")
            XCTAssertEqual(parsed.tls.rawValue, mode)
            XCTAssertEqual(parsed.tlsConfiguration()?.certificateVerification, verification, mode)
            XCTAssertEqual(parsed.acceptsPlaintext, plaintextAccepted, mode)
        }
        XCTAssertEqual(try target("").tls, .prefer, "libpq's default")
        XCTAssertEqual(try target("").tlsConfiguration()?.certificateVerification, CertificateVerification.none)
    }

    func testARootCertificateMakesRequireVerifyTheChain() throws {
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("ca-\(UUID().uuidString.prefix(6)).pem")
        try Data("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let require = try target("?sslmode=require&sslrootcert=\(file.path)")
        XCTAssertEqual(require.rootCertificatePath, file.path)
        XCTAssertEqual(require.tlsConfiguration()?.certificateVerification, .noHostnameVerification)
        XCTAssertEqual(require.tlsConfiguration()?.trustRoots, .file(file.path))
        XCTAssertNil(try target("?sslmode=verify-full&sslrootcert=system").rootCertificatePath)
    }

    func testUnknownModesAndMissingRootCertificatesAreRefusedClearly() {
        XCTAssertThrowsError(try target("?sslmode=verify")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("verify") && text.contains("verify-full") && text.contains("allow"), text)
        }
        XCTAssertThrowsError(try target("?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/ca.pem"), "\(error)")
        }
    }
}
