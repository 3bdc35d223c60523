import Crypto
import Foundation
import SpoorCore
import ZIPFoundation

/// Limits that keep a hostile archive from exhausting memory or disk. Nothing is ever
/// extracted to disk: members are read into memory, one at a time, within these bounds.
public struct ArchiveLimits: Sendable, Hashable {
    /// The largest member read (declared and actual size).
    public var maxMemberSize: UInt64 = 512 << 20
    /// The largest uncompressed/compressed ratio accepted for members over 1 MiB.
    public var maxRatio: UInt64 = 200
    /// The most uncompressed bytes read from one archive, nested archives included.
    public var maxTotal: UInt64 = 8 << 30
    /// How deep archives inside archives are opened.
    public var maxDepth = 3

    public init() {}
}

/// One member of an archive, read into memory and hashed.
public struct ArchiveMember: Sendable {
    /// The member's path; members of nested archives are written `outer.zip!inner/file.json`.
    public var path: String
    public var bytes: [UInt8]
    public var sha256: String
    public var modified: Date?
}

/// A member that was not read, and why (a traversal name, a zip bomb, a damaged entry).
public struct RefusedMember: Sendable, Hashable {
    public var path: String
    public var reason: String
}

/// Reads zip archives in place, never extracting to disk.
public enum ArchiveReader {
    /// Calls `body` for every file member, in the archive's own order, opening zip archives found
    /// inside (to ``ArchiveLimits/maxDepth``). Members that break a limit or cannot be read are
    /// reported to `refused` and skipped; the rest of the archive is still read.
    /// - Throws: ``IntakeError/cannotOpen(path:reason:)`` when the archive itself cannot be read.
    public static func forEachMember(
        ofZipAt path: String, limits: ArchiveLimits = ArchiveLimits(),
        _ body: (ArchiveMember) throws -> Void, refused: (RefusedMember) -> Void
    ) throws {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw IntakeError.cannotOpen(path: path, reason: "not a readable zip archive (\(error))")
        }
        var total: UInt64 = 0
        try read(archive, prefix: "", depth: 1, limits: limits, total: &total, body, refused: refused)
    }

    static func read(
        _ archive: Archive, prefix: String, depth: Int, limits: ArchiveLimits, total: inout UInt64,
        _ body: (ArchiveMember) throws -> Void, refused: (RefusedMember) -> Void
    ) throws {
        for entry in archive where entry.type == .file {
            let name = prefix + entry.path
            if let problem = unsafeName(entry.path) {
                refused(RefusedMember(path: name, reason: problem))
                continue
            }
            let declared = entry.uncompressedSize
            if !entry.isCompressed && entry.compressedSize != declared {
                refused(
                    RefusedMember(
                        path: name,
                        reason: "stored member holds \(entry.compressedSize) bytes but declares \(declared) (damaged or crafted)")
                )
                continue
            }
            if declared > limits.maxMemberSize {
                refused(
                    RefusedMember(
                        path: name, reason: "declares \(declared) bytes, over the \(limits.maxMemberSize)-byte member limit"))
                continue
            }
            if declared > 1 << 20, declared / max(entry.compressedSize, 1) > limits.maxRatio {
                refused(
                    RefusedMember(
                        path: name,
                        reason:
                            "compression ratio \(declared / max(entry.compressedSize, 1)):1 is over \(limits.maxRatio):1 (zip bomb?)"
                    ))
                continue
            }
            if total + declared > limits.maxTotal {
                refused(RefusedMember(path: name, reason: "the archive's members add up to over \(limits.maxTotal) bytes"))
                continue
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(declared))
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    guard UInt64(bytes.count + chunk.count) <= declared else { throw MemberTooLarge() }
                    bytes.append(contentsOf: chunk)
                }
            } catch is MemberTooLarge {
                refused(RefusedMember(path: name, reason: "holds more bytes than the \(declared) it declares (zip bomb?)"))
                continue
            } catch {
                refused(RefusedMember(path: name, reason: "cannot be read: \(error)"))
                continue
            }
            total += UInt64(bytes.count)
            if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) && depth < limits.maxDepth {
                do {
                    let nested = try Archive(data: Data(bytes), accessMode: .read)
                    try read(nested, prefix: name + "!", depth: depth + 1, limits: limits, total: &total, body, refused: refused)
                    continue
                } catch {
                    // Not a readable zip after all: hand it over as a file.
                }
            }
            let modified = entry.fileAttributes[.modificationDate] as? Date
            try body(ArchiveMember(path: name, bytes: bytes, sha256: SHA256.hash(data: bytes).hexString, modified: modified))
        }
    }

    /// Why a member name may not be used, or nil: absolute paths and `..` components would
    /// point outside the archive if anyone extracted it.
    static func unsafeName(_ path: String) -> String? {
        if path.hasPrefix("/") || path.hasPrefix("\\") || (path.count > 1 && Array(path)[1] == ":") {
            return "absolute member path refused"
        }
        let parts = path.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        if parts.contains("..") { return "member path with '..' refused (path traversal)" }
        return nil
    }

    struct MemberTooLarge: Error {}
}

extension SHA256.Digest {
    var hexString: String { Array(self).hexString }
}
