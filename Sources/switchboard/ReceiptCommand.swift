import ArgumentParser
import Foundation
import Logging
import SwitchboardAPI
import SwitchboardDomain
import SwitchboardStore

/// `switchboard receipt`: check a signed receipt offline, and rotate the signing key.
struct ReceiptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Signed receipts of erasures and answered data-subject requests.",
        subcommands: [Verify.self, RotateKey.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a receipt's Ed25519 signature offline; exit 1 when it does not verify.",
            discussion: """
                FILE is the receipt as served (GET /v1/receipts/{id}, or the `receipt` of an answered request). The signature \
                covers the RFC 8785 canonical JSON of the receipt without its `signature` member, so reformatting the file does \
                not matter, but any changed value does. Without --public-keys only the receipt's integrity under the key it \
                names is checked; give the platform's published keys (GET /v1/receipts/public-key, saved to a file) to check \
                that the platform signed it.
                """
        )

        @Argument(help: "The receipt file (JSON).")
        var file: String

        @Option(help: "The platform's published keys: the body of GET /v1/receipts/public-key, saved to a file.")
        var publicKeys: String?

        func run() async throws {
            guard let bytes = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let trusted = try publicKeys.map(Self.trustedKeys)
            let verdict = ReceiptVerification.verify(Array(bytes), trustedKeys: trusted)
            print(verdict.description)
            guard verdict.isValid else { throw ExitCode.failure }
        }

        /// Key id → raw public key, from the public-key document.
        static func trustedKeys(_ path: String) throws -> [UUID: [UInt8]] {
            guard let data = FileManager.default.contents(atPath: path),
                  let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let keys = document["keys"] as? [[String: Any]] else {
                throw ValidationError("\(path) is not the body of GET /v1/receipts/public-key")
            }
            var trusted: [UUID: [UInt8]] = [:]
            for key in keys {
                guard let id = (key["keyId"] as? String).flatMap(UUID.init(uuidString:)),
                      let raw = (key["publicKey"] as? String).flatMap({ Data(base64Encoded: $0) }), raw.count == 32 else {
                    throw ValidationError("\(path) holds a key without a valid keyId and 32-byte base64 publicKey")
                }
                trusted[id] = Array(raw)
            }
            return trusted
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Retire the receipt-signing key (its private half is destroyed) and start a new one; receipts signed before stay verifiable.",
            discussion: "The new private key is made in the key store; the main database keeps every public key.\n\n"
                + SwitchboardSetting.helpListing(scope: .everyCommand)
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let configuration = try database.configuration()
            let logger = makeLogger(configuration)
            try await reportingFailures(logger: logger) {
                let kek = try configuration.keys.loadKeyEncryptionKey(logger: logger)
                let placement = try await configuration.database.placement(logger: logger)
                do {
                    let keys = try await KeyStoreDatabase.open(placement: placement, url: configuration.keys.keyStoreURL,
                                                               applicationPassword: configuration.database.applicationPassword, kek: kek, maxConnections: 1, logger: logger)
                    let key = try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await keys.client.run() }
                        defer { group.cancelAll() }
                        return try await placement.target.withAdminConnection(logger: logger) { connection in
                            try await ReceiptKeyring.rotate(keys: keys.store, on: connection, logger: logger)
                        }
                    }
                    print("receipts are now signed with key \(key.keyID.uuidString.lowercased()) (public key \(Data(key.publicKey).base64EncodedString())); earlier keys stay published")
                } catch {
                    await placement.shutdown()
                    throw error
                }
                await placement.shutdown()
            }
        }
    }
}
