import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

final class RunwayHTTPTests: XCTestCase {
    func testHealthAnswersWithoutTheDatabaseAndEchoesTheRequestID() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            try await client.execute(uri: "/health", method: .get, headers: [.requestID: "trace-42"]) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.requestID], "trace-42")
                XCTAssertEqual(try response.json["status"] as? String, "ok")
            }
            // A missing or unusable id is replaced by a generated one.
            try await client.execute(uri: "/health", method: .get, headers: [.requestID: "bad id\twith\ncontrol"]) { response in
                let generated = try XCTUnwrap(response.headers[.requestID])
                XCTAssertNotNil(UUID(uuidString: generated), generated)
            }
        }
    }

    func testReadyIsNotReadyUntilMigrationsAreApplied() async throws {
        let database = try await TestCluster.shared.emptyDatabase()
        try await withTestApp(database) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                XCTAssertEqual(response.status, .serviceUnavailable)
                XCTAssertEqual(response.headers[.contentType], "application/problem+json")
                XCTAssertEqual(try response.json["status"] as? Int, 503)
            }
            try await database.placement.migrate(try MigrationSet.load(from: TestCluster.migrationsDirectory), applicationPassword: nil, logger: TestCluster.logger)
            try await client.execute(uri: "/ready", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(try response.json["pendingMigrations"] as? Int, 0)
            }
        }
    }

    func testUnknownRouteIsAProblemDocument() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            try await client.execute(uri: "/no/such/route", method: .get, headers: [.requestID: "r-404"]) { response in
                try assertProblem(response, status: .notFound)
                XCTAssertEqual(try response.json["requestId"] as? String, "r-404")
                XCTAssertEqual(try response.json["instance"] as? String, "/no/such/route")
            }
        }
    }

    func testWrongMethodIs405WithAllow() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            for method in [HTTPRequest.Method.post, .delete, .put, .patch] {
                try await client.execute(uri: "/health", method: method) { response in
                    try assertProblem(response, status: .methodNotAllowed)
                    XCTAssertEqual(response.headers[.allow], "GET")
                }
            }
        }
    }

    func testOversizeBodyIs413() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: (1 << 20) + 1)
            try await client.execute(uri: "/health", method: .post, headers: [.contentType: "application/json"], body: body) { response in
                try assertProblem(response, status: .contentTooLarge)
            }
        }
    }
}

/// Asserts an RFC 9457 problem document with the given status and no internals in it.
func assertProblem(_ response: TestResponse, status: HTTPResponse.Status, file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(response.status, status, String(buffer: response.body), file: file, line: line)
    XCTAssertEqual(response.headers[.contentType], "application/problem+json", file: file, line: line)
    let json = try response.json
    XCTAssertEqual(json["status"] as? Int, status.code, file: file, line: line)
    XCTAssertNotNil(json["title"] as? String, file: file, line: line)
    XCTAssertNotNil(json["type"] as? String, file: file, line: line)
    XCTAssertNotNil(json["requestId"] as? String, file: file, line: line)
    let text = String(buffer: response.body)
    for leak in ["Swift.", "Error(", "PSQLError", "DecodingError", "Components.", "Operations.", ".swift"] {
        XCTAssertFalse(text.contains(leak), "problem leaks internals (\(leak)): \(text)", file: file, line: line)
    }
}
