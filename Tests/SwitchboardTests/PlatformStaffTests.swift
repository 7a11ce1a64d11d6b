import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import XCTest

/// Platform staff as people: they sign in, act within their duties, and the trail names them.
final class PlatformStaffTests: XCTestCase {
    func testStaffSignInActWithinTheirDutiesAndTheTrailNamesThePerson() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let operatorPerson = try await PlatformStaffAccounts.make(client, "Olga Operator", duties: ["operator"])
            let finance = try await PlatformStaffAccounts.make(client, "Finn Finance", duties: ["finance"])
            let legal = try await PlatformStaffAccounts.make(client, "Lea Legal", duties: ["legal"])
            XCTAssertTrue(operatorPerson.token.hasPrefix("sbst_"))

            let me = try await client.call(.get, "/v1/me", token: legal.token)
            XCTAssertEqual(me.status, .ok, me.body)
            XCTAssertEqual(me.json["role"] as? String, "platform")
            XCTAssertEqual(me.json["principalKind"] as? String, "session")
            XCTAssertEqual(me.json["principalId"] as? String, legal.id)
            XCTAssertEqual(me.json["duties"] as? [String], ["legal"])
            let keyMe = try await client.call(.get, "/v1/me", token: world.platformKey)
            XCTAssertEqual(keyMe.json["duties"] as? [String], ["operator", "finance"])

            // Duties decide: the operator onboards resellers, finance and legal may not.
            let created = try await client.call(.post, "/v1/resellers", token: operatorPerson.token, json: #"{"name":"Staffed reseller"}"#)
            XCTAssertEqual(created.status, .created, created.body)
            for person in [finance, legal] {
                let refused = try await client.call(.post, "/v1/resellers", token: person.token, json: #"{"name":"Nope"}"#)
                XCTAssertEqual(refused.status, .forbidden, refused.body)
                XCTAssertTrue(refused.body.contains("operator duty"), refused.body)
            }
            // A key can never act as a legal reviewer; a person cannot grant duties.
            let keyLegal = try await client.call(.get, "/v1/platform/disclosures", token: world.platformKey)
            XCTAssertEqual(keyLegal.status, .forbidden, keyLegal.body)
            let selfPromotion = try await client.call(.put, "/v1/platform/staff/\(operatorPerson.id)", token: operatorPerson.token,
                                                      json: #"{"fullName":"Olga Operator","duties":["operator","legal"],"status":"active"}"#)
            XCTAssertEqual(selfPromotion.status, .forbidden, selfPromotion.body)
            // Nor mint a platform key (which holds duties the person may lack, and outlives them), nor revoke one.
            let minted = try await client.call(.post, "/v1/api-keys", token: operatorPerson.token, json: #"{"name":"my own key"}"#)
            XCTAssertEqual(minted.status, .forbidden, minted.body)
            let keys = try await client.call(.get, "/v1/api-keys", token: world.platformKey)
            let keyID = try XCTUnwrap(keys.items.first?["id"] as? String)
            let revoked = try await client.call(.delete, "/v1/api-keys/\(keyID)", token: operatorPerson.token)
            XCTAssertEqual(revoked.status, .forbidden, revoked.body)

            // The trail names the person who created the reseller, not a key.
            let trail = try await database.withAdmin { connection in
                try await connection.query(
                    "SELECT principal_id::text, principal_kind FROM sb.audit_events WHERE action = 'reseller.create' AND target_id = \(UUID(uuidString: try created.string("id"))!)",
                    logger: TestCluster.logger
                ).collect().map { try $0.decode((String, String).self) }
            }
            XCTAssertEqual(trail.map(\.0), [operatorPerson.id])
            XCTAssertEqual(trail.map(\.1), ["session"])

            // A manager's e-mail and password never open a platform session, and a staff member's wrong password reads the same.
            let managerAsStaff = try await client.call(.post, "/v1/platform/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            XCTAssertEqual(managerAsStaff.status, .unauthorized, managerAsStaff.body)
            let wrong = try await client.call(.post, "/v1/platform/sessions", json: #"{"email":"\#(legal.email)","password":"not the password at all"}"#)
            XCTAssertEqual(wrong.status, .unauthorized)
            XCTAssertEqual(wrong.json["detail"] as? String, managerAsStaff.json["detail"] as? String)

            // Duties change on the next request; disabling ends the sessions at once.
            let promoted = try await client.call(.put, "/v1/platform/staff/\(finance.id)", token: world.platformKey,
                                                 json: #"{"fullName":"Finn Finance","duties":["finance","operator"],"status":"active"}"#)
            XCTAssertEqual(promoted.status, .ok, promoted.body)
            let nowAllowed = try await client.call(.get, "/v1/resellers", token: finance.token)
            XCTAssertEqual(nowAllowed.status, .ok, nowAllowed.body)
            let disabled = try await client.call(.put, "/v1/platform/staff/\(operatorPerson.id)", token: world.platformKey,
                                                 json: #"{"fullName":"Olga Operator","duties":["operator"],"status":"disabled"}"#)
            XCTAssertEqual(disabled.status, .ok, disabled.body)
            XCTAssertEqual(disabled.json["status"] as? String, "disabled")
            let afterDisable = try await client.call(.get, "/v1/resellers", token: operatorPerson.token)
            XCTAssertEqual(afterDisable.status, .unauthorized, afterDisable.body)
            let signInAgain = try await client.call(.post, "/v1/platform/sessions", json: #"{"email":"\#(operatorPerson.email)","password":"\#(PlatformStaffAccounts.password)"}"#)
            XCTAssertEqual(signInAgain.status, .unauthorized)

            // Signing out ends the staff session.
            let out = try await client.call(.delete, "/v1/sessions/current", token: legal.token)
            XCTAssertEqual(out.status, .noContent, out.body)
            let afterOut = try await client.call(.get, "/v1/me", token: legal.token)
            XCTAssertEqual(afterOut.status, .unauthorized)

            let listed = try await client.call(.get, "/v1/platform/staff", token: world.platformKey)
            XCTAssertEqual(Set(listed.items.compactMap { $0["email"] as? String }), [operatorPerson.email, finance.email, legal.email])
            XCTAssertFalse(listed.body.contains("password"), "no hash is listed")
            let duplicate = try await client.call(.post, "/v1/platform/staff", token: world.platformKey,
                                                  json: #"{"email":"\#(legal.email)","fullName":"Twin","password":"\#(PlatformStaffAccounts.password)","duties":["legal"]}"#)
            XCTAssertEqual(duplicate.status, .conflict, duplicate.body)
        }
    }

    /// The tables as raw SQL: no tenant role can even read the staff, and the authenticator sees only the person being checked.
    func testStaffTablesAreSealedFromTenantsAndTheAuthenticatorSeesOnlyThePresentedPerson() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let legal = try await PlatformStaffAccounts.make(client, "Lea Legal", duties: ["legal"])
            _ = try await PlatformStaffAccounts.make(client, "Other Person", duties: ["operator"])
            let raw = RawSession(database: database)
            for role in ["sb_reseller", "sb_customer", "sb_telephony", "sb_retention"] {
                for table in ["sb.platform_staff", "sb.platform_sessions"] {
                    let outcome = try await raw.run("SELECT count(*)::text FROM \(table)", role: role, settings: ["sb.reseller_id": world.resellerA, "sb.principal_id": world.resellerA])
                    guard case .denied(let state, _) = outcome else { return XCTFail("\(role) read \(table): \(outcome)") }
                    XCTAssertEqual(state, "42501")
                }
            }
            let seen = try await raw.values("SELECT email FROM sb.platform_staff", role: "sb_authenticator", settings: ["sb.login_email": legal.email])
            XCTAssertEqual(seen, [legal.email])
            let none = try await raw.values("SELECT email FROM sb.platform_staff", role: "sb_authenticator", settings: [:])
            XCTAssertEqual(none, [])
            let hashes = try await raw.run("SELECT password_hash FROM sb.platform_staff", role: "sb_platform", settings: ["sb.principal_id": legal.id])
            guard case .denied = hashes else { return XCTFail("the platform role read password hashes: \(hashes)") }
            // The platform cannot record a person's step under someone else's id.
            let forged = try await raw.execute(
                """
                INSERT INTO platform.disclosure_requests (id, authority, country, case_reference, legal_basis, numbers, period_start, period_end, recorded_by)
                VALUES (gen_random_uuid(), 'Police', 'DK', 'X-1', 'Law', '{+4570100000}', now() - interval '1 day', now(), '\(UUID().uuidString)')
                """, role: "sb_platform", settings: ["sb.principal_id": legal.id])
            guard case .denied(let state, _) = forged else { return XCTFail("a request was recorded under another id: \(forged)") }
            XCTAssertEqual(state, "42501")
        }
    }
}
