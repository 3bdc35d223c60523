import Foundation
@testable import SpoorCapture
import SpoorCore
import SpoorTestSupport
import Testing

@Suite struct DNSMessageTests {
    /// A response for www.example.org: a CNAME to edge.example.net (compressed) and an A record.
    static let response: [UInt8] = {
        var m: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        m += [3] + Array("WWW".utf8) + [7] + Array("example".utf8) + [3] + Array("org".utf8) + [0, 0, 1, 0, 1]
        m +=
            [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 18] + [4] + Array("edge".utf8) + [7] + Array("example".utf8) + [3]
            + Array("net".utf8) + [0]
        m += [0xC0, 45, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 198, 51, 100, 7]
        return m
    }()

    @Test func readsTheQuestionCNAMEAndAddressLowerCased() throws {
        let parsed = try #require(Self.response.withUnsafeBytes { DNSMessage.parse($0) })
        #expect(parsed.isResponse)
        #expect(parsed.question == "www.example.org")
        #expect(parsed.answers.count == 2)
        #expect(parsed.answers[0].target == "edge.example.net")
        #expect(parsed.answers[1].name == "edge.example.net")
        #expect(parsed.answers[1].address?.description == "198.51.100.7")
        #expect(parsed.answers[1].ttl == 300)
    }

    @Test func aPTRAnswerNamesTheAddressOfItsReverseName() throws {
        var m: [UInt8] = [0x12, 0x35, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
        let reverse = ["7", "100", "51", "198", "in-addr", "arpa"]
        for label in reverse { m += [UInt8(label.utf8.count)] + Array(label.utf8) }
        m += [0, 0, 12, 0, 1]
        m +=
            [0xC0, 12, 0, 12, 0, 1, 0, 0, 0, 60, 0, 20] + [6] + Array("host07".utf8) + [7] + Array("example".utf8) + [3]
            + Array("net".utf8) + [0]
        let parsed = try #require(m.withUnsafeBytes { DNSMessage.parse($0) })
        #expect(parsed.answers.count == 1)
        #expect(parsed.answers[0].address?.description == "198.51.100.7")
        #expect(parsed.answers[0].target == "host07.example.net")
        #expect(DNSMessage.typeName(parsed.answers[0].type) == "PTR")
        #expect(
            IPAddress(reverseName: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.")?.description
                == "2001:db8::1")
        #expect(IPAddress(reverseName: "7.100.51.in-addr.arpa") == nil)
        #expect(IPAddress(reverseName: "www.example.org") == nil)
    }

    @Test func refusesPointerLoopsForwardPointersAndReservedLabels() {
        // The question name is a pointer to itself: a loop.
        var loop: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
        var offset = 12
        #expect(loop.withUnsafeBytes { DNSMessage.readName($0, &offset) } == nil)
        // Two labels pointing at each other, backwards each time from where they sit.
        loop = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0xC0, 16, 1, 0x62, 0xC0, 12]
        offset = 16
        #expect(loop.withUnsafeBytes { DNSMessage.readName($0, &offset) } == nil)
        let forward: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 20, 0, 0, 0, 0, 0, 0, 1, 0x61, 0]
        offset = 12
        #expect(forward.withUnsafeBytes { DNSMessage.readName($0, &offset) } == nil)
        let reserved: [UInt8] = [0x40, 0x61, 0]
        offset = 0
        #expect(reserved.withUnsafeBytes { DNSMessage.readName($0, &offset) } == nil)
        let odd: [UInt8] = [3, 0x61, 0x2E, 0x07, 0]
        offset = 0
        #expect(odd.withUnsafeBytes { DNSMessage.readName($0, &offset) } == "a\\046\\007")
    }
}

@Suite struct TLSAndHTTPTests {
    /// A TLS 1.2 ClientHello record for `mail.example.org`, with a GREASE extension first.
    static func clientHello(_ name: String) -> [UInt8] {
        let host = Array(name.utf8)
        let sni: [UInt8] = [0, 0] + be16(host.count + 5) + be16(host.count + 3) + [0] + be16(host.count) + host
        let extensions: [UInt8] = [0x0A, 0x0A, 0, 0] + sni
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 7, count: 32) + [0] + [0, 2, 0x13, 0x01] + [1, 0]
        body += be16(extensions.count) + extensions
        let handshake: [UInt8] = [1, 0] + be16(body.count) + body
        return [0x16, 3, 1] + be16(handshake.count) + handshake
    }

    static func be16(_ n: Int) -> [UInt8] { [UInt8(n >> 8), UInt8(n & 0xFF)] }

    @Test func readsTheServerNameWholeOrSplitOverRecordsAndNeedsMoreWhenCut() {
        let hello = Self.clientHello("Mail.Example.org")
        #expect(hello.withUnsafeBytes { TLSClientHello.parse($0) } == .serverName("mail.example.org"))
        #expect(Array(hello.prefix(40)).withUnsafeBytes { TLSClientHello.parse($0) } == .needMore)
        // The same handshake carried by two records.
        let handshake = Array(hello.dropFirst(5))
        let split =
            [0x16, 3, 1] + Self.be16(20) + handshake.prefix(20) + [0x16, 3, 1] + Self.be16(handshake.count - 20)
            + handshake.dropFirst(20)
        #expect(split.withUnsafeBytes { TLSClientHello.parse($0) } == .serverName("mail.example.org"))
        #expect([0x17, 3, 3, 0, 1, 0].withUnsafeBytes { TLSClientHello.parse($0) } == .notClientHello)
    }

    @Test func streamWatcherReassemblesAHelloSplitOverReorderedSegments() {
        let hello = Self.clientHello("chat.example.net")
        let watcher = StreamWatcher(purpose: .client)
        var names: [String?] = []
        let first = Array(hello.prefix(30))
        let second = Array(hello[30..<60])
        let third = Array(hello.dropFirst(60))
        for (seq, part) in [(1, first), (61, third), (1, first), (31, second)] {
            part.withUnsafeBytes { bytes in
                watcher.segment(at: Int64(seq), bytes) { if case .serverName(let n) = $0 { names.append(n) } }
            }
        }
        #expect(names == ["chat.example.net"])
        #expect(watcher.isDone)
    }

    @Test func httpHostComesFromTheHeaderAnAbsoluteTargetOrCONNECT() {
        func host(_ text: String) -> String? {
            if case .request(let r) = Array(text.utf8).withUnsafeBytes({ HTTPRequest.parse($0) }) { return r.host }
            return nil
        }
        #expect(host("GET / HTTP/1.1\r\nUser-Agent: x\r\nHOST: WWW.Example.org:8080\r\n\r\n") == "www.example.org")
        #expect(host("GET /a HTTP/1.1\nHost: [2001:db8::1]:80\n\n") == "2001:db8::1")
        // A bracketed IPv6 literal with a port is that address, canonically spelt, wherever it
        // stands; a bracketed text that is no address is kept as it was written.
        #expect(host("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n") == "::1")
        #expect(host("GET / HTTP/1.1\r\nHost: [2001:DB8:0:0::7]:8080\r\n\r\n") == "2001:db8::7")
        #expect(host("GET http://[2001:db8::5]:8080/x HTTP/1.1\r\n\r\n") == "2001:db8::5")
        #expect(host("CONNECT [2001:db8::6]:443 HTTP/1.1\r\n\r\n") == "2001:db8::6")
        #expect(host("GET / HTTP/1.1\r\nHost: 192.0.2.10:8080\r\n\r\n") == "192.0.2.10")
        #expect(host("GET / HTTP/1.1\r\nHost: [v1.fe]:80\r\n\r\n") == "v1.fe")
        #expect(host("GET http://proxy.example.net/x HTTP/1.1\r\nHost: other.example\r\n\r\n") == "proxy.example.net")
        #expect(host("CONNECT secure.example.com:443 HTTP/1.0\r\n\r\n") == "secure.example.com")
        #expect(host("GET / HTTP/1.0\r\n\r\n") == nil)
        #expect(Array("GET / HTTP/1.1\r\nHost: a".utf8).withUnsafeBytes { HTTPRequest.parse($0) } == .needMore)
        #expect(Array("hello world".utf8).withUnsafeBytes { HTTPRequest.parse($0) } == .notHTTP)
    }
}

@Suite struct CaptureAnalyzerTests {
    /// Writes a little-endian microsecond pcap of raw IPv4 packets (LINKTYPE_RAW).
    static func pcap(_ packets: [(seconds: UInt32, bytes: [UInt8])]) throws -> String {
        var data: [UInt8] =
            [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 8) + [0xFF, 0xFF, 0, 0, 101, 0, 0, 0]
        for packet in packets {
            for v in [packet.seconds, 0, UInt32(packet.bytes.count), UInt32(packet.bytes.count)] {
                data += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
            }
            data += packet.bytes
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-test-\(UUID().uuidString).pcap")
        try Data(data).write(to: url)
        return url.path
    }

    static func ipv4(_ src: [UInt8], _ dst: [UInt8], proto: UInt8, id: UInt16 = 1, fragment: UInt16 = 0, _ payload: [UInt8])
        -> [UInt8]
    {
        let total = 20 + payload.count
        return [
            0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), UInt8(id >> 8), UInt8(id & 0xFF), UInt8(fragment >> 8),
            UInt8(fragment & 0xFF), 64, proto, 0, 0,
        ]
            + src + dst + payload
    }

    static func tcp(_ sport: UInt16, _ dport: UInt16, seq: UInt32, ack: UInt32, flags: UInt8, _ payload: [UInt8] = []) -> [UInt8]
    {
        func b32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        return [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)] + b32(seq) + b32(ack)
            + [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0] + payload
    }

    static func run(_ path: String) throws -> ([Flow], [NameRecord], CaptureAnalyzer.Summary) {
        var flows: [Flow] = []
        var names: [NameRecord] = []
        let summary = CaptureAnalyzer(onFlow: { flows.append($0) }, onName: { names.append($0) }).analyze(
            try CaptureFile(path: path))
        return (flows, names, summary)
    }

    @Test func aTLSConnectionIsOneSFFlowWithItsServerName() throws {
        let c: [UInt8] = [192, 0, 2, 10]
        let s: [UInt8] = [203, 0, 113, 45]
        let hello = TLSAndHTTPTests.clientHello("mail.example.org")
        let path = try Self.pcap([
            (100, Self.ipv4(c, s, proto: 6, Self.tcp(50000, 443, seq: 1000, ack: 0, flags: 0x02))),
            (100, Self.ipv4(s, c, proto: 6, Self.tcp(443, 50000, seq: 5000, ack: 1001, flags: 0x12))),
            (100, Self.ipv4(c, s, proto: 6, Self.tcp(50000, 443, seq: 1001, ack: 5001, flags: 0x10))),
            (101, Self.ipv4(c, s, proto: 6, Self.tcp(50000, 443, seq: 1001, ack: 5001, flags: 0x18, hello))),
            (102, Self.ipv4(c, s, proto: 6, Self.tcp(50000, 443, seq: 1001 + UInt32(hello.count), ack: 5001, flags: 0x11))),
            (102, Self.ipv4(s, c, proto: 6, Self.tcp(443, 50000, seq: 5001, ack: 1002 + UInt32(hello.count), flags: 0x11))),
        ])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (flows, names, summary) = try Self.run(path)
        #expect(summary.packets == 6)
        let flow = try #require(flows.first)
        #expect(flows.count == 1)
        #expect(flow.state == "SF")
        #expect(flow.history == "ShADFf")
        #expect(flow.originatorBytes == hello.count)
        #expect(flow.names == ["mail.example.org"])
        #expect(names.first?.kind == .tlsServerName)
        #expect(names.first?.address?.description == "203.0.113.45")
        #expect(names.first?.packet == 4)
    }

    @Test func aReplySeenFirstFromAServerPortIsTurnedRoundAndFragmentsAreReassembled() throws {
        let c: [UInt8] = [192, 0, 2, 10]
        let s: [UInt8] = [198, 51, 100, 53]
        // A DNS answer from port 53 (no query seen), then a UDP datagram in two fragments.
        let answer = Array(DNSMessageTests.response)
        let udp: [UInt8] = [0, 53, 0xC3, 0x50, UInt8((answer.count + 8) >> 8), UInt8((answer.count + 8) & 0xFF), 0, 0] + answer
        let datagram: [UInt8] = [0xC3, 0x51, 0x1F, 0x90, 0, 24, 0, 0] + [UInt8](repeating: 0x41, count: 16)
        let path = try Self.pcap([
            (10, Self.ipv4(s, c, proto: 17, udp)),
            (11, Self.ipv4(c, s, proto: 17, id: 7, fragment: 0x2000, Array(datagram.prefix(16)))),
            (11, Self.ipv4(c, s, proto: 17, id: 7, fragment: 2, Array(datagram.dropFirst(16)))),
        ])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (flows, names, summary) = try Self.run(path)
        let dns = try #require(flows.first { $0.responderPort == 53 })
        #expect(dns.originator.description == "192.0.2.10", "the client is the originator")
        #expect(dns.history == "^d")
        #expect(dns.state == "SHR")
        #expect(names.contains { $0.address?.description == "198.51.100.7" && $0.query == "www.example.org" })
        #expect(summary.fragments == 2 && summary.reassembled == 1)
        let reassembled = try #require(flows.first { $0.responderPort == 8080 })
        #expect(reassembled.originatorPackets == 1)
        #expect(reassembled.originatorIPBytes == 44)
    }

    @Test func aDamagedCaptureKeepsThePacketsBeforeTheDamage() throws {
        let c: [UInt8] = [192, 0, 2, 10]
        let s: [UInt8] = [203, 0, 113, 45]
        let path = try Self.pcap([(1, Self.ipv4(c, s, proto: 6, Self.tcp(40000, 22, seq: 1, ack: 0, flags: 0x02)))])
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A record header that claims more bytes than the snapshot length allows.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0]))
        try handle.close()
        let (flows, _, summary) = try Self.run(path)
        #expect(summary.packets == 1)
        #expect(flows.count == 1 && flows[0].state == "S0")
        #expect(summary.error?.libpcapMessage.contains("bigger than snaplen") == true)
    }
}

/// The JSON a case keeps for each flow reads back as the same flow.
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct FlowDocumentTests {
    @Test func jsonDocumentDecodesToTheSameFlow() throws {
        var checked = 0
        for file in [
            "zeek-gre-sample.pcap", "zeek-gtp1_gn_normal_incl_fragmentation.pcap", "zeek-q-in-q.pcap", "zeek-tls13-ech.pcap",
        ] {
            let path = (Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")).appendingPathComponent("pcap/\(file)").path
            var flows: [Flow] = []
            _ = CaptureAnalyzer(onFlow: { flows.append($0) }, onName: { _ in }).analyze(try CaptureFile(path: path))
            for flow in flows {
                let decoded = try JSONDecoder().decode(Flow.self, from: Data(flow.jsonDocument.utf8))
                #expect(decoded == flow, "\(file) flow \(flow.id)")
                checked += 1
            }
        }
        #expect(checked > 10)
    }
}

/// A pcapng file with an Ethernet and a raw-IP interface: libpcap 1.10 stops at the second
/// interface; Spoor's reader reads every packet with its own interface's link type.
@Suite struct PcapngFallbackTests {
    static func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = UInt32(12 + padded.count)
        return le32(type) + le32(length) + padded + le32(length)
    }

    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }

    static func file(truncated: Bool = false) throws -> String {
        let c: [UInt8] = [192, 0, 2, 10]
        let s: [UInt8] = [203, 0, 113, 45]
        let syn = CaptureAnalyzerTests.ipv4(c, s, proto: 6, CaptureAnalyzerTests.tcp(40000, 443, seq: 1, ack: 0, flags: 0x02))
        let synAck = CaptureAnalyzerTests.ipv4(s, c, proto: 6, CaptureAnalyzerTests.tcp(443, 40000, seq: 9, ack: 2, flags: 0x12))
        let ethernet: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]
        func packet(_ interface: UInt32, _ second: UInt32, _ data: [UInt8]) -> [UInt8] {
            block(
                6,
                le32(interface) + le32(0) + le32(second * 1_000_000) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + data)
        }
        var bytes = block(0x0A0D_0D0A, [0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
        bytes += block(1, [1, 0, 0, 0] + le32(65535))  // Ethernet
        bytes += packet(0, 1, ethernet + syn)
        bytes += block(1, [101, 0, 0, 0] + le32(65535))  // raw IP
        bytes += packet(1, 2, synAck)
        if truncated { bytes += Array(packet(1, 3, synAck).prefix(20)) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-test-\(UUID().uuidString).pcapng")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func readsPastLibpcapsOneLinkTypeLimit() throws {
        let path = try Self.file()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (flows, _, summary) = try CaptureAnalyzerTests.run(path)
        #expect(summary.libpcapRefusal?.libpcapMessage.contains("different from the type of the first interface") == true)
        #expect(summary.error == nil)
        #expect(summary.packets == 2)
        #expect(summary.otherLinkTypes == [101])
        #expect(flows.count == 1 && flows[0].history == "Sh" && flows[0].responderPackets == 1)
    }

    @Test func aTruncatedBlockEndsTheReadingWithItsPacketNumber() throws {
        let path = try Self.file(truncated: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (_, _, summary) = try CaptureAnalyzerTests.run(path)
        #expect(summary.packets == 2)
        #expect(summary.error?.description.contains("packet 3") == true)
    }
}
