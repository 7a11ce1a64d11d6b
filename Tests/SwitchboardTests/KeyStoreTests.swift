import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// The PostgreSQL key store: one key per person, made once, destroyed for good with a tombstone,
/// and re-wrapped under a new key-encryption key without touching content.
final class KeyStoreTests: XCTestCase {
    func testAKeyIsMadeOnceAndADestroyedKeyIsNeverMadeAgain() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let store = try await database.keyStore()
        let person = UUID()
        let absent = try await store.existingDataKey(for: person)
        XCTAssertNil(absent)
        // Many first uses at once agree on one key.
        let sealed = try await withThrowingTaskGroup(of: (UUID, [UInt8]).self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let content = UUID()
                    return (content, SealedContent.seal(Array("probe".utf8), contentID: content, with: try await store.dataKey(for: person)))
                }
            }
            var sealed: [(UUID, [UInt8])] = []
            for try await item in group { sealed.append(item) }
            return sealed
        }
        let key = try await store.dataKey(for: person)
        for (content, bytes) in sealed {
            XCTAssertEqual(try SealedContent.open(bytes, contentID: content, with: key), Array("probe".utf8), "every first use got the same key")
        }
        let destroyed = try await store.destroyDataKeys(of: [person, person, UUID()], reason: "anonymisation")
        XCTAssertEqual(destroyed, 1, "one key existed")
        for attempt in 0..<2 {
            do {
                _ = try await (attempt == 0 ? store.dataKey(for: person) : store.existingDataKey(for: person))
                XCTFail("a destroyed key came back")
            } catch KeyStoreError.destroyed(let subject) {
                XCTAssertEqual(subject, person)
            }
        }
    }

    func testRotationRewrapsEveryKeyAndTheOldKeyEncryptionKeyNoLongerOpensThem() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let store = try await database.keyStore()
        let people = (0..<5).map { _ in UUID() }
        var sealed: [(UUID, UUID, [UInt8])] = []
        for person in people {
            let content = UUID()
            sealed.append((person, content, SealedContent.seal(Array("hello \(person)".utf8), contentID: content, with: try await store.dataKey(for: person))))
        }
        let newKEK = KeyEncryptionKey.generate()
        let rewrapped = try await store.rewrapAll(to: newKEK)
        XCTAssertEqual(rewrapped, 5)
        let again = try await store.rewrapAll(to: newKEK)
        XCTAssertEqual(again, 0, "an interrupted rotation can be run again")
        let rotated = store.using(newKEK)
        try await rotated.checkKeyEncryptionKey()
        for (person, content, bytes) in sealed {
            let key = try await rotated.existingDataKey(for: person)
            XCTAssertEqual(String(decoding: try SealedContent.open(bytes, contentID: content, with: try XCTUnwrap(key)), as: UTF8.self), "hello \(person)")
        }
        // The store opened with the old key refuses at start, not at the first content request.
        do {
            try await store.checkKeyEncryptionKey()
            XCTFail("the old key-encryption key was accepted")
        } catch KeyStoreError.wrongKeyEncryptionKey(let expected, let found) {
            XCTAssertEqual(expected, TestCluster.keyEncryptionKey.id)
            XCTAssertEqual(found, newKEK.id)
        }
        // Nothing of the keys is in the main database.
        let dump = try database.dump()
        for (person, _, _) in sealed {
            XCTAssertEqual(dump.occurrences(of: Data(person.uuidString.lowercased().utf8)), 0)
        }
    }
}
