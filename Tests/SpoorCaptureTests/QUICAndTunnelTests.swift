import Foundation
@testable import SpoorCapture
import SpoorCore
import SpoorTestSupport
import Testing

/// QUIC Initial server names and the UDP tunnels Teredo, AYIYA and GRE-in-UDP, on the synthetic
/// capture Tests/Fixtures/capture/make-tunnels-and-quic writes, on the RFCs' key derivation
/// examples, and against Wireshark's dissectors (tshark) on the same files and on the
/// conformance corpus.
@Suite struct QUICAndTunnelTests {
    struct Analysis {
        var flows: [Flow] = []
        var names: [NameRecord] = []
    }

    static func analyze(_ path: String) throws -> Analysis {
        var result = Analysis()
        let analyzer = CaptureAnalyzer(onFlow: { result.flows.append($0) }, onName: { result.names.append($0) })
        _ = analyzer.analyze(try CaptureFile(path: path))
        return result
    }

    static let fixture = Fixtures.path("capture/tunnels-and-quic.pcap")

    static func hex(_ key: some ContiguousBytes) -> String {
        key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    @Test func initialKeysAreTheRFCsExamples() {
        // RFC 9001 Appendix A.1 and RFC 9369 Appendix A.1: client keys for 0x8394c8f03e515708.
        let dcid = Hex.bytes("8394c8f03e515708")!
        let v1 = QUICInitial.Keys(clientDestination: dcid, version: .v1)
        #expect(Self.hex(v1.key) == "1f369613dd76d5467730efcbe3b1a22d")
        #expect(Self.hex(v1.iv) == "fa044b2f42a3fd3b46fb255c")
        #expect(Self.hex(v1.headerProtection) == "9f50449e04a0e810283a1e9933adedd2")
        let v2 = QUICInitial.Keys(clientDestination: dcid, version: .v2)
        #expect(Self.hex(v2.key) == "8b1a0bc121284290a29e0971b5cd045d")
        #expect(Self.hex(v2.iv) == "91f73e2351d8fa91660e909f")
        #expect(Self.hex(v2.headerProtection) == "45b95e15235d6f45a6b19cbcb0294ba9")
    }

    @Test func quicClientInitialsNameTheirServer() throws {
        let result = try Self.analyze(Self.fixture)
        let quic = result.names.filter { $0.kind == .quicServerName }
        // v1 split over two packets with its pieces out of order, v2, draft 29; the forged one gives nothing.
        #expect(Set(quic.map(\.name)) == ["quic.example.net", "v2.example.org", "draft29.example.com"])
        let v1 = try #require(quic.first { $0.name == "quic.example.net" })
        #expect(v1.address?.description == "203.0.113.40")
        #expect(v1.packet == 8, "the name is complete with the second Initial")
        let forged = try #require(result.flows.first { $0.responder.description == "203.0.113.43" })
        #expect(forged.names.isEmpty && !forged.services.contains("quic"))
        #expect(result.flows.first { $0.responder.description == "203.0.113.41" }?.services.contains("quic") == true)
    }

    @Test func udpTunnelsAreFollowedToTheirInnerFlowsAndNames() throws {
        let result = try Self.analyze(Self.fixture)
        func inner(_ client: String) -> Flow? { result.flows.first { $0.originator.description == client } }
        for (client, kind, carrier, service) in [
            ("2001:db8:1::30", TunnelLayer.Kind.teredo, "192.0.2.30", "teredo"),
            ("2001:db8:3::31", .ayiya, "192.0.2.31", "ayiya"),
            ("192.0.2.132", .greInUDP, "192.0.2.32", "gre-in-udp"),
        ] {
            let flow = try #require(inner(client), "\(kind.rawValue): no inner flow")
            #expect(flow.tunnel == kind)
            #expect(flow.tunnelSource?.description == carrier)
            #expect(flow.originatorPackets == 1 && flow.responderPackets == 1, "\(kind.rawValue): query and answer")
            let parent = try #require(result.flows.first { $0.id == flow.tunnelParent && $0.tunnel == nil })
            #expect(parent.services.contains(service))
        }
        let answers = Dictionary(
            result.names.filter { $0.kind == .dnsAnswer }.map { ($0.name, $0.address?.description ?? "") },
            uniquingKeysWith: { a, _ in a })
        #expect(answers["teredo.example.net"] == "2001:db8:2::80")
        #expect(answers["ayiya.example.net"] == "203.0.113.31")
        #expect(answers["gre.example.net"] == "203.0.113.32")
    }

    @Test func aBracketedIPv6HostIsThatAddress() throws {
        let hosts = try Self.analyze(Self.fixture).names.filter { $0.kind == .httpHost }
        #expect(hosts.map(\.name) == ["2001:db8::44"])
    }

    // MARK: Wireshark as the oracle

    static let tshark = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// One column per line of what tshark reads from a capture (empty values dropped).
    static func tsharkField(_ path: String, filter: String, field: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(tshark))
        process.arguments = ["-n", "-r", path, "-Y", filter, "-T", "fields", "-e", field]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").flatMap { $0.split(separator: ",") }.map(String.init)
    }

    /// Every capture of the corpus, and the fixture.
    static var captures: [String] {
        var paths = [fixture]
        if let shared = Fixtures.sharedTestdata?.appendingPathComponent("pcap"),
            let files = try? FileManager.default.contentsOfDirectory(atPath: shared.path)
        {
            paths += files.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map {
                shared.appendingPathComponent($0).path
            }
        }
        return paths
    }

    @Test(.enabled(if: tshark != nil, "tshark is absent (Scripts/setup installs it)"))
    func quicServerNamesAgreeWithWireshark() throws {
        var compared = 0
        for path in Self.captures {
            let theirs = Set(try Self.tsharkField(path, filter: "quic", field: "tls.handshake.extensions_server_name"))
            let ours = Set(try Self.analyze(path).names.filter { $0.kind == .quicServerName }.map(\.name))
            #expect(ours == theirs, "\((path as NSString).lastPathComponent): Spoor \(ours.sorted()), tshark \(theirs.sorted())")
            compared += theirs.count
        }
        // The fixture's three and the corpus's interop capture at least.
        #expect(compared >= 4)
    }

    @Test(.enabled(if: tshark != nil, "tshark is absent (Scripts/setup installs it)"))
    func tunnelledDNSAgreesWithWireshark() throws {
        let filter = "dns.flags.response == 1 && (udp.port == 3544 || udp.port == 5072 || udp.port == 4754)"
        let theirs = Set(try Self.tsharkField(Self.fixture, filter: filter, field: "dns.qry.name"))
        let ours = Set(try Self.analyze(Self.fixture).names.filter { $0.kind == .dnsAnswer }.map(\.name))
        #expect(theirs.count == 3)
        #expect(ours == theirs)
    }
}
