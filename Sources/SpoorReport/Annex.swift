import Crypto
import Foundation
import SpoorCapture
import SpoorAnalysis
import SpoorCase
import SpoorCore
import SpoorIntel
import SpoorStore

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
    public static let pdfName = "report.pdf"

    /// How to write the annex.
    public struct Options {
        /// RFC 3339 UTC: the annex's stamp, the only input that is not the case itself.
        public var generatedAt: String
        public var signingKey: Curve25519.Signing.PrivateKey?
        /// The report's words; nil for the English set shipped with Spoor.
        public var templates: ReportTemplates?
        public var pdf: PDFRenderer.Choice
        /// Replace the account holder's side with pseudonyms (see ``Redaction``).
        public var redact: Bool

        public init(
            generatedAt: String, signingKey: Curve25519.Signing.PrivateKey? = nil, templates: ReportTemplates? = nil,
            pdf: PDFRenderer.Choice = .none, redact: Bool = false
        ) {
            self.generatedAt = generatedAt
            self.signingKey = signingKey
            self.templates = templates
            self.pdf = pdf
            self.redact = redact
        }
    }

    /// What was written.
    public struct Written {
        public var paths: [String]
        /// The program that printed report.pdf, when one did.
        public var renderer: PDFRenderer.Renderer?
        /// Why there is no report.pdf, when a PDF was wanted (no renderer, or the renderer failed).
        public var pdfSkipped: String?
    }

    /// Writes the annex into `directory` (created when needed).
    public static func write(store: CaseStore, to directory: String, options: Options) throws -> Written {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let templates = try options.templates ?? ReportTemplates.bundled()
        var document = try FindingsDocument.build(from: store, generatedAt: options.generatedAt)
        let redaction =
            options.redact ? try Redaction(key: try store.redactionKey(), store: store, findings: document.findings) : nil
        let named = Set(document.findings.flatMap { $0.addresses.map(\.description) })
        if let redaction { document = redaction.document(document) }
        let renderer = try PDFRenderer.resolve(options.pdf)

        var files: [Manifest.File] = []
        var paths: [String] = []
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        func put(_ name: String, _ bytes: Data) throws {
            try bytes.write(to: URL(fileURLWithPath: path(name)))
            files.append(Manifest.File(name: name, bytes: bytes.count, sha256: sha256Hex(bytes)))
            paths.append(path(name))
        }
        func finish(_ file: inout HashingFile, _ name: String) throws {
            files.append(try file.finish(name: name))
            paths.append(path(name))
        }

        // findings.json and subjects.csv in one pass over the subjects, one at a time; the page
        // gets an overview (counts, the addresses it details, the reference data they cite).
        var findingsFile = try HashingFile(path: path("findings.json"))
        findingsFile.write(try document.opening())
        var subjectsFile = try HashingFile(path: path("subjects.csv"))
        subjectsFile.write(SubjectRows.header)
        var writer = SubjectWriter(redaction: redaction)
        var overview = SubjectOverview(named: named)
        try store.forEachSubject { original, records in
            let shown = redaction?.subject(original) ?? original
            try writer.write(shown, records: records, to: &findingsFile)
            subjectsFile.write(SubjectRows.csvLine(shown))
            try subjectsFile.flushIfFull()
            overview.note(original, shown: shown)
        }
        findingsFile.write(FindingsDocument.closing(empty: writer.isEmpty))
        try finish(&findingsFile, "findings.json")
        try finish(&subjectsFile, "subjects.csv")

        let html = try HTMLReport.render(
            document, overview: overview, store: store, templates: templates, redaction: redaction, pdf: renderer != nil)
        try put("report.html", Data(html.utf8))

        // The record tables stream to disk, hashed as they go: their size is the evidence's.
        var events = try HashingFile(path: path("events.csv"))
        events.write(EventRows.header)
        try store.forEachEvent(withFields: false) { event in
            events.write { EventRows.appendCSVLine(redaction?.event(event) ?? event, to: &$0) }
            try events.flushIfFull()
        }
        try finish(&events, "events.csv")

        var flowFile = try HashingFile(path: path("flows.csv"))
        var flows = FlowRowWriter(style: .csv)
        if let redaction {
            flows.replaceAddress = { redaction.kept.contains($0.description) ? nil : redaction.address($0.description) }
            flows.replacePath = { redaction.path($0) }
        }
        flows.bytes += Array((FlowRowWriter.columns.joined(separator: ",") + "\n").utf8)
        try store.forEachFlow { stored in
            if let redaction, !redaction.keeps(stored.flow) { return }
            flows.row(stored)
            if flows.bytes.count >= HashingFile.chunk {
                flowFile.write(bytes: flows.bytes)
                flows.bytes.removeAll(keepingCapacity: true)
                try flowFile.flushIfFull()
            }
        }
        flowFile.write(bytes: flows.bytes)
        try finish(&flowFile, "flows.csv")
        try put(
            "indicators.stix.json",
            Data(try IndicatorExporter.stix(matchedIndicators(overview.indicators), generatedAt: options.generatedAt).utf8))

        var printed: PDFRenderer.Renderer? = nil
        var pdfMissing: String? = options.pdf == .auto && renderer == nil ? "neither weasyprint nor chromium is installed" : nil
        let pdfPath = path(pdfName)
        try? FileManager.default.removeItem(atPath: pdfPath)
        if let renderer {
            // A printer that fails or runs out of time costs the PDF only: the page, the data
            // files and the manifest (which says why there is no PDF) are still written.
            let epoch = Timestamp.parseISO8601(options.generatedAt)?.date.map { Int64($0.timeIntervalSince1970) } ?? 0
            do {
                printed = try PDFRenderer.render(
                    htmlPath: path("report.html"), pdfPath: pdfPath, renderer: renderer, epoch: epoch)
                let bytes = try Data(contentsOf: URL(fileURLWithPath: pdfPath))
                files.append(Manifest.File(name: pdfName, bytes: bytes.count, sha256: sha256Hex(bytes)))
                paths.append(pdfPath)
            } catch {
                printed = nil
                try? FileManager.default.removeItem(atPath: pdfPath)
                pdfMissing = SafeText.excerpt(String(describing: error), limit: 400)
            }
        }

        var manifest = Manifest.build(document: document, files: files)
        manifest.redacted = redaction != nil ? true : nil
        manifest.renderer = printed
        manifest.pdfMissing = pdfMissing
        manifest.templates = .init(language: templates.language, sha256: templates.sha256)
        let manifestBytes = try manifest.encoded()
        try manifestBytes.write(to: URL(fileURLWithPath: path(manifestName)))
        paths.append(path(manifestName))
        let signaturePath = path(signatureName)
        if let signingKey = options.signingKey {
            try ManifestSignature.sign(manifestBytes, with: signingKey).encoded().write(to: URL(fileURLWithPath: signaturePath))
            paths.append(signaturePath)
        } else if FileManager.default.fileExists(atPath: signaturePath) {
            // A signature left from an earlier run would not match this manifest.
            try FileManager.default.removeItem(atPath: signaturePath)
        }
        return Written(paths: paths, renderer: printed, pdfSkipped: pdfMissing)
    }

    /// Every indicator the evidence matched, once, with the provenance the analysis recorded.
    static func matchedIndicators(_ hits: [String: IndicatorHit]) -> [IndicatorRecord] {
        var records: [IndicatorRecord] = []
        for key in hits.keys.sorted() {
            guard let hit = hits[key], let type = IndicatorType(rawValue: hit.type),
                case .success(let (indicator, _)) = Indicator.parse(hit.value, type: type)
            else { continue }
            records.append(IndicatorRecord(id: Int64(records.count + 1), indicator: indicator, provenance: hit.provenance))
        }
        return records.sorted {
            ($0.indicator.type.rawValue, $0.indicator.value) < ($1.indicator.type.rawValue, $1.indicator.value)
        }
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
    /// The dated reference files the analysis read from the reference store (registry
    /// snapshots, Tor exit lists, passive DNS): kind, format, file name, SHA-256 and date.
    public var referenceSnapshots: [ReferenceSnapshot]?
    /// True when the annex was written with `--redact`.
    public var redacted: Bool?
    /// The program that printed report.pdf.
    public var renderer: PDFRenderer.Renderer?
    /// Why there is no report.pdf although one was asked for (the printer failed, timed out or
    /// is not installed).
    public var pdfMissing: String?
    /// The report templates used: their language (folder name) and SHA-256 over the set.
    public var templates: TemplateSet?

    public struct TemplateSet: Codable, Sendable, Hashable {
        public var language: String
        public var sha256: String
    }

    static func build(document: FindingsDocument, files: [File]) -> Manifest {
        Manifest(
            spoorVersion: document.spoorVersion, generatedAt: document.generatedAt, caseTitle: document.case.title,
            caseReference: document.case.reference,
            files: files.sorted { $0.name < $1.name },
            evidence: document.evidence.map {
                Evidence(
                    path: $0.path, member: $0.member, bytes: $0.size, sha256: $0.sha256, format: $0.format, parser: $0.parser,
                    records: $0.records, status: $0.status)
            },
            databases: (document.analysis?.databases ?? []).map {
                Database(fileName: $0.fileName, databaseType: $0.databaseType, buildDate: $0.buildDate, sha256: $0.sha256)
            },
            indicatorSet: document.analysis?.intel.map {
                IndicatorSet(
                    contentHash: $0.contentHash, indicators: $0.indicators, provenanceRecords: $0.provenanceRecords,
                    sources: $0.sources)
            },
            referenceSnapshots: document.analysis?.referenceSnapshots)
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

/// A file written in pieces and hashed on the way, so a table of millions of rows never sits
/// in memory whole.
struct HashingFile {
    static let chunk = 1 << 20
    let handle: FileHandle
    var hasher = SHA256()
    var buffer: [UInt8] = []
    var count = 0

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        buffer.reserveCapacity(Self.chunk + 4096)
    }

    mutating func write(_ text: String) { buffer += text.utf8 }
    mutating func write(bytes: [UInt8]) { buffer += bytes }
    /// Lets `body` append to the buffer in place.
    mutating func write(_ body: (inout [UInt8]) -> Void) { body(&buffer) }

    mutating func flushIfFull() throws {
        if buffer.count >= Self.chunk { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        hasher.update(data: buffer)
        try handle.write(contentsOf: buffer)
        count += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func finish(name: String) throws -> Manifest.File {
        try flush()
        try handle.close()
        return Manifest.File(name: name, bytes: count, sha256: hex(Data(hasher.finalize())))
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
            throw CocoaError(
                .fileReadCorruptFile,
                userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "\(path): not a Spoor \(what) (64 hex digits)"])
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
