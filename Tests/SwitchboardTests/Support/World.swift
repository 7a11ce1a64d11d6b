import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import SwitchboardAPI
import SwitchboardDomain
import SwitchboardStore

/// A JSON call through the test client: status and decoded object (empty for no body).
struct Reply: Sendable {
    let status: HTTPResponse.Status
    let body: String
    let headers: HTTPFields

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }

    func string(_ key: String) throws -> String {
        guard let value = json[key] as? String else { throw TestFailure("no '\(key)' in \(status.code) \(body)") }
        return value
    }

    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }

    /// The problem's `errors` as `field/rule` pairs.
    var fieldRules: Set<String> {
        Set(((json["errors"] as? [[String: Any]]) ?? []).map { "\($0["field"] as? String ?? "")/\($0["rule"] as? String ?? "")" })
    }
}

/// Numbers and SIM cards the platform allocates to a reseller when the world is built.
struct SeededStock: Sendable {
    let firstNumber: String
    let numberCount: Int
    let iccidSeedBase: Int
    let simCount: Int

    var numbers: [String] { NumberRange.numbers(from: firstNumber, count: numberCount)! }
    var iccids: [String] { (0..<simCount).map { World.iccid(seed: String(iccidSeedBase + $0)) } }
    /// The first index of stock no seeded employee holds (World takes 4 numbers and 2 SIM cards of A's).
    static let firstFree = 4
}

extension World {
    static let stockA = SeededStock(firstNumber: "+4570100000", numberCount: 100, iccidSeedBase: 100_000, simCount: 20)
    static let stockB = SeededStock(firstNumber: "+4580100000", numberCount: 100, iccidSeedBase: 200_000, simCount: 20)

    /// A valid ICCID (Luhn) built from `seed`.
    static func iccid(seed: String) -> String {
        let payload = "894510" + String(repeating: "0", count: 12 - min(12, seed.count)) + seed.suffix(12)
        return payload + String(Luhn.checkDigit(for: payload))
    }
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            Reply(status: response.status, body: String(buffer: response.body), headers: response.headers)
        }
    }
}

extension TestClientProtocol {
    /// A request whose body is bytes (an image), with the content type in `headers`.
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, bytes: [UInt8], headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: bytes)) { response in
            Reply(status: response.status, body: String(buffer: response.body), headers: response.headers)
        }
    }
}

/// Two resellers and their customers, seeded through the API as real clients would.
///
/// Reseller A has customers A1 and A2, each with a logged-in manager; reseller B has customer B1.
/// Both accepted the DPA. `revokedKey` was one of A's keys.
struct World: Sendable {
    static let bootstrapToken = "sbp_test_platform_admin_token_0001"

    let platformKey: String
    let resellerA: String
    let resellerAKey: String
    let resellerASpareKeyID: String
    let resellerB: String
    let resellerBKey: String
    /// Onboarded by the platform but without its first key yet.
    let resellerWithoutKey: String
    /// The number block and SIM batch the platform allocated to A (`stockA`).
    let numberBlockA: String
    let simBatchA: String
    let customerA1: String
    let customerA2: String
    let customerB1: String
    let managerA1Email: String
    let managerA1Token: String
    let managerA2Token: String
    let revokedKey: String
    let telephonyKey: String
    /// A second telephony key, for operations that revoke one.
    let spareTelephonyKeyID: String
    /// Employees of customer A1, one for each caller allowed to change them, so destructive
    /// operations by one never change what the other finds.
    let employees: [String: SeededEmployee]
    /// A's open access request for the manager-owned employee of A1, and A's webhook subscription.
    let dataSubjectRequestA: String
    let webhookA: String
    /// A's settlement statement for last month, when a test asked for one (``issueStatementA(_:)``):
    /// not built by default, since issuing writes to A's trail and webhook outbox.
    var statementA: String? = nil

    struct SeededEmployee: Sendable {
        let id: String
        let numberAssignment: String
        let simAssignment: String
        let faxRoute: String
        let voicemail: String
    }

    static let password = "correct horse battery staple"

    /// A seeded brand: its verified portal hostname and what its managers see.
    struct SeededBrand: Sendable {
        let host: String
        let displayName: String
        let language: String

        var settingsJSON: String {
            ##"{"displayName":"\##(displayName)","primaryColor":"#0b5fff","accentColor":"#ffcc00","supportEmail":"help@\##(host)","##
                + #""supportPhone":"+4570000000","supportUrl":"https://\#(host)/help","defaultLanguage":"\#(language)","hostnames":["\#(host)"]}"#
        }
    }

    static let brandA = SeededBrand(host: "portal.reseller-a.test", displayName: "Aurora Mobil", language: "da")
    static let brandB = SeededBrand(host: "portal.reseller-b.test", displayName: "Bølge Telecom", language: "en")

    static func build(_ client: some TestClientProtocol, database: TestDatabase) async throws -> World {
        let platformKey = bootstrapToken
        let client = client
        _ = try await database.withRunningApplicationClient { pool in
            try await PlatformBootstrap.ensureAdminKey(database: ScopedDatabase(client: pool), token: platformKey, logger: TestCluster.logger)
        }

        func created(_ reply: Reply, _ what: String) throws -> Reply {
            guard reply.status == .created else { throw TestFailure("seeding \(what): \(reply.status.code) \(reply.body)") }
            return reply
        }
        func reseller(_ name: String) async throws -> (id: String, key: String) {
            let id = try created(try await client.call(.post, "/v1/resellers", token: platformKey, json: #"{"name":"\#(name)"}"#), name).string("id")
            let key = try created(try await client.call(.post, "/v1/resellers/\(id)/api-keys", token: platformKey, json: #"{"name":"main"}"#), "key").string("secret")
            _ = try created(try await client.call(.post, "/v1/dpa/acceptances", token: key, json: #"{"version":"2026-01"}"#), "dpa")
            return (id, key)
        }
        func customer(_ name: String, key: String) async throws -> String {
            try created(try await client.call(.post, "/v1/customers", token: key, json: #"{"name":"\#(name)"}"#), name).string("id")
        }
        func manager(_ customer: String, email: String, key: String) async throws -> String {
            _ = try created(try await client.call(.post, "/v1/customers/\(customer)/managers", token: key,
                                                  json: #"{"email":"\#(email)","password":"\#(password)","fullName":"Manager \#(email)"}"#), email)
            return try created(try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(email)","password":"\#(password)"}"#), "login").string("token")
        }

        let unkeyed = try created(try await client.call(.post, "/v1/resellers", token: platformKey, json: #"{"name":"Reseller C"}"#), "C").string("id")
        let (a, aKey) = try await reseller("Reseller A")
        let (b, bKey) = try await reseller("Reseller B")
        // Each reseller's brand, served on a hostname the platform verified.
        for (reseller, key, brand) in [(a, aKey, World.brandA), (b, bKey, World.brandB)] {
            let put = try await client.call(.put, "/v1/brand", token: key, json: brand.settingsJSON)
            guard put.status == .ok else { throw TestFailure("seeding brand: \(put.status.code) \(put.body)") }
            let verified = try await client.call(.post, "/v1/resellers/\(reseller)/hostnames/\(brand.host)/verify", token: platformKey)
            guard verified.status == .ok else { throw TestFailure("verifying hostname: \(verified.status.code) \(verified.body)") }
        }
        let spare = try created(try await client.call(.post, "/v1/api-keys", token: aKey, json: #"{"name":"spare"}"#), "spare").string("id")
        let revoked = try created(try await client.call(.post, "/v1/api-keys", token: aKey, json: #"{"name":"old"}"#), "old")
        guard try await client.call(.delete, "/v1/api-keys/\(try revoked.string("id"))", token: aKey).status == .noContent else {
            throw TestFailure("could not revoke")
        }
        // Each reseller's stock: numbers and SIM cards are assigned only from it.
        var allocations: [(block: String, batch: String)] = []
        for (reseller, stock) in [(a, World.stockA), (b, World.stockB)] {
            let block = try created(try await client.call(.post, "/v1/resellers/\(reseller)/number-blocks", token: platformKey,
                                                          json: #"{"first":"\#(stock.firstNumber)","count":\#(stock.numberCount)}"#), "number block").string("id")
            let iccids = stock.iccids.map { "\"\($0)\"" }.joined(separator: ",")
            let batch = try created(try await client.call(.post, "/v1/resellers/\(reseller)/sim-batches", token: platformKey, json: #"{"iccids":[\#(iccids)]}"#), "SIM batch").string("id")
            allocations.append((block, batch))
        }
        let a1 = try await customer("A1 ApS", key: aKey)
        let a2 = try await customer("A2 ApS", key: aKey)
        let b1 = try await customer("B1 ApS", key: bKey)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let a1Email = "m1-\(suffix)@a1.example"
        let m1 = try await manager(a1, email: a1Email, key: aKey)
        let m2 = try await manager(a2, email: "m2-\(suffix)@a2.example", key: aKey)
        let telephony = try created(try await client.call(.post, "/v1/telephony-keys", token: platformKey, json: #"{"name":"pbx"}"#), "telephony").string("secret")
        let spareTelephony = try created(try await client.call(.post, "/v1/telephony-keys", token: platformKey, json: #"{"name":"spare pbx"}"#), "telephony").string("id")

        var employees: [String: SeededEmployee] = [:]
        for (index, owner) in ["manager", "reseller"].enumerated() {
            let employee = try created(try await client.call(.post, "/v1/customers/\(a1)/employees", token: aKey,
                                                             json: #"{"fullName":"Staff \#(owner)","extension":"1\#(index)0"}"#), "employee")
            let id = try employee.string("id")
            // The seeded employees take the first numbers and SIM cards of A's stock; tests take theirs after `firstFree`.
            let number = World.stockA.numbers[index * 2]
            let withNumber = try created(try await client.call(.post, "/v1/employees/\(id)/numbers", token: aKey, json: #"{"number":"\#(number)"}"#), "number")
            let iccid = World.stockA.iccids[index]
            let withSim = try created(try await client.call(.post, "/v1/employees/\(id)/sims", token: aKey, json: #"{"iccid":"\#(iccid)"}"#), "sim")
            let faxNumber = World.stockA.numbers[index * 2 + 1]
            let withFax = try created(try await client.call(.post, "/v1/employees/\(id)/fax-to-mail", token: aKey,
                                                            json: #"{"faxNumber":"\#(faxNumber)","deliveryEmail":"fax@a1.example"}"#), "fax")
            let voicemail = try created(try await client.execute(
                uri: "/v1/telephony/employees/\(id)/content?kind=voicemail", method: .post,
                headers: [.authorization: "Bearer \(telephony)", .contentType: "audio/wav"], body: ByteBuffer(string: "RIFF-voicemail")
            ) { Reply(status: $0.status, body: String(buffer: $0.body), headers: $0.headers) }, "voicemail").string("id")
            func firstID(_ reply: Reply, _ key: String) throws -> String {
                guard let item = (reply.json[key] as? [[String: Any]])?.first, let value = item["id"] as? String else { throw TestFailure("no \(key)") }
                return value
            }
            employees[owner] = SeededEmployee(id: id, numberAssignment: try firstID(withNumber, "numbers"), simAssignment: try firstID(withSim, "sims"),
                                              faxRoute: try firstID(withFax, "faxToMail"), voicemail: voicemail)
        }
        let request = try created(try await client.call(.post, "/v1/data-subject-requests", token: aKey,
                                                        json: #"{"customerId":"\#(a1)","extension":"100","fullName":"Staff manager","right":"access"}"#), "case").string("id")
        // A public address literal: registration checks it without DNS, and no delivery job runs in tests that do not start one.
        let webhook = try created(try await client.call(.post, "/v1/webhooks", token: aKey, json: #"{"url":"https://93.184.215.14/hooks"}"#), "webhook")
        let webhookID = try (webhook.json["webhook"] as? [String: Any])?["id"] as? String ?? { throw TestFailure("no webhook id") }()
        return World(
            platformKey: platformKey, resellerA: a, resellerAKey: aKey, resellerASpareKeyID: spare, resellerB: b, resellerBKey: bKey, resellerWithoutKey: unkeyed,
            numberBlockA: allocations[0].block, simBatchA: allocations[0].batch,
            customerA1: a1, customerA2: a2, customerB1: b1, managerA1Email: a1Email, managerA1Token: m1, managerA2Token: m2,
            revokedKey: try revoked.string("secret"), telephonyKey: telephony, spareTelephonyKeyID: spareTelephony, employees: employees,
            dataSubjectRequestA: request, webhookA: webhookID
        )
    }
}

extension World {
    /// The last completed UTC month, the newest a statement may cover.
    static var lastMonth: String { SettlementMonth.containing(Date()).adding(months: -1).description }

    /// Issues reseller A's statement for last month (no traffic: a statement of zero) and returns its id.
    func issueStatementA(_ client: some TestClientProtocol) async throws -> String {
        let reply = try await client.call(.post, "/v1/platform/statements", token: platformKey, json: #"{"resellerId":"\#(resellerA)","month":"\#(World.lastMonth)"}"#)
        guard reply.status == .created else { throw TestFailure("issuing A's statement: \(reply.status.code) \(reply.body)") }
        return try reply.string("id")
    }

    /// Stores content as the telephony platform and returns its id.
    func storeContent(_ kind: String, _ bytes: String, for employee: String, _ client: some TestClientProtocol) async throws -> String {
        let reply = try await client.call(.post, "/v1/telephony/employees/\(employee)/content?kind=\(kind)", token: telephonyKey,
                                          bytes: Array(bytes.utf8), headers: [.contentType: "audio/wav"])
        guard reply.status == .created else { throw TestFailure("storing \(kind): \(reply.status.code) \(reply.body)") }
        return try reply.string("id")
    }
}
