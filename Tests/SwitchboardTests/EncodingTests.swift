import Foundation
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

/// The hand-written formatters on every request's path agree with the Foundation ones they replace.
final class EncodingTests: XCTestCase {
    func testDatesEncodeLikeTheDefaultTranscoder() throws {
        let fast = RFC3339DateTranscoder(), reference = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        let samples = [0, -1, -0.5, -0.0004, 951_782_400, 1_700_000_000.999, 1_700_000_000.9996, 1_132_285_309.999713, 4_102_444_800, -12_219_292_800, -62_135_596_800, 253_402_300_799] +
            (0..<2000).map { _ in Double.random(in: -5_000_000_000...10_000_000_000, using: &generator) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(try fast.encode(date), reference.string(from: date), "\(seconds)")
        }
    }

    func testDatesDecodeWithFractionsAndOffsets() throws {
        let fast = RFC3339DateTranscoder()
        let whole = Date(timeIntervalSince1970: 1_795_248_939)
        XCTAssertEqual(try fast.decode("2026-11-21T08:15:39Z"), whole)
        XCTAssertEqual(try fast.decode("2026-11-21t08:15:39z"), whole)
        XCTAssertEqual(try fast.decode("2026-11-21T09:15:39+01:00"), whole)
        XCTAssertEqual(try fast.decode("2026-11-21T03:45:39-04:30"), whole)
        XCTAssertEqual(try fast.decode("2026-11-21T08:15:39.250Z").timeIntervalSince1970, 1_795_248_939.25, accuracy: 1e-6)
        XCTAssertEqual(try fast.decode("2026-11-21T10:15:39.5+02:00").timeIntervalSince1970, 1_795_248_939.5, accuracy: 1e-6)
        XCTAssertEqual(try fast.decode("2024-02-29T00:00:00Z"), Date(timeIntervalSince1970: 1_709_164_800))
        for malformed in ["", "2026-11-21", "2026-11-21T08:15:39", "2026-11-21T08:15:39.Z", "not a date"] {
            XCTAssertThrowsError(try fast.decode(malformed), malformed)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let date = Date(timeIntervalSince1970: Double(Int.random(in: -2_000_000_000...8_000_000_000, using: &generator)))
            XCTAssertEqual(try fast.decode(fast.encode(date)), date)
        }
    }

    func testCredentialHashIsLowerCaseHexOfSHA256() {
        XCTAssertEqual(Credentials.hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Credentials.hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testAPIStringIsTheLowerCasedUUID() {
        for id in (0..<1000).map({ _ in UUID() }) + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))] {
            XCTAssertEqual(id.apiString, id.uuidString.lowercased())
        }
    }
}

/// The streaming encoder writes the same documents as the runtime's `JSONEncoder` for the bodies it
/// renders. Foundation orders keys by hash, so documents are compared parsed; the streaming
/// encoder's own order (the schema's) is pinned by the exact-text check.
final class StreamingJSONEncoderTests: XCTestCase {
    private func assertSameDocument<T: Encodable>(_ value: T, file: StaticString = #filePath, line: UInt = #line) throws {
        let streamed = try StreamingJSONEncoder().encode(value)
        let parsedStreamed = try JSONSerialization.jsonObject(with: Data(streamed), options: [.fragmentsAllowed]) as? NSObject
        let parsedRuntime = try JSONSerialization.jsonObject(with: Data(runtimeEncoding(value).utf8), options: [.fragmentsAllowed]) as? NSObject
        XCTAssertNotNil(parsedStreamed, file: file, line: line)
        XCTAssertEqual(parsedStreamed, parsedRuntime, String(decoding: streamed, as: UTF8.self), file: file, line: line)
        // Escapes are written as Foundation writes them (a solidus as `\/`), never raw control characters.
        XCTAssertFalse(streamed.contains { $0 < 0x20 }, file: file, line: line)
        XCTAssertFalse(String(decoding: streamed, as: UTF8.self).replacingOccurrences(of: "\\/", with: "").contains("/"), file: file, line: line)
    }

    /// Configured as `Converter` configures it from `apiConfiguration`.
    private func runtimeEncoding<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = []
        let transcoder = RFC3339DateTranscoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try transcoder.encode(date))
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private func streamingEncoding<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try StreamingJSONEncoder().encode(value), as: UTF8.self)
    }

    private let awkwardTexts = ["", "plain", "Søren Ærø 🙂", "quote \" backslash \\ slash /", "tab\tnewline\ncr\rbell\u{7}nul\u{0}del\u{7F}", "\u{8}\u{C}\u{1F}", "/v1/employees/x"]

    func testCustomerPagesMatchTheRuntimeEncoder() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            let items = (0..<Int.random(in: 0...5, using: &generator)).map { index -> Components.Schemas.Customer in
                let text = awkwardTexts[(round + index) % awkwardTexts.count]
                return .init(
                    id: UUID().apiString, resellerId: UUID().apiString, name: text, cvr: Bool.random(using: &generator) ? "12345678" : nil,
                    externalRef: Bool.random(using: &generator) ? text : nil, status: Bool.random(using: &generator) ? .active : .terminated,
                    terminatedAt: Bool.random(using: &generator) ? Date(timeIntervalSince1970: .random(in: 0...4_000_000_000, using: &generator)) : nil,
                    extensionLength: Bool.random(using: &generator) ? .init(min: Int.random(in: 1...15, using: &generator), max: 15) : nil,
                    createdAt: Date(timeIntervalSince1970: .random(in: -1_000_000...4_000_000_000, using: &generator)), updatedAt: Date()
                )
            }
            let page = Components.Schemas.CustomerPage(items: items, nextCursor: Bool.random(using: &generator) ? UUID().apiString : nil)
            try assertSameDocument(page)
        }
    }

    func testEmployeePagesMatchTheRuntimeEncoder() throws {
        for (index, text) in awkwardTexts.enumerated() {
            let employee = Components.Schemas.Employee(
                id: UUID().apiString, customerId: UUID().apiString, fullName: text, email: index % 2 == 0 ? "a@b.example" : nil, mobile: index % 2 == 1 ? "+4512345678" : nil,
                _extension: "1\(index)", directoryListing: index % 3 == 0 ? .unlisted : .listed, marketingConsent: index % 2 == 1,
                restricted: index == 3, restrictionReason: index == 3 ? text : nil, anonymised: false,
                numbers: (0..<index).map { .init(id: UUID().apiString, value: "+4512345\($0)", assignedAt: Date(timeIntervalSince1970: Double($0) * 1e8)) },
                sims: index == 2 ? [.init(id: UUID().apiString, value: "8945000000000000007", assignedAt: Date())] : [],
                faxToMail: index == 4 ? [.init(id: UUID().apiString, faxNumber: "+4599999999", deliveryEmail: text, createdAt: Date())] : [],
                createdAt: Date(), updatedAt: Date()
            )
            for page in [Components.Schemas.EmployeePage(items: [employee], nextCursor: nil), .init(items: [employee, employee], nextCursor: text), .init(items: [])] {
                try assertSameDocument(page)
            }
        }
    }

    /// Every property set, dates in whole seconds (the contract's precision): what the hand-written
    /// writers produce must decode through the generated conformance to the very same value.
    func testHandWrittenRecordsRoundTripThroughTheGeneratedDecoder() throws {
        let second = Date(timeIntervalSince1970: 1_795_248_939)
        let customer = Components.Schemas.Customer(
            id: UUID().apiString, resellerId: UUID().apiString, name: "Søren \"A/S\"", cvr: "12345678", externalRef: "ref/1",
            status: .terminated, terminatedAt: second, extensionLength: .init(min: 3, max: 5), createdAt: second, updatedAt: second
        )
        let employee = Components.Schemas.Employee(
            id: UUID().apiString, customerId: UUID().apiString, fullName: "Anna\tB", email: "a@b.example", mobile: "+4512345678",
            _extension: "123", directoryListing: .unlisted, marketingConsent: true, restricted: true, restrictionReason: "asked",
            anonymised: false, numbers: [.init(id: UUID().apiString, value: "+4511111111", assignedAt: second)],
            sims: [.init(id: UUID().apiString, value: "8945000000000000007", assignedAt: second)],
            faxToMail: [.init(id: UUID().apiString, faxNumber: "+4599999999", deliveryEmail: "fax@b.example", createdAt: second)],
            createdAt: second, updatedAt: second
        )
        // A property added to the schema and left nil here would go unchecked: refuse that.
        for record in [customer, employee] as [Any] {
            for child in Mirror(reflecting: record).children {
                let value = Mirror(reflecting: child.value)
                XCTAssertFalse(value.displayStyle == .optional && value.children.isEmpty,
                               "\(type(of: record)).\(child.label ?? "?") is nil: set it so its writer is checked")
            }
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in try RFC3339DateTranscoder().decode(decoder.singleValueContainer().decode(String.self)) }
        XCTAssertEqual(try decoder.decode(Components.Schemas.Customer.self, from: Data(StreamingJSONEncoder().encode(customer))), customer)
        XCTAssertEqual(try decoder.decode(Components.Schemas.Employee.self, from: Data(StreamingJSONEncoder().encode(employee))), employee)
        try assertSameDocument(Components.Schemas.EmployeePage(items: [employee], nextCursor: nil))
    }

    func testScalarsNestedContainersAndRefusals() throws {
        struct Nested: Encodable {
            func encode(to encoder: any Encoder) throws {
                var outer = encoder.container(keyedBy: JSONStreamKey.self)
                var list = outer.nestedUnkeyedContainer(forKey: JSONStreamKey("list"))
                try list.encode(1)
                try list.encodeNil()
                var inner = list.nestedContainer(keyedBy: JSONStreamKey.self)
                try inner.encode(-2.5, forKey: JSONStreamKey("x"))
                try outer.encode(Int64.min, forKey: JSONStreamKey("min"))
                try outer.encode([String: Int](), forKey: JSONStreamKey("empty"))
                try outer.encodeNil(forKey: JSONStreamKey("none"))
                try outer.encode(3.0, forKey: JSONStreamKey("three"))
            }
        }
        try assertSameDocument(Nested())
        XCTAssertEqual(try streamingEncoding(Nested()), #"{"list":[1,null,{"x":-2.5}],"min":-9223372036854775808,"empty":{},"none":null,"three":3}"#)

        struct BackToFinished: Encodable {
            func encode(to encoder: any Encoder) throws {
                var outer = encoder.container(keyedBy: JSONStreamKey.self)
                var inner = outer.nestedContainer(keyedBy: JSONStreamKey.self, forKey: JSONStreamKey("a"))
                try outer.encode(1, forKey: JSONStreamKey("b"))
                try inner.encode(2, forKey: JSONStreamKey("c"))
            }
        }
        XCTAssertThrowsError(try StreamingJSONEncoder().encode(BackToFinished()))
        XCTAssertThrowsError(try StreamingJSONEncoder().encode([Double.nan]))
    }
}
