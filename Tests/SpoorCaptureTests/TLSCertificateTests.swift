import Foundation
@testable import SpoorCapture
import SpoorCore
import SpoorTestSupport
import Testing

/// The names of a TLS server's certificate, where the handshake is in clear: checked on a
/// certificate made for the test (by openssl) and, on the corpus's captures, against what
/// Wireshark (tshark) finds as the certificates and openssl reads from them.
@Suite struct TLSCertificateTests {
    static let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func run(_ tool: String, _ arguments: [String], input: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let inPipe = Pipe()
        if input != nil { process.standardInput = inPipe }
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try inPipe.fileHandleForWriting.close()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    /// A self-signed certificate for documentation names, as DER.
    static func certificate(subject: String, alternativeNames: String?) throws -> [UInt8] {
        let folder = try Fixtures.temporaryDirectory()
        let key = folder.appendingPathComponent("key.pem").path
        let der = folder.appendingPathComponent("cert.der").path
        var arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-subj", subject, "-days", "1", "-outform", "DER", "-out", der,
        ]
        if let alternativeNames { arguments += ["-addext", "subjectAltName=\(alternativeNames)"] }
        _ = try run(try #require(openssl), arguments)
        return Array(try Data(contentsOf: URL(fileURLWithPath: der)))
    }

    /// A server's first flight in TLS 1.2: ServerHello, Certificate, ServerHelloDone, in records
    /// of at most `recordSize` bytes.
    static func serverFlight(_ certificates: [[UInt8]], recordSize: Int = 16_384) -> [UInt8] {
        func message(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
            [type, UInt8(body.count >> 16 & 0xFF), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)] + body
        }
        func u24(_ n: Int) -> [UInt8] { [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] }
        let hello = message(2, [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0x00, 0xC0, 0x2F, 0x00])
        let list = certificates.flatMap { u24($0.count) + $0 }
        let handshake = hello + message(11, u24(list.count) + list) + message(14, [])
        var out: [UInt8] = []
        var o = 0
        while o < handshake.count {
            let piece = Array(handshake[o..<min(o + recordSize, handshake.count)])
            out += [0x16, 0x03, 0x03, UInt8(piece.count >> 8), UInt8(piece.count & 0xFF)] + piece
            o += piece.count
        }
        return out
    }

    static func names(_ stream: [UInt8], segment: Int = 1_460) -> [[String]] {
        let watcher = StreamWatcher(purpose: .server)
        var found: [[String]] = []
        var o = 0
        while o < stream.count {
            let piece = Array(stream[o..<min(o + segment, stream.count)])
            piece.withUnsafeBytes { bytes in
                watcher.segment(at: Int64(o), bytes) { if case .certificateNames(let names) = $0 { found.append(names) } }
            }
            o += piece.count
        }
        return found
    }

    @Test(.enabled(if: openssl != nil, "openssl is absent"))
    func theLeafCertificatesNamesAreReadAcrossRecordsAndSegments() throws {
        let leaf = try Self.certificate(
            subject: "/CN=WWW.Example.COM/O=Example Hosting", alternativeNames: "DNS:example.net,DNS:*.example.org,IP:192.0.2.7")
        let issuer = try Self.certificate(subject: "/CN=Example Issuing CA", alternativeNames: "DNS:ca.example.com")
        let expected = ["www.example.com", "example.net", "*.example.org"]
        #expect(Self.names(Self.serverFlight([leaf, issuer])) == [expected], "the issuer's names are not the server's")
        #expect(Self.names(Self.serverFlight([leaf, issuer], recordSize: 300), segment: 100) == [expected])
        // A common name that is not a host name is left out; the alternative names stay.
        let plain = try Self.certificate(subject: "/CN=Example Media Server", alternativeNames: "DNS:media.example.net")
        #expect(Self.names(Self.serverFlight([plain])) == [["media.example.net"]])
    }

    @Test(.enabled(if: openssl != nil, "openssl is absent"))
    func aHandshakeWhoseCertificateIsEncryptedOrCutShortGivesNoNames() throws {
        let leaf = try Self.certificate(subject: "/CN=www.example.com", alternativeNames: nil)
        // TLS 1.3: ServerHello, then ChangeCipherSpec and encrypted records.
        let hello: [UInt8] = [0x02, 0, 0, 38, 0x03, 0x03] + [UInt8](repeating: 1, count: 32) + [0, 0x13, 0x01, 0]
        let tls13 =
            [0x16, 0x03, 0x03, 0, UInt8(hello.count)] + hello + [0x14, 0x03, 0x03, 0, 1, 1] + [
                0x17, 0x03, 0x03, 0, 4, 1, 2, 3, 4,
            ]
        #expect(Self.names(tls13).isEmpty)
        // Cut short: no names rather than names read from part of a certificate.
        let flight = Self.serverFlight([leaf])
        #expect(Self.names(Array(flight.prefix(flight.count / 2))).isEmpty)
        // Bytes that are not a certificate where one should be.
        var broken = flight
        for i in 60..<min(200, broken.count) { broken[i] = 0xFF }
        #expect(Self.names(broken).allSatisfy { $0.isEmpty })
    }

    @Test(.enabled(if: QUICAndTunnelTests.tshark != nil && openssl != nil, "tshark or openssl is absent"))
    func certificateNamesAgreeWithWiresharkAndOpenSSL() throws {
        var compared = 0
        for path in QUICAndTunnelTests.captures {
            // Each Certificate message's first certificate, as tshark finds it; its names as openssl
            // reads them. Wireshark does not follow IRC's STARTTLS by itself: port 6667 is named TLS.
            let frames = try Self.run(
                try #require(QUICAndTunnelTests.tshark),
                [
                    "-n", "-r", path, "-d", "tcp.port==6667,tls", "-Y", "tls.handshake.type == 11", "-T", "fields", "-e",
                    "tls.handshake.certificate",
                ])
            var theirs = Set<String>()
            for line in String(decoding: frames, as: UTF8.self).split(separator: "\n") {
                guard let hex = line.split(separator: ",").first, let der = Hex.bytes(String(hex)) else { continue }
                let text = String(
                    decoding: try Self.run(
                        try #require(Self.openssl),
                        ["x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "sep_multiline", "-ext", "subjectAltName"],
                        input: Data(der)), as: UTF8.self)
                for row in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    if row.hasPrefix("CN="), case let cn = row.dropFirst(3).lowercased(), cn.contains("."), !cn.contains(" ") {
                        theirs.insert(cn)
                    }
                    for entry in row.split(separator: ",") where entry.trimmingCharacters(in: .whitespaces).hasPrefix("DNS:") {
                        theirs.insert(entry.trimmingCharacters(in: .whitespaces).dropFirst(4).lowercased())
                    }
                }
            }
            let ours = Set(try QUICAndTunnelTests.analyze(path).names.filter { $0.kind == .tlsCertificateName }.map(\.name))
            #expect(
                ours == theirs,
                "\((path as NSString).lastPathComponent): Spoor \(ours.sorted()), tshark+openssl \(theirs.sorted())")
            compared += theirs.count
        }
        if Fixtures.sharedTestdata != nil { #expect(compared >= 4, "the corpus holds certificates in clear") }
    }
}
