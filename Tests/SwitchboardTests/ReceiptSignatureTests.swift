import Foundation
import SwitchboardDomain
import SwitchboardStore
import XCTest

final class ReceiptSignatureTests: XCTestCase {
    private let keyA = try! ReceiptSigningKey(keyID: UUID(), seed: (0..<32).map { _ in UInt8.random(in: 0...255) })
    private let keyB = try! ReceiptSigningKey(keyID: UUID(), seed: (0..<32).map { _ in UInt8.random(in: 0...255) })

    private let payload: CanonicalJSON = [
        "receiptId": "4b0d6a55-2f0e-4c1a-9a4e-7d8f1d0c9e21",
        "kind": "handover",
        "issuedAt": "2026-03-01T09:30:00Z",
        "employeeId": "e0b9d7d2-3a55-4a8c-8d31-5f0f8f0e2b11",
        "count": 3,
        "note": "Zoë € 😀",
        "detail": ["from": "ana", "to": ["id": 7, "name": "bo"]],
    ]

    // MARK: Valid receipts

    func testSignedReceiptVerifiesUnderItsEmbeddedKey() throws {
        let bytes = try keyA.sign(payload).canonicalBytes
        XCTAssertEqual(ReceiptVerification.verify(bytes), .valid(keyID: keyA.keyID, kind: "handover", trusted: false))
    }

    func testSignedReceiptVerifiesAsTrustedWhenItsKeyIsTrusted() throws {
        let bytes = try keyA.sign(payload).canonicalBytes
        XCTAssertEqual(
            ReceiptVerification.verify(bytes, trustedKeys: [keyA.keyID: keyA.publicKey, keyB.keyID: keyB.publicKey]),
            .valid(keyID: keyA.keyID, kind: "handover", trusted: true)
        )
    }

    func testSignatureMemberHasTheDocumentedShape() throws {
        let signature = try XCTUnwrap(try keyA.sign(payload)["signature"])
        XCTAssertEqual(signature.objectValue.map { Set($0.keys) }, ["algorithm", "keyId", "publicKey", "value"])
        XCTAssertEqual(signature["algorithm"], "Ed25519")
        XCTAssertEqual(signature["keyId"]?.stringValue, keyA.keyID.uuidString.lowercased())
        XCTAssertEqual(signature["publicKey"]?.stringValue.flatMap { Data(base64Encoded: $0) }, Data(keyA.publicKey))
        XCTAssertEqual(signature["value"]?.stringValue.flatMap { Data(base64Encoded: $0) }?.count, 64)
    }

    func testReformattedReceiptStillVerifies() throws {
        let signed = try keyA.sign(payload)
        let reformatted = Array(Self.looseJSON(signed).utf8)
        XCTAssertNotEqual(reformatted, signed.canonicalBytes)
        XCTAssertEqual(
            ReceiptVerification.verify(reformatted, trustedKeys: [keyA.keyID: keyA.publicKey]),
            .valid(keyID: keyA.keyID, kind: "handover", trusted: true)
        )
    }

    func testSigningTwiceGivesTwoValidReceipts() throws {
        for _ in 0..<2 {
            let bytes = try keyA.sign(payload).canonicalBytes
            XCTAssertEqual(ReceiptVerification.verify(bytes, trustedKeys: [keyA.keyID: keyA.publicKey]).isValid, true)
        }
    }

    /// RFC 8032 §7.1 test 1: the seed is the RFC's secret key, so the public key must be the RFC's.
    func testSeedIsTheRFC8032SecretKey() throws {
        let key = try ReceiptSigningKey(
            keyID: UUID(),
            seed: bytes(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        )
        XCTAssertEqual(key.publicKey, bytes(hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
    }

    /// A receipt canonicalised and signed by Node.js (its own JSON.stringify and Ed25519), with the
    /// RFC 8032 test key, pretty-printed in insertion order: another implementation's receipt verifies.
    func testReceiptMadeByAnotherImplementationVerifies() throws {
        let publicKey = bytes(hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let keyID = try XCTUnwrap(UUID(uuidString: "00000000-0000-4000-8000-000000008032"))
        let verdict = ReceiptVerification.verify(Array(Self.nodeReceipt.utf8), trustedKeys: [keyID: publicKey])
        XCTAssertEqual(verdict, .valid(keyID: keyID, kind: "handover", trusted: true))
        let altered = Self.nodeReceipt.replacingOccurrences(of: "\"count\": -42", with: "\"count\": -43")
        XCTAssertEqual(ReceiptVerification.verify(Array(altered.utf8)), .invalid(reason: .signatureMismatch))
    }

    // MARK: Tampering

    func testChangedFieldValuesBreakTheSignature() throws {
        let signed = try keyA.sign(payload)
        let tamperings: [(String, (inout [String: CanonicalJSON]) -> Void)] = [
            ("string", { $0["kind"] = "refund" }),
            ("integer", { $0["count"] = 4 }),
            ("nested", { $0["detail"] = ["from": "ana", "to": ["id": 8, "name": "bo"]] }),
            ("added member", { $0["extra"] = true }),
            ("removed member", { $0["note"] = nil }),
            ("null for a value", { $0["employeeId"] = CanonicalJSON.null }),
            ("Unicode normal form", { $0["note"] = "Zoe\u{308} € 😀" }),
        ]
        for (name, tamper) in tamperings {
            let bytes = edited(signed, tamper).canonicalBytes
            XCTAssertEqual(ReceiptVerification.verify(bytes), .invalid(reason: .signatureMismatch), name)
            XCTAssertEqual(
                ReceiptVerification.verify(bytes, trustedKeys: [keyA.keyID: keyA.publicKey]),
                .invalid(reason: .signatureMismatch), name
            )
        }
    }

    func testChangedKeyIDIsCaughtByTrustedKeys() throws {
        let signed = try keyA.sign(payload)
        let unknownID = UUID()
        let unknown = edited(signed) { $0["signature"] = signatureMember(of: signed, ["keyId": .string(unknownID.uuidString)]) }
        XCTAssertEqual(
            ReceiptVerification.verify(unknown.canonicalBytes, trustedKeys: [keyA.keyID: keyA.publicKey]),
            .invalid(reason: .untrustedKey(unknownID))
        )
        let claimsB = edited(signed) { $0["signature"] = signatureMember(of: signed, ["keyId": .string(keyB.keyID.uuidString)]) }
        XCTAssertEqual(
            ReceiptVerification.verify(claimsB.canonicalBytes, trustedKeys: [keyA.keyID: keyA.publicKey, keyB.keyID: keyB.publicKey]),
            .invalid(reason: .publicKeyMismatch(keyB.keyID))
        )
        // Without trusted keys the key id is only a claim: the verdict reports it as untrusted.
        XCTAssertEqual(
            ReceiptVerification.verify(unknown.canonicalBytes),
            .valid(keyID: unknownID, kind: "handover", trusted: false)
        )
    }

    func testSwappedPublicKeyWithOriginalSignatureFails() throws {
        let signed = try keyA.sign(payload)
        let swapped = edited(signed) {
            $0["signature"] = signatureMember(of: signed, ["publicKey": .string(Data(keyB.publicKey).base64EncodedString())])
        }
        XCTAssertEqual(ReceiptVerification.verify(swapped.canonicalBytes), .invalid(reason: .signatureMismatch))
        XCTAssertEqual(
            ReceiptVerification.verify(swapped.canonicalBytes, trustedKeys: [keyA.keyID: keyA.publicKey]),
            .invalid(reason: .publicKeyMismatch(keyA.keyID))
        )
        // Claiming to be B, consistently, with A's signature: the signature itself fails.
        let posingAsB = edited(signed) {
            $0["signature"] = signatureMember(of: signed, [
                "keyId": .string(keyB.keyID.uuidString),
                "publicKey": .string(Data(keyB.publicKey).base64EncodedString()),
            ])
        }
        XCTAssertEqual(
            ReceiptVerification.verify(posingAsB.canonicalBytes, trustedKeys: [keyB.keyID: keyB.publicKey]),
            .invalid(reason: .signatureMismatch)
        )
    }

    func testReceiptFromAnUntrustedKeyIsRefused() throws {
        let bytes = try keyA.sign(payload).canonicalBytes
        XCTAssertEqual(
            ReceiptVerification.verify(bytes, trustedKeys: [keyB.keyID: keyB.publicKey]),
            .invalid(reason: .untrustedKey(keyA.keyID))
        )
        XCTAssertEqual(ReceiptVerification.verify(bytes, trustedKeys: [:]), .invalid(reason: .untrustedKey(keyA.keyID)))
    }

    // MARK: Malformed receipts

    func testMalformedDocumentsAreRefusedWithTheirReason() throws {
        XCTAssertEqual(
            ReceiptVerification.verify(Array(#"{"kind":1.5}"#.utf8)),
            .invalid(reason: .notJSON(.nonIntegerNumber(offset: 8)))
        )
        XCTAssertEqual(
            ReceiptVerification.verify(Array("nope".utf8)),
            .invalid(reason: .notJSON(.unexpectedByte(UInt8(ascii: "o"), offset: 1, expected: "'null'")))
        )
        let truncated = try keyA.sign(payload).canonicalBytes.dropLast()
        XCTAssertEqual(ReceiptVerification.verify(truncated), .invalid(reason: .notJSON(.unexpectedEnd(offset: truncated.count))))
        XCTAssertEqual(ReceiptVerification.verify(Array("[1]".utf8)), .invalid(reason: .notAnObject))
        XCTAssertEqual(ReceiptVerification.verify(payload.canonicalBytes), .invalid(reason: .missingSignature))
    }

    func testMalformedSignatureMembersAreRefusedWithTheirReason() throws {
        let signed = try keyA.sign(payload)
        let cases: [(CanonicalJSON, ReceiptVerdict.Reason)] = [
            ("Ed25519", .malformedSignature("not an object")),
            (signatureMember(of: signed, ["algorithm": "ES256"]), .unsupportedAlgorithm("ES256")),
            (signatureMember(of: signed, ["algorithm": .none]), .malformedSignature(#"no "algorithm""#)),
            (signatureMember(of: signed, ["value": 5]), .malformedSignature(#""value" is not a string"#)),
            (signatureMember(of: signed, ["extra": "x"]), .malformedSignature(#"unknown field "extra""#)),
            (signatureMember(of: signed, ["keyId": "key-1"]), .invalidKeyID("key-1")),
            (signatureMember(of: signed, ["publicKey": "not base64!"]), .publicKeyNotBase64),
            (signatureMember(of: signed, ["publicKey": .string(Data(count: 31).base64EncodedString())]), .publicKeyLength(31)),
            (signatureMember(of: signed, ["value": "%%%%"]), .signatureNotBase64),
            (signatureMember(of: signed, ["value": .string(Data(count: 63).base64EncodedString())]), .signatureLength(63)),
        ]
        for (member, reason) in cases {
            let bytes = edited(signed) { $0["signature"] = member }.canonicalBytes
            XCTAssertEqual(ReceiptVerification.verify(bytes), .invalid(reason: reason), "\(member)")
        }
    }

    /// Base64 has one accepted spelling, so a receipt has one textual form: Foundation alone would
    /// accept stray bits before the padding and surplus padding, decoding them to the same bytes.
    func testNonCanonicalBase64IsRefused() throws {
        let signed = try keyA.sign(payload)
        let publicKey = try XCTUnwrap(signed["signature"]?["publicKey"]?.stringValue)
        let value = try XCTUnwrap(signed["signature"]?["value"]?.stringValue)
        let cases: [(String, String, ReceiptVerdict.Reason)] = [
            ("publicKey", String(publicKey.dropLast()), .publicKeyNotBase64),  // no padding
            ("publicKey", publicKey + "=", .publicKeyNotBase64),  // surplus padding
            ("publicKey", try withStrayBits(publicKey), .publicKeyNotBase64),
            ("value", try withStrayBits(value), .signatureNotBase64),
            ("value", "\n" + value, .signatureNotBase64),
        ]
        for (field, text, reason) in cases {
            let bytes = edited(signed) { $0["signature"] = signatureMember(of: signed, [field: .string(text)]) }.canonicalBytes
            XCTAssertEqual(ReceiptVerification.verify(bytes), .invalid(reason: reason), text)
        }
    }

    /// `base64` with the unused low bits of its last data character set: same bytes, other text.
    private func withStrayBits(_ base64: String) throws -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var characters = Array(base64)
        let last = try XCTUnwrap(characters.lastIndex { $0 != "=" })
        let position = try XCTUnwrap(alphabet.firstIndex(of: characters[last]))
        characters[last] = alphabet[position ^ 1]
        return String(characters)
    }

    func testSigningRefusesWhatCannotBeAReceipt() throws {
        XCTAssertThrowsError(try keyA.sign([1, 2])) { XCTAssertEqual($0 as? ReceiptSigningError, .notAnObject) }
        let signed = try keyA.sign(payload)
        XCTAssertThrowsError(try keyB.sign(signed)) { XCTAssertEqual($0 as? ReceiptSigningError, .alreadySigned) }
        XCTAssertThrowsError(try ReceiptSigningKey(keyID: UUID(), seed: [UInt8](repeating: 1, count: 31))) {
            XCTAssertEqual($0 as? ReceiptSigningError, .invalidSeedLength(31))
        }
    }

    // MARK: Helpers

    private func edited(_ receipt: CanonicalJSON, _ change: (inout [String: CanonicalJSON]) -> Void) -> CanonicalJSON {
        var members = receipt.objectValue ?? [:]
        change(&members)
        return .object(members)
    }

    /// The receipt's signature member with some fields replaced (`.none` removes one).
    private func signatureMember(of receipt: CanonicalJSON, _ changes: [String: CanonicalJSON?]) -> CanonicalJSON {
        var fields = receipt["signature"]?.objectValue ?? [:]
        for (name, value) in changes { fields[name] = value }
        return .object(fields)
    }

    private func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return result
    }

    /// Valid JSON for `value` that is not canonical: reverse key order, spaces and newlines, and
    /// needless escapes (`\/`, `\u0041` for `A`), as a person or another tool might store it.
    private static func looseJSON(_ value: CanonicalJSON) -> String {
        switch value {
        case .object(let members):
            let body = members.keys.sorted(by: >).map { "\n  " + looseString($0) + " :  " + looseJSON(members[$0] ?? .null) }
            return "{" + body.joined(separator: " ,") + "\n}"
        case .array(let elements):
            return "[ " + elements.map(looseJSON).joined(separator: " , ") + " ]"
        case .string(let string):
            return looseString(string)
        default:
            return value.description
        }
    }

    private static func looseString(_ string: String) -> String {
        var canonical = CanonicalJSON.string(string).description
        canonical = canonical.replacingOccurrences(of: "/", with: #"\/"#)
        return canonical.replacingOccurrences(of: "A", with: #"\u0041"#)
    }

    private static let nodeReceipt = #"""
        {
          "receiptId": "4b0d6a55-2f0e-4c1a-9a4e-7d8f1d0c9e21",
          "kind": "handover",
          "issuedAt": "2026-03-01T09:30:00Z",
          "employeeId": "e0b9d7d2-3a55-4a8c-8d31-5f0f8f0e2b11",
          "count": -42,
          "note": "Zoë €5 😀 \u0001/\"",
          "lines": [
            1,
            true,
            null,
            {
              "ö": "x",
              "z": "y"
            }
          ],
          "signature": {
            "algorithm": "Ed25519",
            "keyId": "00000000-0000-4000-8000-000000008032",
            "publicKey": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
            "value": "m37XBkfgoieODzsOg4Nj5IJjgTcKaeQ4iXeQ49Sv/leknYr+4PIIIuV7rkAxc3AH47PvMTUmPGPV3uHt7bPkDQ=="
          }
        }
        """#
}
