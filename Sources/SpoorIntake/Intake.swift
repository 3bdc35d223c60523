import Foundation
import SpoorCore
import SpoorLogs

/// Turning the paths an investigator gives into evidence items with hashes and formats.
public enum Intake {
    /// A file found under the given paths, not yet hashed.
    public struct Candidate: Hashable, Sendable {
        public var path: String
        public var size: Int64
        public var modified: Date?
    }

    /// Every regular file under `paths` (folders walked recursively, in name order, symbolic
    /// links to folders not followed). Paths that do not exist or cannot be listed are returned
    /// as errors beside the files that could be, so one bad path stops nothing else.
    public static func collect(_ paths: [String]) -> [Result<Candidate, IntakeError>] {
        var results: [Result<Candidate, IntakeError>] = []
        let fm = FileManager.default
        for given in paths {
            let path = URL(fileURLWithPath: given).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                results.append(.failure(.cannotOpen(path: given, reason: "no such file or folder")))
                continue
            }
            if !isDirectory.boolValue {
                results.append(candidate(path))
                continue
            }
            guard let walker = fm.enumerator(atPath: path) else {
                results.append(.failure(.cannotOpen(path: given, reason: "folder cannot be listed")))
                continue
            }
            var files: [String] = []
            while let relative = walker.nextObject() as? String {
                let full = path + "/" + relative
                var dir: ObjCBool = false
                if fm.fileExists(atPath: full, isDirectory: &dir), !dir.boolValue { files.append(full) }
            }
            for file in files.sorted() { results.append(candidate(file)) }
        }
        return results
    }

    static func candidate(_ path: String) -> Result<Candidate, IntakeError> {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard (attributes[.type] as? FileAttributeType) == .typeRegular else {
                return .failure(.cannotOpen(path: path, reason: "not a regular file"))
            }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            return .success(Candidate(path: path, size: size, modified: attributes[.modificationDate] as? Date))
        } catch {
            return .failure(.cannotOpen(path: path, reason: "cannot read its attributes"))
        }
    }

    /// Hashes a candidate, making it an evidence item.
    public static func evidence(_ candidate: Candidate) throws(IntakeError) -> EvidenceItem {
        let (sha256, size) = try FileHasher.sha256(path: candidate.path)
        return EvidenceItem(path: candidate.path, size: size, sha256: sha256, modified: candidate.modified)
    }

    /// What an evidence item is, judged from its content and name.
    public enum Detection: Sendable {
        case log(any LogParser.Type)
        /// A packet capture (`pcap` or `pcapng`).
        case capture(String)
        /// An archive (`zip`, `gzip`, …).
        case archive(String)
        case unknown
    }

    /// Recognises the format of a file: capture and archive magic numbers first, then each
    /// registered parser's judgement of the first 64 KiB.
    public static func detect(path: String) throws(IntakeError) -> Detection {
        let head = try FileHasher.head(path: path, count: FormatSample.size)
        return detect(path: path, head: head)
    }

    /// Recognises the format from a path (of a file or an archive member) and the first bytes.
    public static func detect(path: String, head: [UInt8]) -> Detection {
        let magic = Array(head.prefix(4))
        switch magic {
        case [0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D]:
            return .capture("pcap")
        case [0x0A, 0x0D, 0x0D, 0x0A]:
            return .capture("pcapng")
        case [0x50, 0x4B, 0x03, 0x04], [0x50, 0x4B, 0x05, 0x06], [0x50, 0x4B, 0x07, 0x08]:
            return .archive("zip")
        default:
            break
        }
        if head.starts(with: [0x1F, 0x8B]) { return .archive("gzip") }
        if let parser = ParserRegistry.recognize(FormatSample(path: path, head: head)) { return .log(parser) }
        return .unknown
    }
}

/// Errors reading evidence from disk; each names the file.
public enum IntakeError: Error, Hashable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    /// The file's content changed between hashing and parsing.
    case changedDuringIngest(path: String, before: String, after: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "\(path): cannot open: \(reason)"
        case .readFailed(let path, let reason): return "\(path): read failed: \(reason)"
        case .changedDuringIngest(let path, let before, let after):
            return
                "\(path): changed while being read (SHA-256 \(before.prefix(12))… before, \(after.prefix(12))… after); not ingested"
        }
    }
}
