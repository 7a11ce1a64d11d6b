import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardDomain
import SwitchboardStore
import XCTest

final class DirectoryTests: XCTestCase {
    func testBadInputNamesTheFieldAndTheRuleAndWritesNothing() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let path = "/v1/customers/\(world.customerA1)/employees"
            let key = world.resellerAKey
            let cases: [(String, Set<String>)] = [
                (#"{"fullName":"","extension":"12"}"#, ["fullName/minLength"]),
                (#"{"fullName":"Ann","extension":"1a2"}"#, ["extension/format"]),
                (#"{"fullName":"Ann","extension":"1234567"}"#, ["extension/length"]),
                (#"{"fullName":"Ann","extension":"7"}"#, ["extension/length"]),
                (#"{"fullName":"Ann","extension":"55","email":"ann@"}"#, ["email/format"]),
                (#"{"fullName":"Ann","extension":"55","mobile":"004512345678"}"#, ["mobile/format"]),
            ]
            for (body, expected) in cases {
                let reply = try await client.call(.post, path, token: key, json: body)
                try assertProblem(TestResponseShim(reply), status: .unprocessableContent)
                XCTAssertEqual(reply.fieldRules, expected, body)
            }
            let employee = world.employees["manager"]!.id
            let number = try await client.call(.post, "/v1/employees/\(employee)/numbers", token: key, json: #"{"number":"12345"}"#)
            XCTAssertEqual(number.fieldRules, ["number/format"])
            let sim = try await client.call(.post, "/v1/employees/\(employee)/sims", token: key, json: #"{"iccid":"8945100000000000001"}"#)
            XCTAssertEqual(sim.fieldRules, ["iccid/checkDigit"], "wrong Luhn digit")
            let simLetters = try await client.call(.post, "/v1/employees/\(employee)/sims", token: key, json: #"{"iccid":"89451ABC"}"#)
            XCTAssertEqual(simLetters.fieldRules, ["iccid/format"])
            // Duplicate extension in the same company is a conflict; in another company it is fine.
            let first = try await client.call(.post, path, token: key, json: #"{"fullName":"Ann","extension":"55"}"#)
            XCTAssertEqual(first.status, .created)
            let duplicate = try await client.call(.post, path, token: key, json: #"{"fullName":"Bo","extension":"55"}"#)
            try assertProblem(TestResponseShim(duplicate), status: .conflict)
            XCTAssertEqual(duplicate.fieldRules, ["extension/unique"])
            let elsewhere = try await client.call(.post, "/v1/customers/\(world.customerA2)/employees", token: key, json: #"{"fullName":"Bo","extension":"55"}"#)
            XCTAssertEqual(elsewhere.status, .created)
            // A company can configure longer extensions.
            _ = try await client.patchReadingETag("/v1/customers/\(world.customerA2)", token: key, json: #"{"extensionLength":{"min":4,"max":8}}"#)
            let long = try await client.call(.post, "/v1/customers/\(world.customerA2)/employees", token: key, json: #"{"fullName":"Cy","extension":"1234567"}"#)
            XCTAssertEqual(long.status, .created)
            // A number of another reseller's stock is not in B's: the same 422 as an unknown number.
            let holder = try await client.call(.get, "/v1/employees/\(employee)", token: key)
            let taken = try XCTUnwrap((holder.json["numbers"] as? [[String: Any]])?.first?["value"] as? String)
            let bEmployee = try await client.call(.post, "/v1/customers/\(world.customerB1)/employees", token: world.resellerBKey, json: #"{"fullName":"Di","extension":"20"}"#).string("id")
            let stolen = try await client.call(.post, "/v1/employees/\(bEmployee)/numbers", token: world.resellerBKey, json: #"{"number":"\#(taken)"}"#)
            try assertProblem(TestResponseShim(stolen), status: .unprocessableContent)
            XCTAssertEqual(stolen.fieldRules, ["number/not-in-inventory"])
            // Nothing was half-written: A1 still has exactly its seeded employees plus Ann.
            let list = try await client.call(.get, path, token: key)
            XCTAssertEqual(list.items.count, 3)
        }
    }

    func testOversizeContentIs413() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let employee = world.employees["manager"]!.id
            let audio = try await client.execute(uri: "/v1/telephony/employees/\(employee)/content?kind=recording", method: .post,
                                                 headers: [.authorization: "Bearer \(world.telephonyKey)", .contentType: "audio/wav"],
                                                 body: ByteBuffer(repeating: 1, count: (10 << 20) + 1)) { $0.status }
            XCTAssertEqual(audio, .contentTooLarge)
            let picture = try await client.execute(uri: "/v1/employees/\(employee)/picture", method: .put,
                                                   headers: [.authorization: "Bearer \(world.resellerAKey)", .contentType: "image/png"],
                                                   body: ByteBuffer(repeating: 1, count: (2 << 20) + 1)) { $0.status }
            XCTAssertEqual(picture, .contentTooLarge)
            let content = try await client.call(.get, "/v1/employees/\(employee)/content", token: world.resellerAKey)
            XCTAssertEqual(content.items.count, 1, "only the seeded voicemail")
        }
    }

    func testRestrictionFreezesEverythingButLiftingAndErasure() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let seeded = world.employees["manager"]!
            let key = world.managerA1Token
            let restricted = try await client.call(.post, "/v1/employees/\(seeded.id)/restriction", token: key, json: #"{"reason":"accuracy contested"}"#)
            XCTAssertEqual(restricted.json["restricted"] as? Bool, true)
            let refused: [(HTTPRequest.Method, String, String?)] = [
                (.patch, "/v1/employees/\(seeded.id)", #"{"fullName":"Changed"}"#),
                (.post, "/v1/employees/\(seeded.id)/numbers", #"{"number":"\#(World.stockA.numbers[SeededStock.firstFree])"}"#),
                (.delete, "/v1/employees/\(seeded.id)/numbers/\(seeded.numberAssignment)", nil),
                (.delete, "/v1/employees/\(seeded.id)/sims/\(seeded.simAssignment)", nil),
                (.post, "/v1/employees/\(seeded.id)/fax-to-mail", #"{"faxNumber":"\#(World.stockA.numbers[SeededStock.firstFree + 1])","deliveryEmail":"x@y.example"}"#),
            ]
            for (method, path, body) in refused {
                var ifMatch: HTTPFields = [:]
                if method == .patch { ifMatch[.ifMatch] = try await client.currentETag(path, token: key) }
                let reply = try await client.call(method, path, token: key, json: body, headers: ifMatch)
                try assertProblem(TestResponseShim(reply), status: .conflict)
                XCTAssertEqual(reply.json["type"] as? String, "urn:switchboard:problem:restricted", path)
            }
            // Storage continues: the telephony platform still delivers voicemail.
            let stored = try await client.execute(uri: "/v1/telephony/employees/\(seeded.id)/content?kind=voicemail", method: .post,
                                                  headers: [.authorization: "Bearer \(world.telephonyKey)", .contentType: "audio/wav"],
                                                  body: ByteBuffer(string: "RIFF")) { $0.status }
            XCTAssertEqual(stored, .created)
            let lifted = try await client.call(.delete, "/v1/employees/\(seeded.id)/restriction", token: key)
            XCTAssertEqual(lifted.json["restricted"] as? Bool, false)
            let changed = try await client.patchReadingETag("/v1/employees/\(seeded.id)", token: key, json: #"{"fullName":"Changed"}"#)
            XCTAssertEqual(changed.status, .ok)
            // Erasure is allowed while restricted.
            _ = try await client.call(.post, "/v1/employees/\(seeded.id)/restriction", token: key, json: #"{"reason":"again"}"#)
            let deleted = try await client.call(.delete, "/v1/employees/\(seeded.id)", token: key)
            XCTAssertEqual(deleted.status, .noContent)
            let export = try await client.call(.get, "/v1/employees/\(seeded.id)/export", token: key)
            XCTAssertEqual(export.status, .notFound, "after deletion there is nothing to export")
        }
    }

    func testSearchByNameExtensionAndNumber() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let key = world.resellerAKey
            let path = "/v1/customers/\(world.customerA1)/employees"
            _ = try await client.call(.post, path, token: key, json: #"{"fullName":"Åse Ørsted","extension":"4711"}"#)
            _ = try await client.call(.post, path, token: key, json: #"{"fullName":"100% Sure_Name","extension":"4800"}"#)
            func names(_ query: String) async throws -> [String] {
                try await client.call(.get, "\(path)?q=\(query)", token: key).items.compactMap { $0["fullName"] as? String }
            }
            let byName = try await names("%C3%B8rsted")
            XCTAssertEqual(byName, ["Åse Ørsted"], "case-insensitive substring")
            let byExtension = try await names("47")
            XCTAssertEqual(byExtension, ["Åse Ørsted"])
            let literalPercent = try await names("100%25")
            XCTAssertEqual(literalPercent, ["100% Sure_Name"], "% is matched literally, not as a wildcard")
            let holder = try await client.call(.get, "/v1/employees/\(world.employees["reseller"]!.id)", token: key)
            let number = try XCTUnwrap((holder.json["numbers"] as? [[String: Any]])?.first?["value"] as? String)
            let byNumber = try await names(number.replacingOccurrences(of: "+", with: "%2B"))
            XCTAssertEqual(byNumber, ["Staff reseller"])
        }
    }

    func testTwoWritersWithTheSameETagExactlyOneWins() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, maxConnections: 4) { client in
            let world = try await World.build(client, database: database)
            let id = world.employees["manager"]!.id
            for round in 0..<10 {
                let read = try await client.call(.get, "/v1/employees/\(id)", token: world.resellerAKey)
                let etag = try XCTUnwrap(read.headers[.eTag])
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for (writer, token) in [world.resellerAKey, world.managerA1Token].enumerated() {
                        group.addTask {
                            try await client.call(.patch, "/v1/employees/\(id)", token: token,
                                                  json: #"{"fullName":"Writer \#(writer) round \#(round)"}"#, headers: [.ifMatch: etag]).status
                        }
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
                XCTAssertEqual(statuses.filter { $0 == .ok }.count, 1, "round \(round): \(statuses)")
                XCTAssertEqual(statuses.filter { $0 == .preconditionFailed }.count, 1, "round \(round): \(statuses)")
            }
        }
    }

    func testPreferencesKeepTheirHistoryAndTheExportCarriesEverything() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let id = world.employees["manager"]!.id
            _ = try await client.patchReadingETag("/v1/employees/\(id)", token: world.managerA1Token, json: #"{"marketingConsent":true}"#)
            _ = try await client.patchReadingETag("/v1/employees/\(id)", token: world.resellerAKey, json: #"{"directoryListing":"unlisted","marketingConsent":false}"#)
            _ = try await client.patchReadingETag("/v1/employees/\(id)", token: world.resellerAKey, json: #"{"directoryListing":"unlisted"}"#)
            let export = try await client.call(.get, "/v1/employees/\(id)/export", token: world.managerA1Token)
            XCTAssertEqual(export.status, .ok)
            let history = (export.json["preferenceHistory"] as? [[String: Any]]) ?? []
            XCTAssertEqual(history.map { "\($0["preference"]!)=\($0["value"]!)@\($0["changedByRole"]!)" },
                           ["marketingConsent=true@sb_customer", "directoryListing=unlisted@sb_reseller", "marketingConsent=false@sb_reseller"],
                           "a repeated value is no change")
            let content = (export.json["content"] as? [[String: Any]]) ?? []
            XCTAssertEqual(content.count, 1)
            let link = try XCTUnwrap(content.first?["download"] as? String)
            let download = try await client.execute(uri: link, method: .get, headers: [.authorization: "Bearer \(world.managerA1Token)"]) { $0 }
            XCTAssertEqual(download.status, .ok)
            XCTAssertEqual(download.headers[.contentType], "audio/wav")
            XCTAssertEqual(String(buffer: download.body), "RIFF-voicemail")
            let employee = export.json["employee"] as? [String: Any]
            XCTAssertEqual((employee?["numbers"] as? [Any])?.count, 1)
            XCTAssertEqual((employee?["sims"] as? [Any])?.count, 1)
            XCTAssertEqual((employee?["faxToMail"] as? [Any])?.count, 1)
        }
    }
}
