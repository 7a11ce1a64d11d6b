import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// Every operation in openapi.yaml × every kind of caller, with the status each must get.
/// Targets are reseller A's resources (customer A1, A's spare key), so B and A2's manager are
/// the foreign callers who must get 404, never 403.
final class AccessMatrixTests: XCTestCase {
    enum Caller: String, CaseIterable, Sendable {
        case anonymous, revokedKey, platform, telephony, resellerB, managerA2, managerA1, resellerA
        /// Platform staff, signed in, each with one duty.
        case operatorPerson, financePerson, legalPerson
    }

    /// The platform's people in a cell's world: one per duty, and a second legal reviewer who
    /// recorded a pending disclosure request (so the matrix's legal reviewer may decide it).
    struct Staff: Sendable {
        let operatorPerson: PlatformStaffAccounts.Person
        let finance: PlatformStaffAccounts.Person
        let legal: PlatformStaffAccounts.Person
        let disclosure: String

        static func make(_ client: some TestClientProtocol) async throws -> Staff {
            let author = try await PlatformStaffAccounts.make(client, "Legal Author", duties: ["legal"])
            let recorded = try await client.call(.post, "/v1/platform/disclosures", token: author.token, json: """
                {"authority":"Politiet","country":"DK","caseReference":"M-1","legalBasis":"Retsplejeloven § 804","numbers":["+4570100002"],
                 "from":"2026-11-01T00:00:00Z","to":"2026-11-30T00:00:00Z"}
                """)
            guard recorded.status == .created else { throw TestFailure("disclosure: \(recorded.body)") }
            return Staff(
                operatorPerson: try await PlatformStaffAccounts.make(client, "Matrix Operator", duties: ["operator"]),
                finance: try await PlatformStaffAccounts.make(client, "Matrix Finance", duties: ["finance"]),
                legal: try await PlatformStaffAccounts.make(client, "Matrix Legal", duties: ["legal"]),
                disclosure: try recorded.string("id")
            )
        }
    }

    struct Cell: Sendable {
        let operation: String
        let method: HTTPRequest.Method
        let path: @Sendable (World, Caller) -> String
        let body: (@Sendable (Caller) -> String)?
        let expected: [Caller: Int]
        /// Binary operations send their own media type.
        var contentType: String? = nil
        /// A body that is no text (an image).
        var bytes: [UInt8]? = nil
        /// A JSON body naming the world's ids (used instead of `body`).
        var worldBody: (@Sendable (World, Caller) -> String)? = nil
        /// The path for cells that name the staff's own records (a person, a disclosure request).
        var staffPath: (@Sendable (World, Staff) -> String)? = nil
        /// The world needs A's statement for last month (``World/statementA``).
        var seedsStatement = false
    }

    /// A real 2×2 PNG, for the logo.
    static let png = Array(Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGPkjv/PwMDAxMDAwMDAAAAQIgFtcyrlPwAAAABJRU5ErkJggg==")!)

    static func brandHost(_ caller: Caller) -> String { caller == .resellerB ? World.brandB.host : World.brandA.host }


    /// The employee a caller acts on: each allowed caller has its own, the rest probe the manager's.
    static func employee(_ world: World, _ caller: Caller) -> World.SeededEmployee {
        world.employees[caller == .resellerA ? "reseller" : "manager"]!
    }

    /// 401 for the two callers without a valid credential, then the given statuses.
    static func authenticated(_ statuses: [Caller: Int]) -> [Caller: Int] {
        statuses.merging([.anonymous: 401, .revokedKey: 401]) { _, unauthenticated in unauthenticated }
    }

    /// The platform's operator answers as the platform's key does unless told otherwise; finance and legal staff only where named.
    static func only(_ allowed: [Caller: Int], others: Int = 403) -> [Caller: Int] {
        var result = [Caller: Int]()
        for caller in Caller.allCases { result[caller] = allowed[caller] ?? others }
        if allowed[.operatorPerson] == nil, let platform = allowed[.platform] { result[.operatorPerson] = platform }
        return authenticated(result)
    }

    static let everyone = Caller.allCases

    static let cells: [Cell] = [
        Cell(operation: "getHealth", method: .get, path: { _, _ in "/health" }, body: nil,
             expected: Dictionary(uniqueKeysWithValues: everyone.map { ($0, 200) })),
        Cell(operation: "getReady", method: .get, path: { _, _ in "/ready" }, body: nil,
             expected: Dictionary(uniqueKeysWithValues: everyone.map { ($0, 200) })),
        // Prometheus scrapes without credentials; any Authorization header is ignored, as for the probes.
        Cell(operation: "getMetrics", method: .get, path: { _, _ in "/metrics" }, body: nil,
             expected: Dictionary(uniqueKeysWithValues: everyone.map { ($0, 200) })),
        Cell(operation: "getMe", method: .get, path: { _, _ in "/v1/me" }, body: nil,
             expected: only([.platform: 200, .telephony: 200, .resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200, .financePerson: 200, .legalPerson: 200])),
        // Logging in ignores any Authorization header: everyone with the right password gets a session.
        Cell(operation: "createSession", method: .post, path: { _, _ in "/v1/sessions" }, body: nil,
             expected: Dictionary(uniqueKeysWithValues: everyone.map { ($0, 201) })),
        Cell(operation: "deleteCurrentSession", method: .delete, path: { _, _ in "/v1/sessions/current" }, body: nil,
             expected: only([.managerA1: 204, .managerA2: 204, .operatorPerson: 204, .financePerson: 204, .legalPerson: 204])),
        Cell(operation: "createReseller", method: .post, path: { _, _ in "/v1/resellers" }, body: { _ in #"{"name":"New reseller"}"# },
             expected: only([.platform: 201])),
        Cell(operation: "listResellers", method: .get, path: { _, _ in "/v1/resellers" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "getReseller", method: .get, path: { w, _ in let world = w; return "/v1/resellers/\(world.resellerA)" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "getReseller (unknown id)", method: .get, path: { _, _ in "/v1/resellers/\(UUID().uuidString.lowercased())" }, body: nil,
             expected: only([.platform: 404])),
        Cell(operation: "updateReseller", method: .patch, path: { w, _ in let world = w; return "/v1/resellers/\(world.resellerA)" }, body: { _ in #"{"name":"Renamed"}"# },
             expected: only([.platform: 200])),
        Cell(operation: "createResellerApiKey", method: .post, path: { w, _ in let world = w; return "/v1/resellers/\(world.resellerWithoutKey)/api-keys" }, body: { _ in #"{"name":"k"}"# },
             // The operator is admitted, after the key's onboarding key exists (one per reseller).
             expected: only([.platform: 201, .operatorPerson: 409])),
        // Only the onboarding key: a second one would let the platform act as the reseller.
        Cell(operation: "createResellerApiKey (already onboarded)", method: .post, path: { w, _ in let world = w; return "/v1/resellers/\(world.resellerA)/api-keys" }, body: { _ in #"{"name":"k"}"# },
             expected: only([.platform: 409])),
        // Recovery only for a reseller without a live key: A still has its keys, C never had one.
        Cell(operation: "recoverResellerApiKey", method: .post, path: { w, _ in let world = w; return "/v1/resellers/\(world.resellerA)/api-keys/recovery" }, body: { _ in #"{"name":"k"}"# },
             expected: only([.platform: 409])),
        Cell(operation: "recoverResellerApiKey (never onboarded)", method: .post, path: { w, _ in let world = w; return "/v1/resellers/\(world.resellerWithoutKey)/api-keys/recovery" }, body: { _ in #"{"name":"k"}"# },
             expected: only([.platform: 409])),
        Cell(operation: "createApiKey", method: .post, path: { _, _ in "/v1/api-keys" }, body: { _ in #"{"name":"k"}"# },
             // The platform's own keys are its keys' business: a person's session never mints one.
             expected: only([.platform: 201, .resellerA: 201, .resellerB: 201, .operatorPerson: 403])),
        Cell(operation: "listApiKeys", method: .get, path: { _, _ in "/v1/api-keys" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200])),
        // A's key is foreign to the platform's own key list and to B: 404.
        Cell(operation: "revokeApiKey", method: .delete, path: { w, _ in let world = w; return "/v1/api-keys/\(world.resellerASpareKeyID)" }, body: nil,
             expected: only([.platform: 404, .resellerB: 404, .resellerA: 204, .operatorPerson: 403])),
        Cell(operation: "getBrand", method: .get, path: { _, _ in "/v1/brand" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200])),
        Cell(operation: "putBrand", method: .put, path: { _, _ in "/v1/brand" },
             body: { caller in (caller == .resellerB ? World.brandB : World.brandA).settingsJSON },
             expected: only([.resellerA: 200, .resellerB: 200])),
        Cell(operation: "putBrandLogo", method: .put, path: { _, _ in "/v1/brand/logo" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200]), contentType: "image/png", bytes: png),
        Cell(operation: "deleteBrandLogo", method: .delete, path: { _, _ in "/v1/brand/logo" }, body: nil,
             expected: only([.resellerA: 204, .resellerB: 204])),
        // The seeded hostnames are verified already: a check answers at once, without DNS.
        Cell(operation: "checkBrandHostname", method: .post, path: { _, c in "/v1/brand/hostnames/\(brandHost(c))/check" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200])),
        Cell(operation: "checkBrandHostname (another reseller's)", method: .post, path: { _, c in "/v1/brand/hostnames/\(c == .resellerB ? World.brandA.host : World.brandB.host)/check" },
             body: nil, expected: only([.resellerA: 404, .resellerB: 404])),
        // Platform staff read brands for support and verify hostnames by hand; they change nothing else.
        Cell(operation: "getResellerBrand", method: .get, path: { w, _ in "/v1/resellers/\(w.resellerA)/brand" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "verifyResellerHostname", method: .post, path: { w, _ in "/v1/resellers/\(w.resellerA)/hostnames/\(World.brandA.host)/verify" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "verifyResellerHostname (not claimed by that reseller)", method: .post,
             path: { w, _ in "/v1/resellers/\(w.resellerA)/hostnames/\(World.brandB.host)/verify" }, body: nil, expected: only([.platform: 404])),
        Cell(operation: "getDpaStatus", method: .get, path: { _, _ in "/v1/dpa" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200])),
        Cell(operation: "acceptDpa", method: .post, path: { _, _ in "/v1/dpa/acceptances" }, body: { _ in #"{"version":"2026-01"}"# },
             expected: only([.resellerA: 201, .resellerB: 201])),
        Cell(operation: "createCustomer", method: .post, path: { _, _ in "/v1/customers" }, body: { _ in #"{"name":"New customer"}"# },
             expected: only([.resellerA: 201, .resellerB: 201])),
        Cell(operation: "listCustomers", method: .get, path: { _, _ in "/v1/customers" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200])),
        Cell(operation: "getCustomer", method: .get, path: { w, _ in let world = w; return "/v1/customers/\(world.customerA1)" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 404, .managerA1: 200, .managerA2: 404])),
        Cell(operation: "getCustomer (other reseller's)", method: .get, path: { w, _ in let world = w; return "/v1/customers/\(world.customerB1)" }, body: nil,
             expected: only([.platform: 200, .resellerA: 404, .resellerB: 200, .managerA1: 404, .managerA2: 404])),
        Cell(operation: "updateCustomer", method: .patch, path: { w, _ in let world = w; return "/v1/customers/\(world.customerA1)" }, body: { _ in #"{"name":"Renamed ApS"}"# },
             expected: only([.resellerA: 200, .resellerB: 404])),
        Cell(operation: "terminateCustomer", method: .post, path: { w, _ in let world = w; return "/v1/customers/\(world.customerA1)/terminate" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 404])),
        Cell(operation: "reactivateCustomer", method: .post, path: { w, _ in let world = w; return "/v1/customers/\(world.customerA1)/reactivate" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 404])),
        Cell(operation: "createManager", method: .post, path: { w, _ in let world = w; return "/v1/customers/\(world.customerA1)/managers" },
             body: { #"{"email":"new-\#($0.rawValue)@a1.example","password":"correct horse battery","fullName":"New Manager"}"# },
             expected: only([.resellerA: 201, .resellerB: 404])),
        // The directory: the owning reseller and that company's managers; never the platform.
        Cell(operation: "createTelephonyKey", method: .post, path: { _, _ in "/v1/telephony-keys" }, body: { _ in #"{"name":"pbx"}"# },
             expected: only([.platform: 201])),
        Cell(operation: "listTelephonyKeys", method: .get, path: { _, _ in "/v1/telephony-keys" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "revokeTelephonyKey", method: .delete, path: { w, _ in let world = w; return "/v1/telephony-keys/\(world.spareTelephonyKeyID)" }, body: nil,
             expected: only([.platform: 204])),
        Cell(operation: "revokeTelephonyKey (unknown id)", method: .delete, path: { _, _ in "/v1/telephony-keys/\(UUID().uuidString.lowercased())" }, body: nil,
             expected: only([.platform: 404])),
        Cell(operation: "createEmployee", method: .post, path: { w, _ in "/v1/customers/\(w.customerA1)/employees" },
             body: { #"{"fullName":"New \#($0.rawValue)","extension":"\#(1000 + Caller.allCases.firstIndex(of: $0)!)"}"# },
             expected: only([.resellerA: 201, .managerA1: 201, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "listEmployees", method: .get, path: { w, _ in "/v1/customers/\(w.customerA1)/employees" }, body: nil,
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "getEmployee", method: .get, path: { w, c in "/v1/employees/\(employee(w, c).id)" }, body: nil,
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "updateEmployee", method: .patch, path: { w, c in "/v1/employees/\(employee(w, c).id)" }, body: { _ in #"{"fullName":"Renamed"}"# },
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "deleteEmployee", method: .delete, path: { w, c in "/v1/employees/\(employee(w, c).id)" }, body: nil,
             expected: only([.resellerA: 204, .managerA1: 204, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "assignNumber", method: .post, path: { w, c in "/v1/employees/\(employee(w, c).id)/numbers" },
             body: { #"{"number":"\#(World.stockA.numbers[SeededStock.firstFree + Caller.allCases.firstIndex(of: $0)!])"}"# },
             expected: only([.resellerA: 201, .managerA1: 201, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "releaseNumber", method: .delete, path: { w, c in "/v1/employees/\(employee(w, c).id)/numbers/\(employee(w, c).numberAssignment)" }, body: nil,
             expected: only([.resellerA: 204, .managerA1: 204, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "assignSim", method: .post, path: { w, c in "/v1/employees/\(employee(w, c).id)/sims" },
             body: { #"{"iccid":"\#(World.stockA.iccids[SeededStock.firstFree + Caller.allCases.firstIndex(of: $0)!])"}"# },
             expected: only([.resellerA: 201, .managerA1: 201, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "releaseSim", method: .delete, path: { w, c in "/v1/employees/\(employee(w, c).id)/sims/\(employee(w, c).simAssignment)" }, body: nil,
             expected: only([.resellerA: 204, .managerA1: 204, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "addFaxToMail", method: .post, path: { w, c in "/v1/employees/\(employee(w, c).id)/fax-to-mail" },
             body: { #"{"faxNumber":"\#(World.stockA.numbers[SeededStock.firstFree + 10 + Caller.allCases.firstIndex(of: $0)!])","deliveryEmail":"f@x.example"}"# },
             expected: only([.resellerA: 201, .managerA1: 201, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "removeFaxToMail", method: .delete, path: { w, c in "/v1/employees/\(employee(w, c).id)/fax-to-mail/\(employee(w, c).faxRoute)" }, body: nil,
             expected: only([.resellerA: 204, .managerA1: 204, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "restrictEmployee", method: .post, path: { w, c in "/v1/employees/\(employee(w, c).id)/restriction" }, body: { _ in #"{"reason":"disputed"}"# },
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "liftRestriction", method: .delete, path: { w, c in "/v1/employees/\(employee(w, c).id)/restriction" }, body: nil,
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "anonymiseEmployee", method: .post, path: { w, c in "/v1/employees/\(employee(w, c).id)/anonymise" }, body: nil,
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "offboardEmployee", method: .post, path: { w, c in "/v1/employees/\(employee(w, c).id)/offboard" }, body: { _ in "{}" },
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "offboardEmployee (scheduled)", method: .post, path: { w, c in "/v1/employees/\(employee(w, c).id)/offboard" },
             body: { _ in #"{"anonymiseOn":"2999-01-01"}"# }, expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        // Nothing is scheduled in a fresh world: the owners reach the operation and find none (LifecycleTests covers the rest).
        Cell(operation: "getScheduledAnonymisation", method: .get, path: { w, c in "/v1/employees/\(employee(w, c).id)/scheduled-anonymisation" }, body: nil,
             expected: only([.resellerA: 404, .managerA1: 404, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "cancelScheduledAnonymisation", method: .delete, path: { w, c in "/v1/employees/\(employee(w, c).id)/scheduled-anonymisation" }, body: nil,
             expected: only([.resellerA: 404, .managerA1: 404, .resellerB: 404, .managerA2: 404])),
        // The body cannot name a world's colleague, so owners get as far as `toEmployeeId/unknown` (422); strangers not past the employee (404).
        Cell(operation: "moveToColleague", method: .post, path: { w, c in "/v1/employees/\(employee(w, c).id)/move" },
             body: { _ in #"{"toEmployeeId":"00000000-0000-4000-8000-000000000001","extension":true}"# },
             expected: only([.resellerA: 422, .managerA1: 422, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "exportEmployee", method: .get, path: { w, c in "/v1/employees/\(employee(w, c).id)/export" }, body: nil,
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        // Staff CSV: the same callers as the directory; every caller's row takes its own extension.
        Cell(operation: "importEmployees", method: .post, path: { w, _ in "/v1/customers/\(w.customerA1)/employees/import" },
             body: { "fullName,extension\r\nNew \($0.rawValue),\(2000 + Caller.allCases.firstIndex(of: $0)!)\r\n" },
             expected: only([.resellerA: 201, .managerA1: 201, .resellerB: 404, .managerA2: 404]), contentType: "text/csv"),
        Cell(operation: "exportEmployeesCsv", method: .get, path: { w, _ in "/v1/customers/\(w.customerA1)/employees/export.csv" }, body: nil,
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "listContent", method: .get, path: { w, c in "/v1/employees/\(employee(w, c).id)/content" }, body: nil,
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "downloadContent", method: .get, path: { w, c in "/v1/employees/\(employee(w, c).id)/content/\(employee(w, c).voicemail)" }, body: nil,
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "putPicture", method: .put, path: { w, c in "/v1/employees/\(employee(w, c).id)/picture" }, body: { _ in "PNG-bytes" },
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404]), contentType: "image/png"),
        // Telephony stores content and can do nothing else; nobody else may pose as telephony.
        Cell(operation: "storeContent", method: .post, path: { w, _ in "/v1/telephony/employees/\(w.employees["manager"]!.id)/content?kind=recording" },
             body: { _ in "RIFF-recording" }, expected: only([.telephony: 201]), contentType: "audio/wav"),
        Cell(operation: "storeContent (unknown employee)", method: .post, path: { _, _ in "/v1/telephony/employees/\(UUID().uuidString.lowercased())/content?kind=voicemail" },
             body: { _ in "RIFF" }, expected: only([.telephony: 404]), contentType: "audio/wav"),
        // Platform traffic data: platform staff only; usage totals: the reseller and its managers.
        Cell(operation: "ingestCdrs", method: .post, path: { _, _ in "/v1/platform/cdrs" },
             body: { _ in #"{"kind":"data","aNumber":"+4512345678","startedAt":"\#(ISO8601DateFormatter().string(from: Date()))","bytes":1}"# },
             expected: only([.platform: 201]), contentType: "application/x-ndjson"),
        Cell(operation: "ingestTelemetry", method: .post, path: { _, _ in "/v1/platform/telemetry" },
             body: { _ in #"{"type":"cell.attach","node":"enb-1","occurredAt":"\#(ISO8601DateFormatter().string(from: Date()))"}"# },
             expected: only([.platform: 201]), contentType: "application/x-ndjson"),
        Cell(operation: "listCdrs", method: .get, path: { _, _ in "/v1/platform/cdrs?number=%2B4512345678" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "getTrafficAnalytics", method: .get, path: { _, _ in "/v1/platform/analytics/traffic?from=2026-11-01&to=2026-11-30" }, body: nil,
             expected: only([.platform: 200])),
        // Inventory: the platform allocates and reclaims; the reseller and its managers see their stock.
        Cell(operation: "allocateNumberBlock", method: .post, path: { w, _ in "/v1/resellers/\(w.resellerA)/number-blocks" },
             body: { #"{"first":"+45910\#(Caller.allCases.firstIndex(of: $0)!)0000","count":10}"# }, expected: only([.platform: 201])),
        Cell(operation: "listNumberBlocks", method: .get, path: { w, _ in "/v1/resellers/\(w.resellerA)/number-blocks" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "reclaimNumberBlock", method: .post, path: { w, _ in "/v1/resellers/\(w.resellerA)/number-blocks/\(w.numberBlockA)/reclaim" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "allocateSimBatch", method: .post, path: { w, _ in "/v1/resellers/\(w.resellerA)/sim-batches" },
             body: { #"{"iccids":["\#(World.iccid(seed: "9\(Caller.allCases.firstIndex(of: $0)!)00"))"]}"# }, expected: only([.platform: 201])),
        Cell(operation: "listSimBatches", method: .get, path: { w, _ in "/v1/resellers/\(w.resellerA)/sim-batches" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "reclaimSimBatch", method: .post, path: { w, _ in "/v1/resellers/\(w.resellerA)/sim-batches/\(w.simBatchA)/reclaim" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "getInventoryUtilisation", method: .get, path: { _, _ in "/v1/platform/inventory" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "listNumbers", method: .get, path: { _, _ in "/v1/numbers?state=available" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200])),
        Cell(operation: "listSims", method: .get, path: { _, _ in "/v1/sims" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200])),
        // Each sees its own rules and runs; only a reseller sets its voicemail period.
        Cell(operation: "getRetentionPolicy", method: .get, path: { _, _ in "/v1/retention-policy" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200])),
        Cell(operation: "setVoicemailRetention", method: .put, path: { _, _ in "/v1/retention-policy/voicemails" }, body: { _ in #"{"retentionDays":60}"# },
             expected: only([.resellerA: 200, .resellerB: 200])),
        Cell(operation: "listRetentionRuns", method: .get, path: { _, _ in "/v1/retention-runs" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200])),
        Cell(operation: "getUsage", method: .get, path: { _, _ in "/v1/usage?month=2026-11" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200])),
        // Data-subject requests: processor scope. Strangers never get past the case (404); the manager acts
        // before the reseller, so a one-way step leaves the reseller a 409.
        Cell(operation: "openDataSubjectRequest", method: .post, path: { _, _ in "/v1/data-subject-requests" }, body: nil,
             expected: only([.resellerA: 201, .managerA1: 201, .resellerB: 404, .managerA2: 404]),
             worldBody: { w, _ in #"{"customerId":"\#(w.customerA1)","extension":"110","fullName":"Staff reseller","right":"erasure"}"# }),
        Cell(operation: "listDataSubjectRequests", method: .get, path: { _, _ in "/v1/data-subject-requests?due=overdue" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200])),
        Cell(operation: "countDataSubjectRequests", method: .get, path: { _, _ in "/v1/data-subject-request-counts" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200])),
        Cell(operation: "getDataSubjectRequest", method: .get, path: { w, _ in "/v1/data-subject-requests/\(w.dataSubjectRequestA)" }, body: nil,
             expected: only([.resellerA: 200, .managerA1: 200, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "extendDataSubjectRequest", method: .post, path: { w, _ in "/v1/data-subject-requests/\(w.dataSubjectRequestA)/extension" },
             body: { _ in #"{"months":2,"reason":"Recordings must be collected from three sites."}"# },
             expected: only([.managerA1: 200, .resellerA: 409, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "startDataSubjectRequest", method: .post, path: { w, _ in "/v1/data-subject-requests/\(w.dataSubjectRequestA)/start" }, body: nil,
             expected: only([.managerA1: 200, .resellerA: 409, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "refuseDataSubjectRequest", method: .post, path: { w, _ in "/v1/data-subject-requests/\(w.dataSubjectRequestA)/refuse" },
             body: { _ in #"{"reason":"Manifestly unfounded."}"# }, expected: only([.managerA1: 200, .resellerA: 409, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "withdrawDataSubjectRequest", method: .post, path: { w, _ in "/v1/data-subject-requests/\(w.dataSubjectRequestA)/withdraw" },
             body: { _ in "{}" }, expected: only([.managerA1: 200, .resellerA: 409, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "fulfilDataSubjectRequest", method: .post, path: { w, _ in "/v1/data-subject-requests/\(w.dataSubjectRequestA)/fulfil" },
             body: { _ in "{}" }, expected: only([.managerA1: 200, .resellerA: 409, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "forwardTrafficDataRequest", method: .post, path: { w, _ in "/v1/data-subject-requests/\(w.dataSubjectRequestA)/traffic-data" },
             body: { _ in #"{"numbers":["+4570100000"],"from":"2026-11-01","to":"2026-11-30"}"# },
             expected: only([.managerA1: 201, .resellerA: 201, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "listTrafficDataRequests", method: .get, path: { _, _ in "/v1/platform/traffic-data-requests?answered=false" }, body: nil,
             expected: only([.platform: 200, .legalPerson: 200])),
        Cell(operation: "answerTrafficDataRequest", method: .post, path: { _, _ in "/v1/platform/traffic-data-requests/\(UUID().uuidString.lowercased())/answer" },
             body: { _ in #"{"answer":"No records held."}"# }, expected: only([.platform: 404, .legalPerson: 404])),
        // Anyone may verify a receipt: the public keys need no credential.
        Cell(operation: "getReceiptPublicKeys", method: .get, path: { _, _ in "/v1/receipts/public-key" }, body: nil,
             expected: Dictionary(uniqueKeysWithValues: everyone.map { ($0, 200) })),
        Cell(operation: "getReceipt (unknown id)", method: .get, path: { _, _ in "/v1/receipts/\(UUID().uuidString.lowercased())" }, body: nil,
             expected: only([.resellerA: 404, .managerA1: 404, .resellerB: 404, .managerA2: 404])),
        Cell(operation: "listAuditEvents", method: .get, path: { _, _ in "/v1/audit-events?limit=5" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200, .financePerson: 200, .legalPerson: 200])),
        Cell(operation: "getProcessingRecords", method: .get, path: { _, _ in "/v1/processing-records" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200])),
        Cell(operation: "listSubProcessors", method: .get, path: { _, _ in "/v1/sub-processors" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200, .financePerson: 200, .legalPerson: 200])),
        Cell(operation: "addSubProcessor", method: .post, path: { _, _ in "/v1/platform/sub-processors" },
             body: { _ in #"{"name":"Nordic Cloud A/S","service":"hosting","location":"EU (Denmark)","transferBasis":"none (EEA)","engagedFrom":"2027-02-01"}"# },
             expected: only([.platform: 201])),
        Cell(operation: "withdrawSubProcessor (unknown id)", method: .post,
             path: { _, _ in "/v1/platform/sub-processors/\(UUID().uuidString.lowercased())/withdrawal" },
             body: { _ in #"{"engagedUntil":"2027-06-30"}"# }, expected: only([.platform: 404])),
        // Webhooks are the reseller's own: another reseller's subscription is 404.
        Cell(operation: "createWebhook", method: .post, path: { _, _ in "/v1/webhooks" }, body: { _ in #"{"url":"https://93.184.215.14/events"}"# },
             expected: only([.resellerA: 201, .resellerB: 201])),
        Cell(operation: "listWebhooks", method: .get, path: { _, _ in "/v1/webhooks" }, body: nil, expected: only([.resellerA: 200, .resellerB: 200])),
        Cell(operation: "getWebhook", method: .get, path: { w, _ in "/v1/webhooks/\(w.webhookA)" }, body: nil, expected: only([.resellerA: 200, .resellerB: 404])),
        Cell(operation: "listWebhookDeliveries", method: .get, path: { w, _ in "/v1/webhooks/\(w.webhookA)/deliveries" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 404])),
        Cell(operation: "redeliverWebhook (unknown delivery)", method: .post,
             path: { w, _ in "/v1/webhooks/\(w.webhookA)/deliveries/\(UUID().uuidString.lowercased())/redeliver" }, body: nil,
             expected: only([.resellerA: 404, .resellerB: 404])),
        Cell(operation: "deleteWebhook", method: .delete, path: { w, _ in "/v1/webhooks/\(w.webhookA)" }, body: nil, expected: only([.resellerA: 204, .resellerB: 404])),
        // Platform staff: signing in ignores any Authorization header; only a platform key manages accounts.
        Cell(operation: "createPlatformSession", method: .post, path: { _, _ in "/v1/platform/sessions" }, body: nil,
             expected: Dictionary(uniqueKeysWithValues: everyone.map { ($0, 201) })),
        Cell(operation: "createPlatformStaff", method: .post, path: { _, _ in "/v1/platform/staff" },
             body: { caller in #"{"email":"new-\#(caller.rawValue.lowercased())@platform.example","fullName":"New Person","password":"a long enough password","duties":["finance"]}"# },
             expected: only([.platform: 201, .operatorPerson: 403])),
        Cell(operation: "listPlatformStaff", method: .get, path: { _, _ in "/v1/platform/staff" }, body: nil, expected: only([.platform: 200])),
        Cell(operation: "updatePlatformStaff", method: .put, path: { _, _ in "" }, body: { _ in #"{"fullName":"Matrix Finance","duties":["finance"],"status":"active"}"# },
             expected: only([.platform: 200, .operatorPerson: 403]), staffPath: { _, staff in "/v1/platform/staff/\(staff.finance.id)" }),
        // Fraud: the operators' (and keys'); the reseller reads its own alerts.
        Cell(operation: "listDestinationPrefixes", method: .get, path: { _, _ in "/v1/platform/destination-prefixes" }, body: nil, expected: only([.platform: 200])),
        Cell(operation: "putDestinationPrefix", method: .put, path: { _, _ in "/v1/platform/destination-prefixes/4599" }, body: { _ in #"{"class":"high-risk"}"# },
             expected: only([.platform: 200])),
        Cell(operation: "deleteDestinationPrefix (unknown prefix)", method: .delete, path: { _, _ in "/v1/platform/destination-prefixes/4599999" }, body: nil,
             expected: only([.platform: 404])),
        Cell(operation: "listFraudRules", method: .get, path: { _, _ in "/v1/platform/fraud-rules" }, body: nil, expected: only([.platform: 200])),
        Cell(operation: "updateFraudRule", method: .put, path: { _, _ in "/v1/platform/fraud-rules/high-cost-burst" },
             body: { _ in #"{"enabled":true,"windowMinutes":60,"warningAt":10,"criticalAt":30,"warningCost":"100","criticalCost":"500"}"# }, expected: only([.platform: 200])),
        Cell(operation: "setFraudRuleOverride", method: .put, path: { w, _ in "/v1/platform/fraud-rules/distinct-destinations/resellers/\(w.resellerA)" },
             body: { _ in #"{"enabled":true,"windowMinutes":60,"warningAt":80,"criticalAt":200}"# }, expected: only([.platform: 200])),
        Cell(operation: "deleteFraudRuleOverride (none set)", method: .delete, path: { w, _ in "/v1/platform/fraud-rules/distinct-destinations/resellers/\(w.resellerB)" },
             body: nil, expected: only([.platform: 404])),
        Cell(operation: "dryRunFraudRule", method: .post, path: { _, _ in "/v1/platform/fraud-rules/short-call-flood/dry-run" },
             body: { _ in #"{"from":"2026-11-01T00:00:00Z","to":"2026-11-20T00:00:00Z"}"# }, expected: only([.platform: 200])),
        Cell(operation: "listPlatformFraudAlerts", method: .get, path: { _, _ in "/v1/platform/fraud-alerts?state=open" }, body: nil, expected: only([.platform: 200])),
        Cell(operation: "acknowledgeFraudAlert (unknown id)", method: .post, path: { _, _ in "/v1/platform/fraud-alerts/\(UUID().uuidString.lowercased())/acknowledge" },
             body: nil, expected: only([.platform: 404])),
        Cell(operation: "resolveFraudAlert (unknown id)", method: .post, path: { _, _ in "/v1/platform/fraud-alerts/\(UUID().uuidString.lowercased())/resolve" },
             body: { _ in #"{"resolution":"False positive."}"# }, expected: only([.platform: 404])),
        Cell(operation: "listFraudAlerts", method: .get, path: { _, _ in "/v1/fraud-alerts" }, body: nil, expected: only([.resellerA: 200, .resellerB: 200])),
        // Lawful disclosure: legal reviewers only, as people (a key never holds the duty).
        Cell(operation: "recordDisclosureRequest", method: .post, path: { _, _ in "/v1/platform/disclosures" },
             body: { _ in #"{"authority":"Politiet","country":"DK","caseReference":"M-2","legalBasis":"§ 804","ipAddresses":["10.0.0.1"],"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z"}"# },
             expected: only([.legalPerson: 201])),
        Cell(operation: "listDisclosureRequests", method: .get, path: { _, _ in "/v1/platform/disclosures?state=pending" }, body: nil, expected: only([.legalPerson: 200])),
        Cell(operation: "getDisclosureRequest", method: .get, path: { _, _ in "" }, body: nil, expected: only([.legalPerson: 200]),
             staffPath: { _, staff in "/v1/platform/disclosures/\(staff.disclosure)" }),
        Cell(operation: "approveDisclosureRequest", method: .post, path: { _, _ in "" }, body: { _ in #"{"reason":"Lawful and precise."}"# },
             expected: only([.legalPerson: 200]), staffPath: { _, staff in "/v1/platform/disclosures/\(staff.disclosure)/approve" }),
        Cell(operation: "refuseDisclosureRequest", method: .post, path: { _, _ in "" }, body: { _ in #"{"reason":"Not precise."}"# },
             expected: only([.legalPerson: 200]), staffPath: { _, staff in "/v1/platform/disclosures/\(staff.disclosure)/refuse" }),
        // Pending: never exported before approval.
        Cell(operation: "exportDisclosure", method: .get, path: { _, _ in "" }, body: nil, expected: only([.legalPerson: 409]),
             staffPath: { _, staff in "/v1/platform/disclosures/\(staff.disclosure)/export" }),
        // Settlement: the platform issues and corrects; a reseller reads its own statements, another reseller's is 404.
        Cell(operation: "issueStatements", method: .post, path: { _, _ in "/v1/platform/statements" }, body: nil,
             expected: only([.platform: 201, .operatorPerson: 403, .financePerson: 409]), worldBody: { w, _ in #"{"resellerId":"\#(w.resellerB)","month":"\#(World.lastMonth)"}"# }),
        Cell(operation: "issueStatements (every active reseller)", method: .post, path: { _, _ in "/v1/platform/statements" },
             body: { _ in #"{"month":"\#(World.lastMonth)"}"# }, expected: only([.platform: 200, .operatorPerson: 403, .financePerson: 200])),
        Cell(operation: "issueStatements (already issued)", method: .post, path: { _, _ in "/v1/platform/statements" }, body: nil,
             expected: only([.platform: 409, .operatorPerson: 403, .financePerson: 409]), worldBody: { w, _ in #"{"resellerId":"\#(w.resellerA)","month":"\#(World.lastMonth)"}"# }, seedsStatement: true),
        Cell(operation: "listStatements", method: .get, path: { _, _ in "/v1/statements?limit=5" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200, .operatorPerson: 403, .financePerson: 200]), seedsStatement: true),
        Cell(operation: "getStatement", method: .get, path: { w, _ in "/v1/statements/\(w.statementA!)" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 404, .operatorPerson: 403, .financePerson: 200]), seedsStatement: true),
        Cell(operation: "getStatement (csv)", method: .get, path: { w, _ in "/v1/statements/\(w.statementA!)?format=csv" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 404, .operatorPerson: 403, .financePerson: 200]), seedsStatement: true),
        Cell(operation: "addStatementNote", method: .post, path: { w, _ in "/v1/platform/statements/\(w.statementA!)/notes" },
             body: { _ in #"{"kind":"credit-note","reason":"Goodwill","lines":[{"description":"Outage credit","amount":"10.00"}]}"# },
             expected: only([.platform: 201, .operatorPerson: 403, .financePerson: 201]), seedsStatement: true),
        Cell(operation: "addStatementNote (unknown id)", method: .post, path: { _, _ in "/v1/platform/statements/\(UUID().uuidString.lowercased())/notes" },
             body: { _ in #"{"kind":"debit-note","reason":"Late CDRs","lines":[{"description":"Roaming","amount":"1.5"}]}"# },
             expected: only([.platform: 404, .operatorPerson: 403, .financePerson: 404])),
        Cell(operation: "getPriceList", method: .get, path: { _, _ in "/v1/platform/price-list" }, body: nil, expected: only([.platform: 200, .operatorPerson: 403, .financePerson: 200])),
        Cell(operation: "putPriceList", method: .put, path: { _, _ in "/v1/platform/price-list" },
             body: { _ in #"{"currency":"DKK","numberMonthly":"12.50","simMonthly":null,"vatRate":"0.25"}"# }, expected: only([.platform: 200, .operatorPerson: 403, .financePerson: 200])),
    ]

    func testEveryOperationForEveryCaller() async throws {
        var failures: [String] = []
        var cellCount = 0
        for cell in Self.cells {
            let database = try await TestCluster.shared.migratedDatabase()
            let cellFailures = try await withTestApp(database) { client -> [String] in
                var failures: [String] = []
                var world = try await World.build(client, database: database)
                if cell.seedsStatement { world.statementA = try await world.issueStatementA(client) }
                let staff = try await Staff.make(client)
                // The owners act last, so a cell that changes state (revoke, terminate, log out) cannot affect another caller's cell.
                for caller in Caller.allCases {
                    let token: String? = switch caller {
                    case .anonymous: nil
                    case .revokedKey: world.revokedKey
                    case .platform: world.platformKey
                    case .resellerA: world.resellerAKey
                    case .resellerB: world.resellerBKey
                    case .managerA1: world.managerA1Token
                    case .managerA2: world.managerA2Token
                    case .telephony: world.telephonyKey
                    case .operatorPerson: staff.operatorPerson.token
                    case .financePerson: staff.finance.token
                    case .legalPerson: staff.legal.token
                    }
                    let body = switch cell.operation {
                    case "createSession": #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#
                    case "createPlatformSession": #"{"email":"\#(staff.legal.email)","password":"\#(PlatformStaffAccounts.password)"}"#
                    default: cell.worldBody?(world, caller) ?? cell.body?(caller)
                    }
                    let path = cell.staffPath?(world, staff) ?? cell.path(world, caller)
                    var headers: HTTPFields = cell.contentType.map { [.contentType: $0] } ?? [:]
                    if cell.method == .patch {
                        // Every PATCH needs If-Match; the current ETag, as the owner reads it, so only the role decides.
                        headers[.ifMatch] = try await client.currentETag(path, token: path.hasPrefix("/v1/resellers/") ? world.platformKey : world.resellerAKey)
                    }
                    let reply = if let bytes = cell.bytes {
                        try await client.call(cell.method, path, token: token, bytes: bytes, headers: headers)
                    } else {
                        try await client.call(cell.method, path, token: token, json: body, headers: headers)
                    }
                    let expected = cell.expected[caller]!
                    if reply.status.code != expected {
                        failures.append("\(cell.operation) as \(caller): expected \(expected), got \(reply.status.code) \(reply.body.prefix(200))")
                    }
                    if reply.status.code >= 400 {
                        XCTAssertEqual(reply.headers[.contentType], "application/problem+json", "\(cell.operation) as \(caller)")
                    }
                }
                return failures
            }
            failures += cellFailures
            cellCount += Caller.allCases.count
        }
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
        XCTAssertEqual(cellCount, Self.cells.count * Caller.allCases.count)
        print("access matrix: \(Self.cells.count) rows × \(Caller.allCases.count) callers = \(cellCount) cells")
    }

    /// The matrix covers every operation the contract declares.
    func testMatrixCoversEveryOperationInTheContract() throws {
        let spec = try String(contentsOf: TestCluster.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let declared = Set(spec.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("operationId:") else { return nil }
            return trimmed.dropFirst("operationId:".count).trimmingCharacters(in: .whitespaces)
        })
        let covered = Set(Self.cells.map { String($0.operation.split(separator: " ").first!) })
        XCTAssertEqual(declared.subtracting(covered), [], "operations missing from the access matrix")
        XCTAssertGreaterThanOrEqual(declared.count, 21)
    }
}
