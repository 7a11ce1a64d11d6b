import Foundation
import SwitchboardStore
import XCTest

/// The key-encryption key as an operator meets it: made with mode 0600 on the first start of the
/// embedded default and its location announced; `switchboard keys rotate` re-wraps every content
/// key under a new one without touching content; a server given another key refuses to start.
final class KeyEncryptionKeyLifecycleTests: XCTestCase {
    private var directory: URL!

    override func setUp() {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbkek-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    func testFirstStartMakesTheKeyRotationRewrapsAndAWrongKeyIsRefused() async throws {
        let data = directory.appendingPathComponent("data")
        let kekFile = data.appendingPathComponent("kek")
        let platform = ServerProcess.bootstrapToken
        let first = try ServerProcess(dataDirectory: data)
        try await first.waitUntilReady()
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: kekFile.path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o600)
        XCTAssertTrue(first.log.contains(kekFile.path), "the key's location is announced:\n\(first.log)")
        let originalKey = try String(contentsOf: kekFile, encoding: .utf8)

        // Content sealed under a key the KEK wraps.
        func created(_ reply: ServerProcess.Reply) throws -> String {
            guard reply.status == 201, let id = try reply.json["id"] as? String ?? reply.json["secret"] as? String else {
                throw TestFailure("\(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
            }
            return id
        }
        let reseller = try created(try await first.request("POST", "/v1/resellers", token: platform, json: #"{"name":"R"}"#))
        let key = try await first.request("POST", "/v1/resellers/\(reseller)/api-keys", token: platform, json: #"{"name":"k"}"#).json["secret"] as! String
        _ = try await first.request("POST", "/v1/dpa/acceptances", token: key, json: #"{"version":"2026-01"}"#)
        let customer = try created(try await first.request("POST", "/v1/customers", token: key, json: #"{"name":"C ApS"}"#))
        let employee = try created(try await first.request("POST", "/v1/customers/\(customer)/employees", token: key, json: #"{"fullName":"Eve","extension":"100"}"#))
        let telephony = try await first.request("POST", "/v1/telephony-keys", token: platform, json: #"{"name":"pbx"}"#).json["secret"] as! String
        let content = try created(try await first.request("POST", "/v1/telephony/employees/\(employee)/content?kind=voicemail", token: telephony,
                                                          headers: ["Content-Type": "audio/wav"], body: "hello from before the rotation"))
        await first.stop()
        _ = try await first.waitForExit(within: .seconds(30))

        let rotate = try ServerProcess(dataDirectory: data, arguments: ["keys", "rotate"])
        let status = try await rotate.waitForExit(within: .seconds(60))
        XCTAssertEqual(status, 0, rotate.log)
        XCTAssertTrue(rotate.log.contains("re-wrapped 1 content key(s)"), rotate.log)
        let rotatedKey = try String(contentsOf: kekFile, encoding: .utf8)
        XCTAssertNotEqual(rotatedKey, originalKey)
        let rotatedMode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: kekFile.path)[.posixPermissions] as? Int)
        XCTAssertEqual(rotatedMode & 0o777, 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: kekFile.path + ".next"))

        let second = try ServerProcess(dataDirectory: data)
        try await second.waitUntilReady()
        let download = try await second.request("GET", "/v1/employees/\(employee)/content/\(content)", token: key)
        XCTAssertEqual(download.status, 200)
        XCTAssertEqual(String(decoding: download.body, as: UTF8.self), "hello from before the rotation")
        await second.stop()
        _ = try await second.waitForExit(within: .seconds(30))

        // The old key (or any other) no longer opens the key store: the server stops at start.
        let wrong = try ServerProcess(dataDirectory: data, environment: ["SWITCHBOARD_KEK": originalKey.trimmingCharacters(in: .whitespacesAndNewlines)])
        let refused = try await wrong.waitForExit(within: .seconds(60))
        XCTAssertNotNil(refused, "it stops by itself")
        XCTAssertNotEqual(refused, 0)
        XCTAssertTrue(wrong.log.contains("key-encryption key"), wrong.log)

        // The default key file lost: a new one is not left in its place, and the message says to restore it.
        try FileManager.default.removeItem(at: kekFile)
        let lost = try ServerProcess(dataDirectory: data)
        let lostStatus = try await lost.waitForExit(within: .seconds(60))
        XCTAssertNotEqual(lostStatus, 0)
        XCTAssertNotNil(lostStatus, "it stops by itself")
        XCTAssertTrue(lost.log.contains("was missing") && lost.log.contains("restore"), lost.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: kekFile.path), "the freshly made key was removed again")
    }
}
