import Foundation
import SwitchboardStore
import Synchronization
import XCTest

/// Content at rest is sealed per person (AES-256-GCM), data keys are wrapped under the KEK, and the
/// KEK file is only ever 0600 and replaced atomically.
final class ContentSealingTests: XCTestCase {
    // MARK: - Sealed content

    func testOneMebibyteRoundTrips() throws {
        let key = DataKey.generate()
        let id = UUID()
        let payload = randomBytes(1 << 20)
        let sealed = SealedContent.seal(payload, contentID: id, with: key)
        XCTAssertEqual(sealed.count, payload.count + SealedContent.overhead)
        XCTAssertEqual(sealed.first, SealedContent.formatVersion)
        XCTAssertEqual(try SealedContent.open(sealed, contentID: id, with: key), payload)
    }

    func testEmptyPayloadRoundTripsAndSlicesAndDataOpen() throws {
        let key = DataKey.generate()
        let id = UUID()
        let sealed = SealedContent.seal([UInt8](), contentID: id, with: key)
        XCTAssertEqual(sealed.count, SealedContent.overhead)
        XCTAssertEqual(try SealedContent.open(sealed, contentID: id, with: key), [])

        let payload = Array("voicemail".utf8)
        let padded = [0xAA] + SealedContent.seal(payload[...], contentID: id, with: key)
        XCTAssertEqual(try SealedContent.open(padded.dropFirst(), contentID: id, with: key), payload)
        XCTAssertEqual(try SealedContent.open(Data(padded.dropFirst()), contentID: id, with: key), payload)
    }

    func testSealingTwiceDiffersAndBothOpen() throws {
        let key = DataKey.generate()
        let id = UUID()
        let payload = Array("the same voicemail, twice".utf8)
        let first = SealedContent.seal(payload, contentID: id, with: key)
        let second = SealedContent.seal(payload, contentID: id, with: key)
        XCTAssertNotEqual(first, second)
        XCTAssertNotEqual(first[1..<13], second[1..<13], "each seal takes a fresh nonce")
        XCTAssertEqual(try SealedContent.open(first, contentID: id, with: key), payload)
        XCTAssertEqual(try SealedContent.open(second, contentID: id, with: key), payload)
    }

    func testPlaintextDoesNotAppearInSealedBytes() {
        let marker = Array("MARKER-7f3a".utf8)
        let payload = randomBytes(4096) + marker + randomBytes(4096) + marker
        XCTAssertTrue(contains(payload, marker), "the check itself must be able to find the marker")
        let sealed = SealedContent.seal(payload, contentID: UUID(), with: DataKey.generate())
        XCTAssertFalse(contains(sealed, marker))
    }

    func testAnotherContentIDDoesNotOpen() {
        let key = DataKey.generate()
        let sealed = SealedContent.seal(Array("hello".utf8), contentID: UUID(), with: key)
        assertOpenFails(sealed, contentID: UUID(), key: key, with: .cannotOpen)
    }

    func testAnotherPersonsKeyDoesNotOpen() {
        let id = UUID()
        let sealed = SealedContent.seal(Array("hello".utf8), contentID: id, with: DataKey.generate())
        assertOpenFails(sealed, contentID: id, key: DataKey.generate(), with: .cannotOpen)
    }

    func testAnyFlippedBitDoesNotOpen() throws {
        let key = DataKey.generate()
        let id = UUID()
        let sealed = SealedContent.seal(randomBytes(1000), contentID: id, with: key)
        XCTAssertNoThrow(try SealedContent.open(sealed, contentID: id, with: key))
        for index in [1, 12, 13, sealed.count / 2, sealed.count - 16, sealed.count - 1] {
            for bit in [0, 7] {
                var altered = sealed
                altered[index] ^= UInt8(1 << bit)
                assertOpenFails(altered, contentID: id, key: key, with: .cannotOpen, "byte \(index) bit \(bit)")
            }
        }
    }

    func testUnknownVersionIsRefused() {
        let key = DataKey.generate()
        let id = UUID()
        var sealed = SealedContent.seal(Array("hello".utf8), contentID: id, with: key)
        sealed[0] = 2
        assertOpenFails(sealed, contentID: id, key: key, with: .unknownFormat(2))
        sealed[0] = 0
        assertOpenFails(sealed, contentID: id, key: key, with: .unknownFormat(0))
    }

    func testTooShortInputIsMalformed() {
        let key = DataKey.generate()
        let id = UUID()
        let sealed = SealedContent.seal([UInt8](), contentID: id, with: key)
        assertOpenFails([], contentID: id, key: key, with: .malformed)
        assertOpenFails([SealedContent.formatVersion], contentID: id, key: key, with: .malformed)
        assertOpenFails(Array(sealed.dropLast()), contentID: id, key: key, with: .malformed)
    }

    // MARK: - Wrapped data keys

    func testWrappedKeyUnwrapsToTheSameKey() throws {
        let kek = KeyEncryptionKey.generate()
        let subject = UUID()
        let key = DataKey.generate()
        let wrapped = key.wrapped(under: kek, subject: subject)
        XCTAssertEqual(wrapped.count, DataKey.wrappedByteCount)
        XCTAssertNotEqual(wrapped, key.wrapped(under: kek, subject: subject), "each wrap takes a fresh nonce")
        let unwrapped = try DataKey(unwrapping: wrapped, under: kek, subject: subject)
        let id = UUID()
        let sealed = SealedContent.seal(Array("hello".utf8), contentID: id, with: key)
        XCTAssertEqual(try SealedContent.open(sealed, contentID: id, with: unwrapped), Array("hello".utf8))
    }

    func testWrappedKeyDoesNotUnwrapUnderAnotherKEK() {
        let subject = UUID()
        let wrapped = DataKey.generate().wrapped(under: KeyEncryptionKey.generate(), subject: subject)
        assertUnwrapFails(wrapped, kek: KeyEncryptionKey.generate(), subject: subject, with: .cannotUnwrap)
    }

    func testWrappedKeyDoesNotUnwrapForAnotherSubject() {
        let kek = KeyEncryptionKey.generate()
        let wrapped = DataKey.generate().wrapped(under: kek, subject: UUID())
        assertUnwrapFails(wrapped, kek: kek, subject: UUID(), with: .cannotUnwrap)
    }

    func testAlteredOrMisSizedWrappedKeyIsRefused() {
        let kek = KeyEncryptionKey.generate()
        let subject = UUID()
        let wrapped = DataKey.generate().wrapped(under: kek, subject: subject)
        var altered = wrapped
        altered[20] ^= 1
        assertUnwrapFails(altered, kek: kek, subject: subject, with: .cannotUnwrap)
        assertUnwrapFails(Array(wrapped.dropLast()), kek: kek, subject: subject, with: .malformed)
        assertUnwrapFails(wrapped + [0], kek: kek, subject: subject, with: .malformed)
        assertUnwrapFails([], kek: kek, subject: subject, with: .malformed)
    }

    // MARK: - Key-encryption key

    func testKEKBase64RoundTripsWithAStableFingerprint() throws {
        let kek = KeyEncryptionKey.generate()
        let again = try KeyEncryptionKey(base64: "  \n" + kek.base64 + "\n\n")
        XCTAssertEqual(again.id, kek.id)
        XCTAssertEqual(again.base64, kek.base64)
        XCTAssertEqual(kek.id.count, 16)
        XCTAssertTrue(kek.id.allSatisfy { "0123456789abcdef".contains($0) })
        XCTAssertNotEqual(KeyEncryptionKey.generate().id, kek.id)
        XCTAssertFalse("\(kek)".contains(kek.base64), "describing a key must not print it")
        // The fingerprint is fixed by its definition: SHA-256("switchboard-kek-id" ‖ key)[0..<8].
        let zero = try KeyEncryptionKey(base64: Data(count: 32).base64EncodedString())
        XCTAssertEqual(zero.id, "835103435f28cb1e")
    }

    func testKEKOfWrongLengthOrNotBase64IsRefused() {
        XCTAssertThrowsError(try KeyEncryptionKey(base64: Data(count: 31).base64EncodedString())) { error in
            XCTAssertEqual(error as? KeyEncryptionKeyError, .wrongLength(31))
        }
        XCTAssertThrowsError(try KeyEncryptionKey(base64: Data(count: 33).base64EncodedString())) { error in
            XCTAssertEqual(error as? KeyEncryptionKeyError, .wrongLength(33))
        }
        XCTAssertThrowsError(try KeyEncryptionKey(base64: "not base64 at all!")) { error in
            XCTAssertEqual(error as? KeyEncryptionKeyError, .notBase64)
        }
    }

    func testLoadOrCreateCreatesA0600FileThenLoadsTheSameKey() throws {
        let file = try temporaryDirectory().appendingPathComponent("keys/kek.base64")
        let first = try KeyEncryptionKey.loadOrCreate(file: file)
        XCTAssertTrue(first.created)
        XCTAssertEqual(try permissions(of: file), 0o600)
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertEqual(text, first.key.base64 + "\n")

        let second = try KeyEncryptionKey.loadOrCreate(file: file)
        XCTAssertFalse(second.created)
        XCTAssertEqual(second.key.id, first.key.id)
        XCTAssertEqual(try KeyEncryptionKey.load(file: file).id, first.key.id)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path), ["kek.base64"])
    }

    func testConcurrentFirstStartsAgreeOnOneKey() throws {
        let file = try temporaryDirectory().appendingPathComponent("kek.base64")
        let results = Mutex<[(id: String, created: Bool)]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            guard let (key, created) = try? KeyEncryptionKey.loadOrCreate(file: file) else { return }
            results.withLock { $0.append((key.id, created)) }
        }
        let all = results.withLock { $0 }
        XCTAssertEqual(all.count, 8)
        XCTAssertEqual(all.filter(\.created).count, 1, "exactly one caller creates the key")
        XCTAssertEqual(Set(all.map(\.id)), [try KeyEncryptionKey.load(file: file).id], "every caller uses the key on disk")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path), ["kek.base64"])
    }

    func testKeyFileOpenToOthersIsRefused() throws {
        let file = try temporaryDirectory().appendingPathComponent("kek.base64")
        let kek = KeyEncryptionKey.generate()
        try kek.writeAtomically(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        XCTAssertThrowsError(try KeyEncryptionKey.load(file: file)) { error in
            XCTAssertEqual(error as? KeyEncryptionKeyError, .tooOpen(path: file.path, mode: "0644"))
            XCTAssertTrue("\(error)".contains("chmod 600 \(file.path)"))
            XCTAssertFalse("\(error)".contains(kek.base64))
        }
        XCTAssertThrowsError(try KeyEncryptionKey.loadOrCreate(file: file)) { error in
            XCTAssertEqual(error as? KeyEncryptionKeyError, .tooOpen(path: file.path, mode: "0644"))
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        XCTAssertEqual(try KeyEncryptionKey.load(file: file).id, kek.id)
    }

    func testMissingOrMalformedKeyFileIsRefused() throws {
        let directory = try temporaryDirectory()
        let missing = directory.appendingPathComponent("absent")
        XCTAssertThrowsError(try KeyEncryptionKey.load(file: missing)) { error in
            guard case .unreadable(let path, _)? = error as? KeyEncryptionKeyError else {
                return XCTFail("expected unreadable, got \(error)")
            }
            XCTAssertEqual(path, missing.path)
        }
        let short = directory.appendingPathComponent("short")
        XCTAssertTrue(FileManager.default.createFile(atPath: short.path, contents: Data(Data(count: 31).base64EncodedString().utf8),
                                                     attributes: [.posixPermissions: 0o600]))
        XCTAssertThrowsError(try KeyEncryptionKey.load(file: short)) { error in
            guard case .malformed(let path, _)? = error as? KeyEncryptionKeyError else {
                return XCTFail("expected malformed, got \(error)")
            }
            XCTAssertEqual(path, short.path)
        }
    }

    func testWriteAtomicallyReplacesTheKeyAndLeavesNoTemporaryFiles() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("kek.base64")
        let (old, created) = try KeyEncryptionKey.loadOrCreate(file: file)
        XCTAssertTrue(created)
        let new = KeyEncryptionKey.generate()
        try new.writeAtomically(to: file)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), new.base64 + "\n")
        let loaded = try KeyEncryptionKey.load(file: file)
        XCTAssertEqual(loaded.id, new.id)
        XCTAssertNotEqual(loaded.id, old.id)
        XCTAssertEqual(try permissions(of: file), 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["kek.base64"])
    }

    // MARK: - Helpers

    private func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let word = generator.next()
                for shift in stride(from: 0, to: 64, by: 8) where offset < buffer.count {
                    buffer[offset] = UInt8(truncatingIfNeeded: word >> UInt64(shift))
                    offset += 1
                }
            }
        }
        return bytes
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    private func assertOpenFails(_ sealed: [UInt8], contentID: UUID, key: DataKey, with expected: SealedContentError,
                                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SealedContent.open(sealed, contentID: contentID, with: key), message, file: file, line: line) { error in
            XCTAssertEqual(error as? SealedContentError, expected, message, file: file, line: line)
        }
    }

    private func assertUnwrapFails(_ wrapped: [UInt8], kek: KeyEncryptionKey, subject: UUID, with expected: DataKeyError,
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try DataKey(unwrapping: wrapped, under: kek, subject: subject), file: file, line: line) { error in
            XCTAssertEqual(error as? DataKeyError, expected, file: file, line: line)
        }
    }

    /// A fresh directory under NSTemporaryDirectory(), removed when the test ends.
    private func temporaryDirectory() throws -> URL {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("content-sealing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    private func permissions(of file: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        let mode = try XCTUnwrap(attributes[.posixPermissions] as? NSNumber)
        return mode.intValue & 0o777
    }
}
