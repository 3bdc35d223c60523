import Crypto
import Foundation
import SpoorCore

/// An evidence file opened read-only (`O_RDONLY`; nothing in Spoor opens evidence for writing),
/// optionally hashing every byte it hands out.
public final class FileByteSource: ByteSource {
    public let path: String
    private var descriptor: Int32
    private var hasher: SHA256?
    public private(set) var bytesRead: Int64 = 0

    /// - Parameter hashing: compute the SHA-256 of what is read, for ``finalHash()``.
    /// - Throws: ``IntakeError/cannotOpen(path:reason:)``.
    public init(path: String, hashing: Bool = false) throws(IntakeError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        hasher = hashing ? SHA256() : nil
    }

    deinit { close() }

    public func close() {
        if descriptor >= 0 { _ = Foundation.close(descriptor) }
        descriptor = -1
    }

    public func read(upTo maxLength: Int) throws -> [UInt8] {
        guard descriptor >= 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: maxLength)
        var count = 0
        repeat {
            count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, maxLength) }
        } while count < 0 && errno == EINTR
        guard count >= 0 else { throw IntakeError.readFailed(path: path, reason: String(cString: strerror(errno))) }
        buffer.removeSubrange(count...)
        hasher?.update(data: buffer)
        bytesRead += Int64(count)
        return buffer
    }

    /// The SHA-256 of everything read so far, as lower-case hex (nil when not hashing).
    public func finalHash() -> String? {
        hasher.map { $0.finalize().hexString }
    }
}

extension Sequence<UInt8> {
    var hexString: String { Hex.string(self) }
}

/// Hashing files: evidence before it is parsed, reference data before it is used.
public enum FileHasher {
    /// SHA-256 and size of a file, read in 1 MiB chunks.
    public static func sha256(path: String) throws(IntakeError) -> (sha256: String, size: Int64) {
        let source = try FileByteSource(path: path, hashing: true)
        defer { source.close() }
        do {
            while try !source.read(upTo: 1 << 20).isEmpty {}
        } catch let error as IntakeError {
            throw error
        } catch {
            throw .readFailed(path: path, reason: "\(error)")
        }
        return (source.finalHash() ?? "", source.bytesRead)
    }

    /// The first `count` bytes of a file.
    public static func head(path: String, count: Int) throws(IntakeError) -> [UInt8] {
        let source = try FileByteSource(path: path)
        defer { source.close() }
        do {
            return try source.read(upTo: count)
        } catch {
            throw .readFailed(path: path, reason: "\(error)")
        }
    }
}
