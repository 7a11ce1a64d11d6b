import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The key that wraps every person's ``DataKey``. Only wrapped data keys are stored, so whoever
/// holds the database alone holds no readable content, and destroying one wrapped data key shreds
/// that person's content.
///
/// `@unchecked` only because swift-crypto before 4.0 does not mark the immutable `SymmetricKey`
/// `Sendable`; every stored property is immutable.
public struct KeyEncryptionKey: @unchecked Sendable, CustomStringConvertible {
    /// Bytes in a key: AES-256.
    public static let byteCount = 32

    /// The longest key file read: a key is 45 characters of base64, so anything larger is not a key.
    static let maximumFileBytes = 4096

    let key: SymmetricKey

    /// A fingerprint of the key (16 lowercase hex digits), stored beside each wrapped data key so
    /// rotation and operators can tell which key wrapped a row without ever seeing the key.
    public let id: String

    init(key: SymmetricKey) {
        self.key = key
        self.id = Self.fingerprint(of: key)
    }

    /// Reads a key from its base64 text, as kept in the key file or an environment variable.
    public init(base64 text: String) throws(KeyEncryptionKeyError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: trimmed) else { throw .notBase64 }
        guard bytes.count == Self.byteCount else { throw .wrongLength(bytes.count) }
        self.init(key: SymmetricKey(data: bytes))
    }

    /// A fresh random key.
    public static func generate() -> KeyEncryptionKey {
        KeyEncryptionKey(key: SymmetricKey(size: .bits256))
    }

    /// The key as base64, the form it is kept in. Secret: never log it.
    public var base64: String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// Names the key by its fingerprint only, so interpolating a key into a log line cannot leak it.
    public var description: String { "KeyEncryptionKey(id: \(id))" }

    private static func fingerprint(of key: SymmetricKey) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("switchboard-kek-id".utf8))
        key.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        let digest = hasher.finalize()
        return digest.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }

    // MARK: - Key file

    /// Reads the key file. A file that group or others may read or write is refused: a key anyone
    /// else on the machine can read protects nothing.
    public static func load(file: URL) throws(KeyEncryptionKeyError) -> KeyEncryptionKey {
        let path = file.path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: lastError()) }
        defer { close(descriptor) }

        // Check the opened file, not the path, so the file checked is the file read.
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(path: path, reason: lastError()) }
        let mode = UInt32(status.st_mode)
        guard mode & 0o170000 == 0o100000 else { throw .unreadable(path: path, reason: "it is not a regular file") }
        guard mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: octal(mode & 0o7777)) }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while bytes.count <= maximumFileBytes {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: lastError())
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        guard bytes.count <= maximumFileBytes else {
            throw .malformed(path: path, reason: "it is larger than \(maximumFileBytes) bytes, far more than a key.")
        }
        do {
            return try KeyEncryptionKey(base64: String(decoding: bytes, as: UTF8.self))
        } catch .wrongLength(let count) {
            throw .malformed(path: path, reason: "it decodes to \(count) bytes, not 32.")
        } catch {
            throw .malformed(path: path, reason: "its content is not base64.")
        }
    }

    /// Loads the key file, or on first start creates it with a fresh key. Two processes starting at
    /// once end up with the same key: the file is published only if it is still absent, and the
    /// loser loads the winner's key, so no data key is ever wrapped under a key that was then lost.
    public static func loadOrCreate(file: URL) throws(KeyEncryptionKeyError) -> (key: KeyEncryptionKey, created: Bool) {
        var status = stat()
        if stat(file.path, &status) == 0 { return (try load(file: file), false) }
        guard errno == ENOENT else { throw .unreadable(path: file.path, reason: lastError()) }
        let key = generate()
        switch try key.publish(to: file, replacing: false) {
        case .written: return (key, true)
        case .alreadyPresent: return (try load(file: file), false)
        }
    }

    /// Writes the key file (mode 0600) so that it is either the old file or the new one whole, even
    /// across a crash, and is never readable by others, not even for a moment. Used to replace the
    /// key on rotation.
    public func writeAtomically(to file: URL) throws(KeyEncryptionKeyError) {
        _ = try publish(to: file, replacing: true)
    }

    private enum Publication { case written, alreadyPresent }

    /// Writes a temporary file created 0600 in the target's directory, syncs it, moves it into
    /// place, and syncs the directory so the move itself survives a crash.
    private func publish(to file: URL, replacing: Bool) throws(KeyEncryptionKeyError) -> Publication {
        let path = file.path
        let directory = file.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .unwritable(path: path, reason: "its directory could not be created (\(error.localizedDescription))")
        }

        var suffix = ""
        for _ in 0..<8 { suffix += String(UInt8.random(in: 0...255), radix: 16) }
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).\(suffix).tmp").path
        let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .unwritable(path: path, reason: Self.lastError()) }
        var published = false
        defer { if !published { unlink(temporary) } }

        do throws(KeyEncryptionKeyError) {
            // The umask can only narrow 0600; this makes it exactly 0600 whatever the umask.
            guard fchmod(descriptor, 0o600) == 0 else { throw .unwritable(path: path, reason: Self.lastError()) }
            try Self.writeAll(Array((base64 + "\n").utf8), to: descriptor, path: path)
            guard fsync(descriptor) == 0 else { throw .unwritable(path: path, reason: Self.lastError()) }
        } catch {
            close(descriptor)
            throw error
        }
        guard close(descriptor) == 0 else { throw .unwritable(path: path, reason: Self.lastError()) }

        if replacing {
            guard rename(temporary, path) == 0 else { throw .unwritable(path: path, reason: Self.lastError()) }
            published = true
        } else if link(temporary, path) == 0 {
            // A hard link publishes only if nothing is there yet; the temporary name is then dropped.
            unlink(temporary)
            published = true
        } else if errno == EEXIST {
            return .alreadyPresent
        } else {
            // A file system without hard links: fall back to the plain move.
            guard rename(temporary, path) == 0 else { throw .unwritable(path: path, reason: Self.lastError()) }
            published = true
        }
        try Self.syncDirectory(directory.path, for: path)
        return .written
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(KeyEncryptionKeyError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                return write(descriptor, rest.baseAddress, rest.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unwritable(path: path, reason: lastError())
            }
            offset += count
        }
    }

    private static func syncDirectory(_ directory: String, for path: String) throws(KeyEncryptionKeyError) {
        let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unwritable(path: path, reason: lastError()) }
        defer { close(descriptor) }
        // Some file systems cannot sync a directory (EINVAL); the move has still happened.
        guard fsync(descriptor) == 0 || errno == EINVAL else { throw .unwritable(path: path, reason: lastError()) }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }

    private static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// Why a key-encryption key could not be read or written. Descriptions are for the operator: they
/// name the file and what to do, and never contain key material.
public enum KeyEncryptionKeyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The text is not base64.
    case notBase64
    /// The text decodes to this many bytes instead of 32.
    case wrongLength(Int)
    /// The key file is missing or could not be read.
    case unreadable(path: String, reason: String)
    /// The key file holds no valid key.
    case malformed(path: String, reason: String)
    /// The key file may be read or written by group or others; `mode` is its octal mode.
    case tooOpen(path: String, mode: String)
    /// The key file could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .notBase64:
            "The key-encryption key is not valid base64; it must be 32 random bytes in base64 (44 characters)."
        case .wrongLength(let count):
            "The key-encryption key decodes to \(count) bytes, but it must be exactly 32 (AES-256)."
        case .unreadable(let path, let reason):
            "The key-encryption key file \(path) could not be read: \(reason). Restore it from backup; without it no stored content can be decrypted."
        case .malformed(let path, let reason):
            "The key-encryption key file \(path) does not hold a valid key: \(reason) Restore it from backup."
        case .tooOpen(let path, let mode):
            "The key-encryption key file \(path) has mode \(mode), so others on this machine may read or change it. Run `chmod 600 \(path)` and start again."
        case .unwritable(let path, let reason):
            "The key-encryption key file \(path) could not be written: \(reason). Check that its directory exists and is writable by this user."
        }
    }
}
