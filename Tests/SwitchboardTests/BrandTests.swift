import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardDomain
import SwitchboardStore
import XCTest

/// Resellers' brands through the API: validation, readable colours, logos that carry nothing
/// but the picture, hostnames unique platform-wide and verified by DNS or by platform staff.
final class BrandTests: XCTestCase {
    func withWorld<T: Sendable>(resolver: StaticTXTResolver = StaticTXTResolver(), _ test: @Sendable (World, any TestClientProtocol, TestDatabase) async throws -> T) async throws -> T {
        let database = try await TestCluster.shared.migratedDatabase()
        return try await withTestApp(database, hostnameResolver: resolver) { client in
            try await test(try await World.build(client, database: database), client, database)
        }
    }

    static func settings(name: String = "Nordlys", primary: String = "#0b5fff", accent: String = "#ffcc00", language: String = "da",
                         hostnames: [String] = ["portal.nordlys.test"], extra: String = "") -> String {
        let list = hostnames.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"displayName":"\#(name)","primaryColor":"\#(primary)","accentColor":"\#(accent)","defaultLanguage":"\#(language)","hostnames":[\#(list)]\#(extra)}"#
    }

    func testABrandIsStoredAsGivenWithColoursThatStayReadable() async throws {
        try await withWorld { world, client, _ in
            let put = try await client.call(.put, "/v1/brand", token: world.resellerAKey,
                                            json: Self.settings(hostnames: ["Portal.Nordlys.TEST", "portal.nordlys.test", "second.nordlys.test."],
                                                                extra: #","supportEmail":"Help@Nordlys.test","supportPhone":"+4570000000","supportUrl":"https://nordlys.test/help""#))
            XCTAssertEqual(put.status, .ok, put.body)
            XCTAssertEqual(put.json["hostnames"] as? [String], ["portal.nordlys.test", "second.nordlys.test"], "lower-cased, without the root dot, once each")
            let read = try await client.call(.get, "/v1/brand", token: world.resellerAKey)
            XCTAssertEqual(read.json["displayName"] as? String, "Nordlys")
            XCTAssertEqual(read.json["supportUrl"] as? String, "https://nordlys.test/help")
            let derived = try XCTUnwrap(read.json["derivedColors"] as? [String: Any])
            // Yellow on white fails 4.5:1, so links use a darker shade; text on each colour passes.
            XCTAssertEqual(derived["accentCorrected"] as? Bool, true)
            let white = BrandColor.white
            let link = try XCTUnwrap(BrandColor(hex: try XCTUnwrap(derived["link"] as? String)))
            XCTAssertGreaterThanOrEqual(link.contrast(with: white), 4.5)
            let primary = BrandColor(hex: "#0b5fff")!, onPrimary = try XCTUnwrap(BrandColor(hex: try XCTUnwrap(derived["textOnPrimary"] as? String)))
            XCTAssertGreaterThanOrEqual(primary.contrast(with: onPrimary), 4.5)
            let accent = BrandColor(hex: "#ffcc00")!, onAccent = try XCTUnwrap(BrandColor(hex: try XCTUnwrap(derived["textOnAccent"] as? String)))
            XCTAssertGreaterThanOrEqual(accent.contrast(with: onAccent), 4.5)
            // Each new hostname has its own token to publish, and none is verified yet.
            let verifications = try XCTUnwrap(read.json["hostnameVerifications"] as? [[String: Any]])
            let pending = try XCTUnwrap(verifications.first { $0["hostname"] as? String == "portal.nordlys.test" })
            XCTAssertEqual(pending["verified"] as? Bool, false)
            let record = try XCTUnwrap(pending["verification"] as? [String: Any])
            XCTAssertEqual(record["txtRecordName"] as? String, "_portal-verification.portal.nordlys.test")
            XCTAssertTrue((record["txtRecordValue"] as? String)?.hasPrefix("portal-verification=") ?? false)
            XCTAssertFalse(read.body.lowercased().contains("switchboard"), "the record a reseller publishes names no product")
            // Platform staff read it for support.
            let support = try await client.call(.get, "/v1/resellers/\(world.resellerA)/brand", token: world.platformKey)
            XCTAssertEqual(support.status, .ok)
            XCTAssertEqual(support.json["displayName"] as? String, "Nordlys")
        }
    }

    func testInvalidBrandSettingsAreRefusedFieldByField() async throws {
        try await withWorld { world, client, _ in
            let cases: [(String, String)] = [
                (Self.settings(primary: "blue"), "primaryColor"),
                (Self.settings(accent: "#fff"), "accentColor"),
                (Self.settings(hostnames: ["portal.nordlys.test:8443"]), "hostnames[0]"),
                (Self.settings(hostnames: ["192.168.1.10"]), "hostnames[0]"),
                (Self.settings(hostnames: ["localhost"]), "hostnames[0]"),
                (Self.settings(hostnames: ["bad_name.test"]), "hostnames[0]"),
                (Self.settings(hostnames: (0..<11).map { "h\($0).nordlys.test" }), "hostnames"),
                (Self.settings(name: "  "), "displayName"),
                (Self.settings(extra: #","supportUrl":"javascript:alert(1)""#), "supportUrl"),
                (Self.settings(extra: #","supportEmail":"not-mail""#), "supportEmail"),
                (Self.settings(extra: #","supportPhone":"12345""#), "supportPhone"),
            ]
            for (body, field) in cases {
                let reply = try await client.call(.put, "/v1/brand", token: world.resellerAKey, json: body)
                XCTAssertTrue([400, 422].contains(reply.status.code), "\(field): \(reply.status.code) \(reply.body)")
                XCTAssertTrue(reply.body.contains("\"field\":\"\(field)\""), "\(field): \(reply.body)")
            }
            let language = try await client.call(.put, "/v1/brand", token: world.resellerAKey, json: Self.settings(language: "de"))
            XCTAssertEqual(language.status, .badRequest)
            // Nothing of the refused settings was stored: A's brand is still the seeded one.
            let read = try await client.call(.get, "/v1/brand", token: world.resellerAKey)
            XCTAssertEqual(read.json["displayName"] as? String, World.brandA.displayName)
        }
    }

    func testAHostnameBelongsToOneResellerPlatformWide() async throws {
        try await withWorld { world, client, _ in
            let taken = try await client.call(.put, "/v1/brand", token: world.resellerBKey,
                                              json: Self.settings(hostnames: [World.brandB.host, World.brandA.host]))
            XCTAssertEqual(taken.status, .conflict, taken.body)
            XCTAssertTrue(taken.body.contains("\"field\":\"hostnames\""))
            let bAfter = try await client.call(.get, "/v1/brand", token: world.resellerBKey)
            XCTAssertEqual(bAfter.json["hostnames"] as? [String], [World.brandB.host], "the refused save changed nothing")
            // Once A lets it go, B may claim it, unverified.
            let dropped = try await client.call(.put, "/v1/brand", token: world.resellerAKey, json: Self.settings(hostnames: []))
            XCTAssertEqual(dropped.status, .ok)
            let claimed = try await client.call(.put, "/v1/brand", token: world.resellerBKey, json: Self.settings(hostnames: [World.brandA.host]))
            XCTAssertEqual(claimed.status, .ok, claimed.body)
            let verifications = try XCTUnwrap(claimed.json["hostnameVerifications"] as? [[String: Any]])
            XCTAssertEqual(verifications.first?["verified"] as? Bool, false, "a hostname taken over starts unverified")
        }
    }

    func testTheDNSCheckVerifiesOnlyTheExactPublishedToken() async throws {
        let resolver = StaticTXTResolver()
        try await withWorld(resolver: resolver) { world, client, database in
            let put = try await client.call(.put, "/v1/brand", token: world.resellerAKey,
                                            json: Self.settings(hostnames: [World.brandA.host, "new.nordlys.test"]))
            let verification = try XCTUnwrap((put.json["hostnameVerifications"] as? [[String: Any]])?.first { $0["hostname"] as? String == "new.nordlys.test" })
            let record = try XCTUnwrap(verification["verification"] as? [String: String])
            let name = try XCTUnwrap(record["txtRecordName"]), value = try XCTUnwrap(record["txtRecordValue"])

            let unpublished = try await client.call(.post, "/v1/brand/hostnames/new.nordlys.test/check", token: world.resellerAKey)
            XCTAssertEqual(unpublished.status, .ok)
            XCTAssertEqual(unpublished.json["verified"] as? Bool, false)
            resolver.publish(value + "x", at: name)
            resolver.publish("portal-verification=someone-elses-token", at: name)
            let wrong = try await client.call(.post, "/v1/brand/hostnames/new.nordlys.test/check", token: world.resellerAKey)
            XCTAssertEqual(wrong.json["verified"] as? Bool, false)
            resolver.publish(value, at: name)
            let verified = try await client.call(.post, "/v1/brand/hostnames/NEW.nordlys.test/check", token: world.resellerAKey)
            XCTAssertEqual(verified.json["verified"] as? Bool, true, verified.body)
            XCTAssertEqual(verified.json["verifiedBy"] as? String, "dns")
            XCTAssertEqual(resolver.askedFor, [name, name, name], "only the verification record's name is looked up")
            // B cannot check (or learn about) A's hostname.
            let foreign = try await client.call(.post, "/v1/brand/hostnames/new.nordlys.test/check", token: world.resellerBKey)
            XCTAssertEqual(foreign.status, .notFound)
            // The verification is the platform's act, in the audit trail.
            let actions = try await database.withAdmin { connection in
                try await connection.query("SELECT action, principal_kind, role FROM sb.audit_events WHERE action LIKE 'brand.hostname%' ORDER BY seq", logger: TestCluster.logger)
                    .collect().map { try $0.decode((String, String, String).self) }
            }
            XCTAssertEqual(actions.map(\.0), ["brand.hostname_verified_by_platform", "brand.hostname_verified_by_platform", "brand.hostname_verified_by_dns"])
            XCTAssertEqual(actions.last?.1, "system")
            XCTAssertEqual(actions.last?.2, "sb_platform")
        }
    }

    /// No nameserver answering is the DNS's outage, not the reseller's mistake: 503, nothing verified.
    func testADNSOutageAnswers503AndVerifiesNothing() async throws {
        let resolver = StaticTXTResolver()
        resolver.failEveryLookup(with: DNSLookupError.timedOut(server: "127.0.0.1:53"))
        try await withWorld(resolver: resolver) { world, client, _ in
            let put = try await client.call(.put, "/v1/brand", token: world.resellerAKey, json: Self.settings(hostnames: ["outage.nordlys.test"]))
            XCTAssertEqual(put.status, .ok)
            let check = try await client.call(.post, "/v1/brand/hostnames/outage.nordlys.test/check", token: world.resellerAKey)
            XCTAssertEqual(check.status, .serviceUnavailable, check.body)
            XCTAssertEqual(check.headers[.contentType], "application/problem+json")
            let read = try await client.call(.get, "/v1/brand", token: world.resellerAKey)
            XCTAssertEqual((read.json["hostnameVerifications"] as? [[String: Any]])?.first?["verified"] as? Bool, false)
            let unclaimed = try await client.call(.post, "/v1/brand/hostnames/never.nordlys.test/check", token: world.resellerAKey)
            XCTAssertEqual(unclaimed.status, .notFound, "an unclaimed hostname is refused before any lookup")
            XCTAssertEqual(resolver.askedFor, ["_portal-verification.outage.nordlys.test"])
        }
    }

    func testPlatformStaffVerifyByHandOnlyWhatTheResellerClaimed() async throws {
        try await withWorld { world, client, database in
            let put = try await client.call(.put, "/v1/brand", token: world.resellerAKey, json: Self.settings(hostnames: ["byhand.nordlys.test"]))
            XCTAssertEqual(put.status, .ok)
            let wrongReseller = try await client.call(.post, "/v1/resellers/\(world.resellerB)/hostnames/byhand.nordlys.test/verify", token: world.platformKey)
            XCTAssertEqual(wrongReseller.status, .notFound)
            let verified = try await client.call(.post, "/v1/resellers/\(world.resellerA)/hostnames/byhand.nordlys.test/verify", token: world.platformKey)
            XCTAssertEqual(verified.status, .ok)
            XCTAssertEqual(verified.json["verifiedBy"] as? String, "platform")
            let again = try await client.call(.post, "/v1/resellers/\(world.resellerA)/hostnames/byhand.nordlys.test/verify", token: world.platformKey)
            XCTAssertEqual(again.json["verifiedAt"] as? String, verified.json["verifiedAt"] as? String, "verifying twice keeps the first verification")
            let bad = try await client.call(.post, "/v1/resellers/\(world.resellerA)/hostnames/not_a_host/verify", token: world.platformKey)
            XCTAssertEqual(bad.status, .badRequest)
            let count = try await database.withAdmin { connection in
                try await connection.query("SELECT count(*)::int FROM sb.audit_events WHERE action = 'brand.hostname_verified_by_platform' AND reseller_id = \(UUID(uuidString: world.resellerA)!)", logger: TestCluster.logger)
                    .collect().first!.decode(Int.self)
            }
            XCTAssertEqual(count, 2, "the seeded hostname and this one; the repeat is not a second verification")
            // Platform staff cannot change the brand itself.
            let change = try await client.call(.put, "/v1/brand", token: world.platformKey, json: Self.settings())
            XCTAssertEqual(change.status, .forbidden)
        }
    }

    func testALogoIsAPNGOrJPEGStoredWithoutItsMetadata() async throws {
        try await withWorld { world, client, database in
            let png = LogoSamples.textPNG
            let stored = try await client.call(.put, "/v1/brand/logo", token: world.resellerAKey, bytes: png, headers: [.contentType: "image/png"])
            XCTAssertEqual(stored.status, .ok, stored.body)
            let logo = try XCTUnwrap(stored.json["logo"] as? [String: Any])
            XCTAssertEqual(logo["mediaType"] as? String, "image/png")
            let bytes = try await database.withAdmin { connection in
                try await connection.query("SELECT logo FROM sb.brands WHERE reseller_id = \(UUID(uuidString: world.resellerA)!)", logger: TestCluster.logger)
                    .collect().first!.decode(Data.self)
            }
            XCTAssertFalse(String(decoding: bytes, as: UTF8.self).contains("GPS secret"), "text chunks are not stored")
            XCTAssertEqual(logo["bytes"] as? Int, bytes.count)

            let svg = try await client.call(.put, "/v1/brand/logo", token: world.resellerAKey, bytes: Array(#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.utf8),
                                            headers: [.contentType: "image/png"])
            XCTAssertEqual(svg.status, .unsupportedMediaType, svg.body)
            let svgType = try await client.call(.put, "/v1/brand/logo", token: world.resellerAKey, bytes: Array("<svg/>".utf8), headers: [.contentType: "image/svg+xml"])
            XCTAssertEqual(svgType.status, .unsupportedMediaType)
            let mismatch = try await client.call(.put, "/v1/brand/logo", token: world.resellerAKey, bytes: png, headers: [.contentType: "image/jpeg"])
            XCTAssertEqual(mismatch.status, .unprocessableContent)
            let huge = try await client.call(.put, "/v1/brand/logo", token: world.resellerAKey, bytes: png + [UInt8](repeating: 0, count: LogoImage.maxBytes),
                                             headers: [.contentType: "image/png"])
            XCTAssertEqual(huge.status, .contentTooLarge)
            // The one stored is still the first.
            let read = try await client.call(.get, "/v1/brand", token: world.resellerAKey)
            XCTAssertEqual((read.json["logo"] as? [String: Any])?["bytes"] as? Int, bytes.count)

            // Without a brand there is nothing to put a logo on.
            let brandless = try await client.call(.post, "/v1/resellers", token: world.platformKey, json: #"{"name":"Brandless"}"#)
            let key = try await client.call(.post, "/v1/resellers/\(try brandless.string("id"))/api-keys", token: world.platformKey, json: #"{"name":"k"}"#).string("secret")
            let noBrand = try await client.call(.put, "/v1/brand/logo", token: key, bytes: png, headers: [.contentType: "image/png"])
            XCTAssertEqual(noBrand.status, .conflict)
            let noBrandRead = try await client.call(.get, "/v1/brand", token: key)
            XCTAssertEqual(noBrandRead.status, .notFound)

            let removed = try await client.call(.delete, "/v1/brand/logo", token: world.resellerAKey)
            XCTAssertEqual(removed.status, .noContent)
            let after = try await client.call(.get, "/v1/brand", token: world.resellerAKey)
            XCTAssertNil(after.json["logo"])
        }
    }
}
