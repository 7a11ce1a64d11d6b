import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

/// The right to be forgotten, checked the way an auditor would: against a full dump of the database.
final class ErasureTests: XCTestCase {
    /// `pg_dump` of the whole test database (schema and data), as text.
    private static func dump(_ database: TestDatabase) throws -> String {
        let binaries = try TestCluster.binaries
        let process = Process()
        process.executableURL = binaries.directory.appendingPathComponent("pg_dump")
        let socketDirectory = URL(fileURLWithPath: try database.localCluster().socketPath).deletingLastPathComponent().path
        process.arguments = ["-h", socketDirectory, "-p", "5432", "-U", LocalPostgresCluster.superuser, "--no-owner", database.name]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return String(decoding: data, as: UTF8.self)
    }

    /// Where a marker can appear in a dump: as text, or hex-encoded inside a bytea.
    private static func occurrences(of markers: [String], in dump: String) -> [String] {
        let lowered = dump.lowercased()
        return markers.filter { marker in
            let hex = marker.utf8.map { String(format: "%02x", $0) }.joined()
            return lowered.contains(marker.lowercased()) || lowered.contains(hex)
        }
    }

    func testAnonymisationLeavesNoMarkerInAFullDump() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tag = UUID().uuidString.prefix(8).lowercased()
        let digits = String(UInt32.random(in: 10_000_000...99_999_999))
        let markers = [
            "Name-\(tag)", "mail-\(tag)@marker.example", "45\(digits)", "Reason-\(tag)", "fax-\(tag)@marker.example",
            "Voicemail-\(tag)", "Greeting-\(tag)", "Recording-\(tag)", "Picture-\(tag)", "46\(digits)",
        ]
        let (employee, receipt) = try await withTestApp(database) { client -> (String, Reply) in
            let world = try await World.build(client, database: database)
            let key = world.resellerAKey
            let id = try await client.call(.post, "/v1/customers/\(world.customerA1)/employees", token: key,
                                           json: #"{"fullName":"\#(markers[0])","extension":"77","email":"\#(markers[1])","mobile":"+\#(markers[2])"}"#).string("id")
            _ = try await client.call(.post, "/v1/employees/\(id)/fax-to-mail", token: key, json: #"{"faxNumber":"\#(World.stockA.numbers[SeededStock.firstFree + 1])","deliveryEmail":"\#(markers[4])"}"#)
            _ = try await client.call(.post, "/v1/employees/\(id)/numbers", token: key, json: #"{"number":"\#(World.stockA.numbers[SeededStock.firstFree])"}"#)
            _ = try await client.patchReadingETag("/v1/employees/\(id)", token: key, json: #"{"marketingConsent":true,"directoryListing":"unlisted"}"#)
            for (kind, marker) in [("voicemail", markers[5]), ("greeting", markers[6]), ("recording", markers[7])] {
                let status = try await client.execute(uri: "/v1/telephony/employees/\(id)/content?kind=\(kind)&callerNumber=%2B\(markers[9])", method: .post,
                                                      headers: [.authorization: "Bearer \(world.telephonyKey)", .contentType: "audio/wav"],
                                                      body: ByteBuffer(string: marker)) { $0.status }
                XCTAssertEqual(status, .created)
            }
            let picture = try await client.execute(uri: "/v1/employees/\(id)/picture", method: .put,
                                                   headers: [.authorization: "Bearer \(key)", .contentType: "image/png"],
                                                   body: ByteBuffer(string: markers[8])) { $0.status }
            XCTAssertEqual(picture, .ok)
            _ = try await client.call(.post, "/v1/employees/\(id)/restriction", token: key, json: #"{"reason":"\#(markers[3])"}"#)

            // The test can fail: before erasure every marker is in the dump, except the content's,
            // which is sealed with the person's key from the start.
            let before = try Self.dump(database)
            let sealed = Set(markers[5...8])
            XCTAssertEqual(Self.occurrences(of: markers, in: before), markers.filter { !sealed.contains($0) }, "a planted marker is missing before erasure")

            let receipt = try await client.call(.post, "/v1/employees/\(id)/anonymise", token: key)
            XCTAssertEqual(receipt.status, .ok)
            return (id, receipt)
        }
        let after = try Self.dump(database)
        XCTAssertEqual(Self.occurrences(of: markers, in: after), [], "personal data survived anonymisation")
        XCTAssertTrue(after.contains(employee), "the pseudonymous record itself remains")

        let json = receipt.json
        XCTAssertTrue((json["pseudonym"] as? String)?.hasPrefix("Former employee ") ?? false)
        let erased = (json["erased"] as? [String]) ?? []
        for item in ["fullName", "email", "voicemail (1)", "greeting (1)", "recording (1)"] {
            XCTAssertTrue(erased.contains(item), "receipt does not list \(item): \(erased)")
        }
        XCTAssertEqual((json["released"] as? [String: [String]])?["numbers"], [World.stockA.numbers[SeededStock.firstFree]])
        XCTAssertEqual((json["retained"] as? [[String: Any]])?.first?["holder"] as? String, "the platform, as independent controller")
    }

    func testAnonymisedPeopleStayErased() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let id = world.employees["manager"]!.id
            let first = try await client.call(.post, "/v1/employees/\(id)/anonymise", token: world.managerA1Token)
            XCTAssertEqual(first.json["alreadyAnonymised"] as? Bool, false)
            let again = try await client.call(.post, "/v1/employees/\(id)/anonymise", token: world.managerA1Token)
            XCTAssertEqual(again.status, .ok, "repeating is harmless")
            XCTAssertEqual(again.json["alreadyAnonymised"] as? Bool, true)
            XCTAssertEqual(again.json["pseudonym"] as? String, first.json["pseudonym"] as? String)
            let rename = try await client.patchReadingETag("/v1/employees/\(id)", token: world.managerA1Token, json: #"{"fullName":"Back again"}"#)
            XCTAssertEqual(rename.json["type"] as? String, "urn:switchboard:problem:anonymised")
            let voicemail = try await client.execute(uri: "/v1/telephony/employees/\(id)/content?kind=voicemail", method: .post,
                                                     headers: [.authorization: "Bearer \(world.telephonyKey)", .contentType: "audio/wav"],
                                                     body: ByteBuffer(string: "RIFF")) { $0.status }
            XCTAssertEqual(voicemail, .notFound, "no new content for an erased person")
            // The freed extension can be given to someone else.
            let reuse = try await client.call(.post, "/v1/customers/\(world.customerA1)/employees", token: world.resellerAKey, json: #"{"fullName":"Next","extension":"100"}"#)
            XCTAssertEqual(reuse.status, .created)
        }
    }

    func testTheTelephonyRoleCanOnlyInsertContent() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        let raw = RawSession(database: database)
        let settings = ["sb.principal_id": UUID().uuidString]
        for table in ["sb.employees", "sb.employee_content", "sb.customers", "sb.number_assignments", "sb.resellers", "sb.audit_events"] {
            let read = try await raw.run("SELECT 1::text FROM \(table)", role: "sb_telephony", settings: settings)
            XCTAssertEqual(read.sqlState, "42501", "sb_telephony read \(table)")
        }
        let insert = "INSERT INTO sb.employee_content (employee_id, id, kind, content_type, byte_size, data) VALUES ('%@', gen_random_uuid(), 'voicemail', 'audio/wav', 0, '\\x00')"
        let known = try await raw.execute(String(format: insert, tenants.employeeA1.uuidString), role: "sb_telephony", settings: settings)
        XCTAssertNil(known.sqlState, "stores content for a known employee")
        let unknown = try await raw.execute(String(format: insert, UUID().uuidString), role: "sb_telephony", settings: settings)
        XCTAssertEqual(unknown.sqlState, "P0002")
        let withoutPrincipal = try await raw.execute(String(format: insert, tenants.employeeA1.uuidString), role: "sb_telephony")
        XCTAssertEqual(withoutPrincipal.sqlState, "42501", "no settings, no writes")
        let update = try await raw.execute("UPDATE sb.employee_content SET kind = 'greeting'", role: "sb_telephony", settings: settings)
        XCTAssertEqual(update.sqlState, "42501")
    }
}
