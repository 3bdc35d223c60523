import Crypto
import Foundation
import SpoorCapture
import SpoorCase
import SpoorCore
import SpoorIntel

/// The evidence annex: one folder a lawyer can file and anyone can check.
///
/// `findings.json`, `report.html`, `events.csv`, `flows.csv`, `subjects.csv`,
/// `indicators.stix.json` (the indicators the evidence matched, with their provenance), and
/// `manifest.json` holding the SHA-256 of each of those files and of every evidence input, with
/// the reference data used. With a signing key, `manifest.sig` holds an Ed25519 signature of
/// the manifest's exact bytes. Nothing in it depends on when or where it was written except
/// `generatedAt`, so the same case and time give byte-identical files.
public enum Annex {
    public static let manifestName = "manifest.json"
    public static let signatureName = "manifest.sig"

    /// Writes the annex into `directory` (created when needed). Returns the paths written.
    public static func write(
        store: CaseStore, to directory: String, generatedAt: String, signingKey: Curve25519.Signing.PrivateKey? = nil
    ) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let document = try FindingsDocument.build(from: store, generatedAt: generatedAt)
        var files: [(name: String, bytes: Data)] = []
        files.append(("findings.json", try document.encoded()))
        files.append(("report.html", Data(try HTMLReport.render(document, store: store).utf8)))

        var events = EventRows.header
        try store.forEachEvent { events += EventRows.csvLine($0) }
        files.append(("events.csv", Data(events.utf8)))

        var flows = FlowRowWriter(style: .csv)
        flows.bytes += Array((FlowRowWriter.columns.joined(separator: ",") + "\n").utf8)
        try store.forEachFlow { flows.row($0) }
        files.append(("flows.csv", Data(flows.bytes)))

        var subjects = SubjectRows.header
        for subject in document.subjects { subjects += SubjectRows.csvLine(subject.subject) }
        files.append(("subjects.csv", Data(subjects.utf8)))

        files.append(("indicators.stix.json", Data(try IndicatorExporter.stix(matchedIndicators(document), generatedAt: generatedAt).utf8)))

        var written: [String] = []
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file.name)
            try file.bytes.write(to: URL(fileURLWithPath: path))
            written.append(path)
        }
        let manifest = try Manifest.build(document: document, files: files).encoded()
        let manifestPath = (directory as NSString).appendingPathComponent(manifestName)
        try manifest.write(to: URL(fileURLWithPath: manifestPath))
        written.append(manifestPath)
        let signaturePath = (directory as NSString).appendingPathComponent(signatureName)
        if let signingKey {
            try ManifestSignature.sign(manifest, with: signingKey).encoded().write(to: URL(fileURLWithPath: signaturePath))
            written.append(signaturePath)
        } else if FileManager.default.fileExists(atPath: signaturePath) {
            // A signature left from an earlier run would not match this manifest.
            try FileManager.default.removeItem(atPath: signaturePath)
        }
        return written
    }

    /// Every indicator the evidence matched, once, with the provenance the analysis recorded.
    static func matchedIndicators(_ document: FindingsDocument) -> [IndicatorRecord] {
        var seen: [String: IndicatorRecord] = [:]
        for subject in document.subjects {
            for hit in subject.subject.indicatorHits {
                guard let type = IndicatorType(rawValue: hit.type),
                    case .success(let (indicator, _)) = Indicator.parse(hit.value, type: type)
                else { continue }
                let key = hit.type + " " + hit.value
                if seen[key] == nil { seen[key] = IndicatorRecord(id: Int64(seen.count + 1), indicator: indicator, provenance: hit.provenance) }
            }
        }
        return seen.values.sorted { ($0.indicator.type.rawValue, $0.indicator.value) < ($1.indicator.type.rawValue, $1.indicator.value) }
    }
}

/// `manifest.json`: what the annex holds and what it was made from, each by SHA-256.
/// Schema `spoor-manifest/1`, documented in docs/annex.md.
public struct Manifest: Codable, Sendable, Hashable {
    public struct File: Codable, Sendable, Hashable {
        public var name: String
        public var bytes: Int
        public var sha256: String
    }

    public struct Evidence: Codable, Sendable, Hashable {
        public var path: String
        public var member: String?
        public var bytes: Int64
        public var sha256: String
        public var format: String?
        public var parser: String?
        public var records: Int
        public var status: String
    }

    public struct Database: Codable, Sendable, Hashable {
        public var fileName: String
        public var databaseType: String
        public var buildDate: String
        public var sha256: String
    }

    public struct IndicatorSet: Codable, Sendable, Hashable {
        /// The store's content hash: the set's version.
        public var contentHash: String
        public var indicators: Int
        public var provenanceRecords: Int
        public var sources: [String]
    }

    public var schema = "spoor-manifest/1"
    public var spoorVersion: String
    public var generatedAt: String
    public var caseTitle: String
    public var caseReference: String?
    /// Every annex file except the manifest and its signature, by name.
    public var files: [File]
    public var evidence: [Evidence]
    public var databases: [Database]
    public var indicatorSet: IndicatorSet?

    static func build(document: FindingsDocument, files: [(name: String, bytes: Data)]) -> Manifest {
        Manifest(
            spoorVersion: document.spoorVersion, generatedAt: document.generatedAt, caseTitle: document.case.title,
            caseReference: document.case.reference,
            files: files.map { File(name: $0.name, bytes: $0.bytes.count, sha256: sha256Hex($0.bytes)) }.sorted { $0.name < $1.name },
            evidence: document.evidence.map {
                Evidence(path: $0.path, member: $0.member, bytes: $0.size, sha256: $0.sha256, format: $0.format, parser: $0.parser, records: $0.records, status: $0.status)
            },
            databases: (document.analysis?.databases ?? []).map {
                Database(fileName: $0.fileName, databaseType: $0.databaseType, buildDate: $0.buildDate, sha256: $0.sha256)
            },
            indicatorSet: document.analysis?.intel.map {
                IndicatorSet(contentHash: $0.contentHash, indicators: $0.indicators, provenanceRecords: $0.provenanceRecords, sources: $0.sources)
            })
    }

    /// Stable JSON: sorted keys, snake_case, two-space indentation, final newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self) + Data("\n".utf8)
    }

    public static func decode(_ data: Data) throws -> Manifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: data)
    }
}

/// `manifest.sig`: an Ed25519 signature over the exact bytes of `manifest.json`.
public struct ManifestSignature: Codable, Sendable, Hashable {
    public var algorithm = "Ed25519"
    /// The signer's public key, 32 bytes as hex; also its fingerprint's source.
    public var publicKey: String
    /// 64 bytes as hex.
    public var signature: String
    /// SHA-256 of the public key, hex: compare it with the one the signer published.
    public var keyFingerprint: String

    public static func sign(_ manifest: Data, with key: Curve25519.Signing.PrivateKey) throws -> ManifestSignature {
        let publicKey = key.publicKey.rawRepresentation
        return ManifestSignature(
            publicKey: hex(publicKey), signature: hex(try key.signature(for: manifest)), keyFingerprint: sha256Hex(publicKey))
    }

    /// Whether the signature is the key's over these bytes.
    public func verifies(_ manifest: Data) -> Bool {
        guard algorithm == "Ed25519", let keyBytes = unhex(publicKey), let signatureBytes = unhex(signature),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)
        else { return false }
        return key.isValidSignature(signatureBytes, for: manifest)
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self) + Data("\n".utf8)
    }

    public static func decode(_ data: Data) throws -> ManifestSignature {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ManifestSignature.self, from: data)
    }
}

/// Signing keys on disk: the private key as 64 hex digits in a file readable by its owner
/// only, the public key beside it (`.pub`).
public enum SigningKeys {
    public static func generate(privatePath: String) throws -> (publicPath: String, fingerprint: String) {
        guard !FileManager.default.fileExists(atPath: privatePath) else {
            throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: privatePath])
        }
        let key = Curve25519.Signing.PrivateKey()
        let created = FileManager.default.createFile(
            atPath: privatePath, contents: Data((hex(key.rawRepresentation) + "\n").utf8), attributes: [.posixPermissions: 0o600])
        guard created else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: privatePath]) }
        let publicPath = privatePath + ".pub"
        try Data((hex(key.publicKey.rawRepresentation) + "\n").utf8).write(to: URL(fileURLWithPath: publicPath))
        return (publicPath, sha256Hex(key.publicKey.rawRepresentation))
    }

    public static func loadPrivate(_ path: String) throws -> Curve25519.Signing.PrivateKey {
        try Curve25519.Signing.PrivateKey(rawRepresentation: try readKey(path, what: "signing key"))
    }

    public static func loadPublic(_ path: String) throws -> Data { try readKey(path, what: "public key") }

    /// 32 bytes written as 64 hex digits, the one layout of both key files.
    static func readKey(_ path: String, what: String) throws -> Data {
        let text = try String(contentsOfFile: path, encoding: .utf8).trimming(" \t\r\n")
        guard let bytes = unhex(text), bytes.count == 32 else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "\(path): not a Spoor \(what) (64 hex digits)"])
        }
        return bytes
    }
}

/// Hex digests, as the manifest writes them.
public enum Digest {
    public static func sha256(_ data: some DataProtocol) -> String { sha256Hex(data) }
    public static func hexBytes(_ data: some DataProtocol) -> String { hex(data) }
}

func sha256Hex(_ data: some DataProtocol) -> String { hex(Data(SHA256.hash(data: data))) }

func hex(_ data: some DataProtocol) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(data.count * 2)
    for byte in data {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

func unhex(_ text: String) -> Data? {
    let bytes = Array(text.utf8)
    guard bytes.count % 2 == 0 else { return nil }
    var out = Data(capacity: bytes.count / 2)
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
    var i = 0
    while i < bytes.count {
        guard let high = value(bytes[i]), let low = value(bytes[i + 1]) else { return nil }
        out.append(high << 4 | low)
        i += 2
    }
    return out
}
