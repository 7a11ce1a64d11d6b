import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import SwitchboardAPI
import SwitchboardDomain
import SwitchboardStore
import XCTest

/// The managers' portal over a real socket, as a browser reaches it on a brand's hostname:
/// brand by verified host only, per-reseller sign-in, edits with conflicts, CSRF, foreign ids,
/// and nothing of the product's name anywhere a manager can see.
final class PortalTests: XCTestCase {
    struct Portal {
        let world: World
        let port: Int
        let client: any TestClientProtocol

        func browser(_ brand: World.SeededBrand = World.brandA) -> PortalBrowser { PortalBrowser(port: port, host: brand.host) }
    }

    func withPortal<T: Sendable>(_ test: @Sendable (Portal) async throws -> T) async throws -> T {
        let database = try await TestCluster.shared.migratedDatabase()
        return try await withTestApp(database, mode: .live) { client in
            let world = try await World.build(client, database: database)
            return try await test(Portal(world: world, port: try XCTUnwrap(client.port), client: client))
        }
    }

    /// Signs in through the form, as a person would: the page first (for its token), then the post.
    @discardableResult
    static func signIn(_ browser: PortalBrowser, email: String, password: String = World.password) async throws -> PortalBrowser.Page {
        let form = try await browser.get("/portal/sign-in")
        XCTAssertEqual(form.status, 200, form.body)
        let csrf = try XCTUnwrap(form.inputValue("csrf"))
        return try await browser.post("/portal/sign-in", [("csrf", csrf), ("email", email), ("password", password)])
    }

    static func employeeOfA2(_ portal: Portal) async throws -> String {
        let reply = try await portal.client.call(.post, "/v1/customers/\(portal.world.customerA2)/employees", token: portal.world.resellerAKey,
                                                 json: #"{"fullName":"Secret A2 Person","extension":"777"}"#)
        XCTAssertEqual(reply.status, .created, reply.body)
        return try reply.string("id")
    }

    func testSignInOnTheBrandHostShowsTheBrandAndOnlyTheCompanysStaff() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            let signInPage = try await browser.get("/portal/sign-in")
            XCTAssertTrue(signInPage.body.contains("id=\"brand-name\">Aurora Mobil<"), signInPage.body)
            XCTAssertTrue(signInPage.body.contains("<html lang=\"da\">"), "the brand's default language")
            let signedIn = try await Self.signIn(browser, email: portal.world.managerA1Email)
            XCTAssertEqual(signedIn.status, 303)
            XCTAssertEqual(signedIn.header("location"), "/portal/employees")
            let cookie = try XCTUnwrap(browser.setCookieLines.first { $0.hasPrefix("__Host-session=") }, "\(browser.setCookieLines)")
            for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
                XCTAssertTrue(cookie.contains(attribute), "session cookie lacks \(attribute): \(cookie)")
            }
            let a2Person = try await Self.employeeOfA2(portal)
            let staff = try await browser.get("/portal/employees")
            XCTAssertEqual(staff.status, 200)
            XCTAssertTrue(staff.body.contains("Staff manager") && staff.body.contains("Staff reseller"), staff.body)
            XCTAssertTrue(staff.body.contains("href=\"/portal/employees/\(portal.world.employees["manager"]!.id)\""))
            XCTAssertFalse(staff.body.contains("Secret A2 Person"))
            XCTAssertFalse(staff.body.contains(a2Person))
            // Search by name, then by extension and by number.
            let byName = try await browser.get("/portal/employees?q=manager")
            XCTAssertTrue(byName.body.contains("Staff manager"))
            XCTAssertFalse(byName.body.contains("Staff reseller"))
            let byExtension = try await browser.get("/portal/employees?q=110")
            XCTAssertTrue(byExtension.body.contains("Staff reseller"))
            XCTAssertFalse(byExtension.body.contains("Staff manager"))
            let byNumber = try await browser.get("/portal/employees?q=\(PortalBrowser.encode(World.stockA.numbers[0]))")
            XCTAssertTrue(byNumber.body.contains("Staff manager"))
            XCTAssertFalse(byNumber.body.contains("Staff reseller"))
        }
    }

    func testUnknownAndUnverifiedHostsGetANeutralPage() async throws {
        try await withPortal { portal in
            // A hostname A claimed but nobody verified yet, and one nobody claimed.
            let settings = World.brandA.settingsJSON.replacingOccurrences(of: #""hostnames":["portal.reseller-a.test"]"#,
                                                                          with: #""hostnames":["portal.reseller-a.test","pending.reseller-a.test"]"#)
            let put = try await portal.client.call(.put, "/v1/brand", token: portal.world.resellerAKey, json: settings)
            XCTAssertEqual(put.status, .ok, put.body)
            for host in ["pending.reseller-a.test", "nowhere.example.test", "127.0.0.1"] {
                let browser = PortalBrowser(port: portal.port, host: host)
                let page = try await browser.get("/portal/sign-in")
                XCTAssertEqual(page.status, 404, host)
                XCTAssertFalse(page.body.contains("Aurora") || page.body.contains("Bølge"), host)
                XCTAssertFalse(page.has(id: "sign-in-form"), host)
                XCTAssertFalse(page.body.lowercased().contains("switchboard"), host)
                // Signing in there is refused before any password is looked at.
                let post = try await browser.post("/portal/sign-in", [("email", portal.world.managerA1Email), ("password", World.password)])
                XCTAssertEqual(post.status, 404, host)
                XCTAssertNil(browser.cookies["__Host-session"])
            }
        }
    }

    func testLoginsArePerResellerThroughTheBrandHost() async throws {
        try await withPortal { portal in
            // B's manager uses the same e-mail as A1's manager, with another password.
            let otherPassword = "another long passphrase"
            let created = try await portal.client.call(.post, "/v1/customers/\(portal.world.customerB1)/managers", token: portal.world.resellerBKey,
                                                       json: #"{"email":"\#(portal.world.managerA1Email)","password":"\#(otherPassword)","fullName":"B manager"}"#)
            XCTAssertEqual(created.status, .created, "the same e-mail under another reseller neither conflicts nor is revealed: \(created.body)")
            let staffOfB = try await portal.client.call(.post, "/v1/customers/\(portal.world.customerB1)/employees", token: portal.world.resellerBKey,
                                                        json: #"{"fullName":"Bente of B1","extension":"501"}"#)
            XCTAssertEqual(staffOfB.status, .created)

            // A's password on B's host: refused exactly like a wrong password.
            let onB = portal.browser(World.brandB)
            let refused = try await Self.signIn(onB, email: portal.world.managerA1Email)
            XCTAssertEqual(refused.status, 401)
            XCTAssertTrue(refused.has(id: "form-error"))
            XCTAssertTrue(refused.body.contains("Bølge Telecom"))
            XCTAssertFalse(refused.body.contains("Aurora"))
            let wrong = try await Self.signIn(portal.browser(World.brandB), email: portal.world.managerA1Email, password: "not the password at all")
            XCTAssertEqual(Self.withoutTokens(refused.body), Self.withoutTokens(wrong.body), "A's password on B's host reads the same as a wrong one")

            // B's password on B's host: B1's staff only.
            let accepted = try await Self.signIn(onB, email: portal.world.managerA1Email, password: otherPassword)
            XCTAssertEqual(accepted.status, 303)
            let staff = try await onB.get("/portal/employees")
            XCTAssertTrue(staff.body.contains("Bente of B1"))
            XCTAssertFalse(staff.body.contains("Staff manager"))
            // And B's password on A's host is refused.
            let bOnA = try await Self.signIn(portal.browser(), email: portal.world.managerA1Email, password: otherPassword)
            XCTAssertEqual(bOnA.status, 401)

            // A session from A's host presented to B's host is no session there.
            let onA = portal.browser()
            try await Self.signIn(onA, email: portal.world.managerA1Email)
            let carried = portal.browser(World.brandB)
            carried.setCookie("__Host-session", try XCTUnwrap(onA.cookies["__Host-session"]))
            let attempt = try await carried.get("/portal/employees")
            XCTAssertEqual(attempt.status, 303)
            XCTAssertEqual(attempt.header("location"), "/portal/sign-in")
        }
    }

    func testARenameIsSeenThroughTheAPIAndAStaleEditIsAConflict() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            try await Self.signIn(browser, email: portal.world.managerA1Email)
            let id = portal.world.employees["manager"]!.id
            let page = try await browser.get("/portal/employees/\(id)")
            XCTAssertEqual(page.status, 200)
            let csrf = try XCTUnwrap(page.inputValue("csrf"))
            let etag = try XCTUnwrap(page.inputValue("etag"))
            let saved = try await browser.post("/portal/employees/\(id)", [
                ("csrf", csrf), ("etag", etag), ("fullName", "Renamed In Portal"), ("email", ""), ("mobile", ""), ("extension", "100"),
            ])
            XCTAssertEqual(saved.status, 303, saved.body)
            let api = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(try api.string("fullName"), "Renamed In Portal")
            let after = try await browser.get(try XCTUnwrap(saved.header("location")))
            XCTAssertTrue(after.has(id: "notice"))

            // The API changes the person; the form still carries the old ETag.
            let apiChange = try await portal.client.call(.patch, "/v1/employees/\(id)", token: portal.world.resellerAKey,
                                                         json: #"{"fullName":"Changed By API"}"#, headers: [.ifMatch: try XCTUnwrap(api.headers[.eTag])])
            XCTAssertEqual(apiChange.status, .ok, apiChange.body)
            let stale = try await browser.post("/portal/employees/\(id)", [
                ("csrf", csrf), ("etag", try XCTUnwrap(after.inputValue("etag"))), ("fullName", "Stale Portal Edit"), ("email", ""), ("mobile", ""), ("extension", "100"),
            ])
            XCTAssertEqual(stale.status, 409)
            XCTAssertTrue(stale.has(id: "conflict"), stale.body)
            XCTAssertTrue(stale.body.contains("Stale Portal Edit") && stale.body.contains("Changed By API"), "both values are shown")
            let unchanged = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(try unchanged.string("fullName"), "Changed By API", "the stale edit overwrote nothing")

            // A refused value is shown on the field, and nothing changes.
            let invalid = try await browser.post("/portal/employees/\(id)", [
                ("csrf", csrf), ("etag", try XCTUnwrap(stale.inputValue("etag"))), ("fullName", "Ok Name"), ("email", "not-an-address"), ("mobile", ""), ("extension", "100"),
            ])
            XCTAssertEqual(invalid.status, 422)
            XCTAssertTrue(invalid.has(id: "form-error") && invalid.has(id: "email-error"), invalid.body)
            let still = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(try still.string("fullName"), "Changed By API")
        }
    }

    func testAPostWithoutTheCSRFTokenIsRefused() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            try await Self.signIn(browser, email: portal.world.managerA1Email)
            let id = portal.world.employees["manager"]!.id
            let page = try await browser.get("/portal/employees/\(id)")
            let etag = try XCTUnwrap(page.inputValue("etag"))
            for csrf in [nil, "forged-token", try XCTUnwrap(page.inputValue("csrf")) + "x"] {
                var fields = [("etag", etag), ("fullName", "CSRF Victim"), ("extension", "100")]
                if let csrf { fields.append(("csrf", csrf)) }
                let refused = try await browser.post("/portal/employees/\(id)", fields)
                XCTAssertEqual(refused.status, 403, "csrf \(csrf ?? "absent")")
                let restrict = try await browser.post("/portal/employees/\(id)/restriction", [("reason", "forged")] + (csrf.map { [("csrf", $0)] } ?? []))
                XCTAssertEqual(restrict.status, 403)
                let signOut = try await browser.post("/portal/sign-out", csrf.map { [("csrf", $0)] } ?? [])
                XCTAssertEqual(signOut.status, 403)
            }
            let api = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(try api.string("fullName"), "Staff manager")
            XCTAssertEqual(api.json["restricted"] as? Bool, false)
            // Signing in needs the sign-in page's token too (no login CSRF).
            let fresh = portal.browser()
            let login = try await fresh.post("/portal/sign-in", [("email", portal.world.managerA1Email), ("password", World.password)])
            XCTAssertEqual(login.status, 403)
            XCTAssertNil(fresh.cookies["__Host-session"])
        }
    }

    func testAForeignEmployeeIdAnswers404Everywhere() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            try await Self.signIn(browser, email: portal.world.managerA1Email)
            let foreign = try await Self.employeeOfA2(portal)
            let unknown = UUID().uuidString.lowercased()
            let page = try await browser.get("/portal/employees/\(portal.world.employees["manager"]!.id)")
            let csrf = try XCTUnwrap(page.inputValue("csrf"))
            for id in [foreign, unknown, foreign.uppercased(), foreign + "%00x"] {
                for path in ["", "/export", "/anonymise", "/content/\(portal.world.employees["manager"]!.voicemail)"] {
                    let reply = try await browser.get("/portal/employees/\(id)\(path)")
                    XCTAssertEqual(reply.status, 404, "\(id)\(path)")
                    XCTAssertFalse(reply.body.contains("Secret A2 Person"))
                }
                let post = try await browser.post("/portal/employees/\(id)", [("csrf", csrf), ("etag", "\"1\""), ("fullName", "Hijacked"), ("extension", "777")])
                XCTAssertEqual(post.status, 404)
                let anonymise = try await browser.post("/portal/employees/\(id)/anonymise", [("csrf", csrf), ("confirmation", "Secret A2 Person")])
                XCTAssertEqual(anonymise.status, 404)
            }
            let api = try await portal.client.call(.get, "/v1/employees/\(foreign)", token: portal.world.resellerAKey)
            XCTAssertEqual(try api.string("fullName"), "Secret A2 Person")
            XCTAssertEqual(api.json["anonymised"] as? Bool, false)
        }
    }

    func testTheProductNameAppearsInNoPageHeaderOrCookie() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            var pages: [(String, PortalBrowser.Page)] = []
            pages.append(("sign-in", try await browser.get("/portal/sign-in")))
            pages.append(("failed sign-in", try await Self.signIn(portal.browser(), email: "nobody@example.test", password: "wrong password here")))
            pages.append(("signed in", try await Self.signIn(browser, email: portal.world.managerA1Email)))
            let id = portal.world.employees["manager"]!.id
            for path in ["/portal/", "/portal/employees", "/portal/employees?q=staff", "/portal/employees/\(id)", "/portal/employees/\(id)/anonymise",
                         "/portal/employees/\(id)/export", "/portal/employees/\(id)/content/\(portal.world.employees["manager"]!.voicemail)",
                         "/portal/usage", "/portal/style.css", "/portal/employees/\(UUID().uuidString.lowercased())", "/portal/no-such-page", "/",
                         "/portal/language?lang=en&next=/portal/employees"] {
                pages.append((path, try await browser.get(path)))
            }
            pages.append(("forbidden", try await browser.post("/portal/employees/\(id)", [("fullName", "x")])))
            pages.append(("neutral", try await PortalBrowser(port: portal.port, host: "unknown.example.test").get("/portal/sign-in")))
            for (name, page) in pages {
                XCTAssertFalse(page.body.lowercased().contains("switchboard"), "\(name) body")
                for (header, value) in page.headers {
                    XCTAssertFalse(header.contains("switchboard") || value.lowercased().contains("switchboard"), "\(name) header \(header): \(value)")
                    XCTAssertNotEqual(header, "server", "\(name) names its server")
                }
            }
            for line in browser.setCookieLines {
                XCTAssertFalse(line.lowercased().contains("switchboard"), line)
            }
            XCTAssertEqual(pages.first { $0.0 == "/portal/employees/\(id)/export" }?.1.status, 200)
        }
    }

    func testEveryPageCarriesTheSecurityHeaders() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            for page in [try await browser.get("/portal/sign-in"), try await Self.signIn(browser, email: portal.world.managerA1Email),
                         try await browser.get("/portal/employees"), try await browser.get("/portal/nothing-here")] {
                let policy = try XCTUnwrap(page.header("content-security-policy"))
                XCTAssertTrue(policy.contains("frame-ancestors 'none'"), policy)
                XCTAssertTrue(policy.contains("default-src 'none'"), policy)
                XCTAssertFalse(policy.contains("unsafe-inline") || policy.contains("script-src"), "no script may run: \(policy)")
                XCTAssertEqual(page.header("x-frame-options"), "DENY")
                XCTAssertEqual(page.header("x-content-type-options"), "nosniff")
            }
            let staff = try await browser.get("/portal/employees")
            XCTAssertEqual(staff.header("cache-control"), "no-store")
            XCTAssertFalse(staff.body.contains("<script"), "the portal needs no JavaScript")
            XCTAssertFalse(staff.body.contains("style=\""), "no inline style (the policy would block it)")
        }
    }

    func testTheLanguageFollowsTheBrandAndCanBeSwitched() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            let danish = try await browser.get("/portal/sign-in")
            XCTAssertTrue(danish.body.contains("<html lang=\"da\">") && danish.body.contains("Adgangskode"))
            let switched = try await browser.get("/portal/language?lang=en&next=/portal/sign-in")
            XCTAssertEqual(switched.status, 303)
            XCTAssertEqual(switched.header("location"), "/portal/sign-in")
            let english = try await browser.get("/portal/sign-in")
            XCTAssertTrue(english.body.contains("<html lang=\"en\">") && english.body.contains("Password"))
            // `next` never leads off the portal.
            for next in ["//evil.example/", "https://evil.example/", "/\\evil.example", "/v1/customers"] {
                let reply = try await browser.get("/portal/language?lang=da&next=\(PortalBrowser.encode(next))")
                XCTAssertEqual(reply.header("location"), "/portal/employees", next)
            }
            // B's brand defaults to English.
            let onB = try await portal.browser(World.brandB).get("/portal/sign-in")
            XCTAssertTrue(onB.body.contains("<html lang=\"en\">"))
        }
    }

    func testAnonymiseNeedsTheTypedNameAndShowsTheReceipt() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            try await Self.signIn(browser, email: portal.world.managerA1Email)
            let id = portal.world.employees["manager"]!.id
            let confirm = try await browser.get("/portal/employees/\(id)/anonymise")
            XCTAssertEqual(confirm.status, 200)
            let csrf = try XCTUnwrap(confirm.inputValue("csrf"))
            let mistyped = try await browser.post("/portal/employees/\(id)/anonymise", [("csrf", csrf), ("confirmation", "Staff manage")])
            XCTAssertEqual(mistyped.status, 422)
            XCTAssertTrue(mistyped.has(id: "form-error"))
            let before = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(before.json["anonymised"] as? Bool, false)
            let receipt = try await browser.post("/portal/employees/\(id)/anonymise", [("csrf", csrf), ("confirmation", "Staff manager")])
            XCTAssertEqual(receipt.status, 200, receipt.body)
            XCTAssertTrue(receipt.has(id: "receipt"))
            XCTAssertTrue(receipt.body.contains(World.stockA.numbers[0]), "the released number is on the receipt")
            let after = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(after.json["anonymised"] as? Bool, true)
            XCTAssertNotEqual(try after.string("fullName"), "Staff manager")
        }
    }

    func testRestrictionAndPreferencesWithTheirHistory() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            try await Self.signIn(browser, email: portal.world.managerA1Email)
            let id = portal.world.employees["manager"]!.id
            var page = try await browser.get("/portal/employees/\(id)")
            let csrf = try XCTUnwrap(page.inputValue("csrf"))
            let preferences = try await browser.post("/portal/employees/\(id)/preferences", [
                ("csrf", csrf), ("etag", try XCTUnwrap(page.inputValue("etag"))), ("directoryListing", "unlisted"), ("marketingConsent", "on"),
            ])
            XCTAssertEqual(preferences.status, 303, preferences.body)
            page = try await browser.get("/portal/employees/\(id)")
            XCTAssertTrue(page.has(id: "preference-history"))
            let api = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(api.json["directoryListing"] as? String, "unlisted")
            XCTAssertEqual(api.json["marketingConsent"] as? Bool, true)

            let noReason = try await browser.post("/portal/employees/\(id)/restriction", [("csrf", csrf), ("reason", "  ")])
            XCTAssertEqual(noReason.status, 422)
            let restricted = try await browser.post("/portal/employees/\(id)/restriction", [("csrf", csrf), ("reason", "Objection received by letter")])
            XCTAssertEqual(restricted.status, 303)
            page = try await browser.get("/portal/employees/\(id)")
            XCTAssertTrue(page.body.contains("Objection received by letter") && page.has(id: "lift-restriction-form"))
            XCTAssertFalse(page.has(id: "employee-form"), "a restricted person's details cannot be edited")
            let restrictedAPI = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(restrictedAPI.json["restricted"] as? Bool, true)
            let lifted = try await browser.post("/portal/employees/\(id)/restriction/lift", [("csrf", csrf)])
            XCTAssertEqual(lifted.status, 303)
            let liftedAPI = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(liftedAPI.json["restricted"] as? Bool, false)
        }
    }

    func testExportIsTheAPIsDocumentAndContentDownloads() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            try await Self.signIn(browser, email: portal.world.managerA1Email)
            let employee = portal.world.employees["manager"]!
            let download = try await browser.get("/portal/employees/\(employee.id)/export")
            XCTAssertEqual(download.status, 200)
            XCTAssertEqual(download.header("content-type"), "application/json")
            XCTAssertTrue(download.header("content-disposition")?.hasPrefix("attachment") ?? false)
            let api = try await portal.client.call(.get, "/v1/employees/\(employee.id)/export", token: portal.world.resellerAKey)
            var fromPortal = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(download.body.utf8)) as? [String: Any])
            var fromAPI = api.json
            fromPortal["exportedAt"] = nil
            fromAPI["exportedAt"] = nil
            XCTAssertEqual(NSDictionary(dictionary: fromPortal), NSDictionary(dictionary: fromAPI))

            let page = try await browser.get("/portal/employees/\(employee.id)")
            XCTAssertTrue(page.body.contains("/portal/employees/\(employee.id)/content/\(employee.voicemail)"))
            let voicemail = try await browser.get("/portal/employees/\(employee.id)/content/\(employee.voicemail)")
            XCTAssertEqual(voicemail.status, 200)
            XCTAssertEqual(voicemail.body, "RIFF-voicemail")
            XCTAssertEqual(voicemail.header("content-type"), "audio/wav")
        }
    }

    func testSignOutEndsTheSession() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            try await Self.signIn(browser, email: portal.world.managerA1Email)
            let token = try XCTUnwrap(browser.cookies["__Host-session"])
            let page = try await browser.get("/portal/employees")
            let out = try await browser.post("/portal/sign-out", [("csrf", try XCTUnwrap(page.inputValue("csrf")))])
            XCTAssertEqual(out.status, 303)
            XCTAssertNil(browser.cookies["__Host-session"])
            // The old token is dead for the portal and the API alike.
            browser.setCookie("__Host-session", token)
            let after = try await browser.get("/portal/employees")
            XCTAssertEqual(after.status, 303)
            let api = try await portal.client.call(.get, "/v1/me", token: token)
            XCTAssertEqual(api.status, .unauthorized)
        }
    }

    func testUsageShowsTheCompanysMonth() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            try await Self.signIn(browser, email: portal.world.managerA1Email)
            let usage = try await browser.get("/portal/usage?month=2026-11")
            XCTAssertEqual(usage.status, 200)
            XCTAssertTrue(usage.has(id: "usage"))
            XCTAssertTrue(usage.body.contains("2026-11"))
            let bad = try await browser.get("/portal/usage?month=2026-13")
            XCTAssertEqual(bad.status, 200, "an impossible month shows the current one")
        }
    }

    /// Found by attack: a broken chunked body, or a chunked one over the form limit, answered 500.
    func testABrokenOrOversizedBodyIsTheClientsErrorNeverA500() async throws {
        try await withPortal { portal in
            let host = World.brandA.host
            func raw(_ request: String) async throws -> PortalBrowser.Page {
                let socket = try RawHTTPSocket(port: portal.port)
                socket.send(request)
                return try PortalBrowser.parse(await socket.readUntilClosed(limit: .seconds(10)).received)
            }
            for path in ["/portal/sign-in", "/v1/sessions"] {
                let type = path.hasPrefix("/v1/") ? "application/json" : "application/x-www-form-urlencoded"
                let broken = try await raw("POST \(path) HTTP/1.1\r\nHost: \(host)\r\nTransfer-Encoding: chunked\r\nContent-Type: \(type)\r\nConnection: close\r\n\r\nzz\r\nab\r\n0\r\n\r\n")
                XCTAssertEqual(broken.status, 400, "\(path): \(broken.body)")
                XCTAssertFalse(broken.body.lowercased().contains("switchboard") && path.hasPrefix("/portal"))
            }
            let chunk = String(repeating: "a", count: 20_000)
            let oversized = try await raw("POST /portal/sign-in HTTP/1.1\r\nHost: \(host)\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n\(String(chunk.utf8.count, radix: 16))\r\n\(chunk)\r\n0\r\n\r\n")
            XCTAssertEqual(oversized.status, 413)
            XCTAssertTrue(oversized.body.contains("Aurora Mobil"), "the error page wears the host's brand")
        }
    }

    /// Found by attack: on a brand's host, a path outside the portal (a browser's favicon) answered
    /// the API's problem document, whose type names the product. The API keeps its documents elsewhere.
    func testABrandHostAnswersPagesOnlyWhileTheAPIKeepsItsProblemDocuments() async throws {
        try await withPortal { portal in
            let onBrand = portal.browser()
            for path in ["/favicon.ico", "/robots.txt", "/Portal/sign-in", "/portal/no-such-page"] {
                let page = try await onBrand.get(path)
                XCTAssertEqual(page.status, 404, path)
                XCTAssertTrue(page.header("content-type")?.hasPrefix("text/html") ?? false, path)
                XCTAssertTrue(page.body.contains("Aurora Mobil"), "\(path): the brand's own error page")
                XCTAssertFalse(page.body.lowercased().contains("switchboard"), path)
            }
            let head = try await onBrand.send("HEAD", "/portal/sign-in", body: nil)
            XCTAssertEqual(head.status, 200)
            XCTAssertTrue(head.header("content-type")?.hasPrefix("text/html") ?? false)
            XCTAssertEqual(head.body, "", "HEAD carries no body")
            let api = try await PortalBrowser(port: portal.port, host: "api.platform.test").get("/no/such/route")
            XCTAssertEqual(api.status, 404)
            XCTAssertEqual(api.header("content-type"), "application/problem+json", "the API's host keeps the contract's errors")
        }
    }

    func testAPreferenceOutsideTheChoicesIsRefused() async throws {
        try await withPortal { portal in
            let browser = portal.browser()
            try await Self.signIn(browser, email: portal.world.managerA1Email)
            let id = portal.world.employees["manager"]!.id
            let page = try await browser.get("/portal/employees/\(id)")
            let reply = try await browser.post("/portal/employees/\(id)/preferences", [
                ("csrf", try XCTUnwrap(page.inputValue("csrf"))), ("etag", try XCTUnwrap(page.inputValue("etag"))), ("directoryListing", "garbage"),
            ])
            XCTAssertEqual(reply.status, 422)
            let api = try await portal.client.call(.get, "/v1/employees/\(id)", token: portal.world.resellerAKey)
            XCTAssertEqual(api.json["directoryListing"] as? String, "listed")
        }
    }

    /// Different passwords show one page, whatever the tokens in it.
    static func withoutTokens(_ html: String) -> String {
        html.replacingOccurrences(of: #"value="[A-Za-z0-9_-]{43}""#, with: "value=\"\"", options: .regularExpression)
    }
}
