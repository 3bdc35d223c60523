import Foundation
@testable import SpoorCapture
import SpoorCore
import SpoorTestSupport
import Testing

@Suite struct CaptureFileTests {
    /// A classic little-endian microsecond pcap with raw-IP link type and two tiny packets.
    func writeCapture() throws -> String {
        var bytes: [UInt8] = []
        func le32(_ v: UInt32) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
        func le16(_ v: UInt16) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
        le32(0xA1B2_C3D4)
        le16(2)
        le16(4)
        le32(0)
        le32(0)
        le32(65535)
        le32(101)  // LINKTYPE_RAW
        for (i, payload) in [[0x45, 0x00, 0x00, 0x14], [0x60, 0x00, 0x00, 0x00, 0x00, 0x00]].enumerated() {
            le32(1_700_000_000 + UInt32(i))
            le32(250_000)
            le32(UInt32(payload.count))
            le32(UInt32(payload.count))
            bytes += payload.map(UInt8.init)
        }
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("tiny.pcap")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func readsPacketsWithNumbersAndNanosecondTimes() throws {
        let capture = try CaptureFile(path: try writeCapture())
        defer { capture.close() }
        #expect(capture.linkTypeName == "RAW")
        let first = try #require(try capture.nextPacket())
        #expect(first.number == 1)
        #expect(first.seconds == 1_700_000_000)
        #expect(first.nanoseconds == 250_000_000)
        #expect(first.bytes == [0x45, 0x00, 0x00, 0x14])
        #expect(try capture.nextPacket()?.number == 2)
        #expect(try capture.nextPacket() == nil)
        capture.close()
        capture.close()
    }

    @Test func reportsLibpcapsOwnTextForFilesItCannotOpen() throws {
        let notCapture = try Fixtures.temporaryFile(named: "x.pcap", contents: "this is not a capture file at all")
        do {
            _ = try CaptureFile(path: notCapture)
            Issue.record("a text file opened as a capture")
        } catch {
            #expect(error.description.contains(notCapture))
            #expect(error.description.contains("unknown file format"))
        }
        #expect(CaptureFile.libraryVersion.contains("libpcap"))
    }
}

/// The damaged captures in ../shared/testdata/pcap-corrupt, with libpcap 1.10.3's diagnostics.
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct CorruptCaptureConformanceTests {
    @Test func reportsLibpcapsDiagnosticAndKeepsPacketsReadBeforeIt() throws {
        let folder = (Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")).appendingPathComponent("pcap-corrupt")
        let table = try String(contentsOf: folder.appendingPathComponent("EXPECTED-ERRORS.tsv"), encoding: .utf8)
        var agree = 0
        var total = 0
        for row in table.split(separator: "\n").dropFirst() {
            let columns = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 4, let before = Int(columns[2]) else { continue }
            total += 1
            let (file, stage, expected) = (columns[0], columns[1], columns[3])
            let path = folder.appendingPathComponent(file).path
            var outcome = ""
            var packets = 0
            do {
                let capture = try CaptureFile(path: path)
                do {
                    while try capture.nextPacket() != nil {}
                    outcome = "none"
                } catch {
                    outcome = "read: " + error.libpcapMessage
                }
                packets = capture.packetsRead
            } catch {
                outcome = "open: " + error.libpcapMessage
            }
            let matches =
                switch stage {
                case "open": outcome == "open: " + expected
                case "read": outcome == "read: " + expected && packets == before
                default: outcome == "none" && packets == before
                }
            #expect(matches, "\(file): \(outcome) after \(packets) packets; expected \(stage): \(expected)")
            if matches { agree += 1 }
        }
        print("libpcap error conformance: \(agree) of \(total) damaged captures give the recorded diagnostic")
        #expect(total == 20)
    }
}

@Suite struct PacketDecoderTests {
    /// Ethernet, two VLAN tags (QinQ), IPv4 with options-free header, TCP SYN, padded frame.
    static let qinqTCP: [UInt8] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB,  // dst, src
        0x88, 0xA8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xC8, 0x08, 0x00,  // S-tag 100, C-tag 200, IPv4
        0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,  // IPv4, total 40, TCP
        0xC0, 0x00, 0x02, 0x0A, 0xCB, 0x00, 0x71, 0x2D,  // 192.0.2.10 → 203.0.113.45
        0xD4, 0x31, 0x01, 0xBB, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // 54321 → 443, seq 1
        0x50, 0x02, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00,  // data offset 5, SYN
        0x00, 0x00, 0x00, 0x00,  // Ethernet padding, not IP payload
    ]

    @Test func readsStackedVLANsIPv4AndTCPWithinTheIPLength() {
        let packet = PacketDecoder.decode(Self.qinqTCP, linkType: PacketDecoder.LinkType.ethernet)
        #expect(packet.problem == nil)
        #expect(packet.vlans == [100], "the outermost tag")
        #expect(packet.network?.source.description == "192.0.2.10")
        #expect(packet.network?.destination.description == "203.0.113.45")
        #expect(packet.transport?.destinationPort == 443)
        #expect(packet.transport?.tcpFlags == 0x02)
        #expect(packet.payload.isEmpty, "padding is not payload")
    }

    @Test func readsLinuxCookedV2IPv6WithAnExtensionHeaderAndUDP() {
        var bytes: [UInt8] = [0x86, 0xDD, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 0, 0, 0, 0, 0, 0, 0, 0]  // SLL2
        bytes += [0x60, 0, 0, 0, 0x00, 0x14, 0x00, 0x40]  // IPv6, payload 20, next: hop-by-hop
        bytes += [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x01]  // 2001:db8::1
        bytes += [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x35]  // 2001:db8::35
        bytes += [17, 0, 0, 0, 0, 0, 0, 0]  // hop-by-hop, next UDP, length 8
        bytes += [0xC3, 0x50, 0x00, 0x35, 0x00, 0x0C, 0x00, 0x00, 0xAB, 0xCD, 0xEF, 0x01]  // 50000 → 53
        let packet = PacketDecoder.decode(bytes, linkType: PacketDecoder.LinkType.linuxSLL2)
        #expect(packet.problem == nil)
        #expect(packet.network?.protocolNumber == 17)
        #expect(packet.network?.destination.description == "2001:db8::35")
        #expect(packet.transport?.sourcePort == 50000)
        #expect(Array(packet.payload) == [0xAB, 0xCD, 0xEF, 0x01])
    }

    @Test func readsLoopbackFamiliesInEitherByteOrderAndStopsOnTruncation() {
        let ipv4: [UInt8] = Array(Self.qinqTCP[22..<62])
        let little = PacketDecoder.decode([2, 0, 0, 0] + ipv4, linkType: PacketDecoder.LinkType.null)
        let big = PacketDecoder.decode([0, 0, 0, 2] + ipv4, linkType: PacketDecoder.LinkType.null)
        #expect(little.network?.source == big.network?.source)
        #expect(little.network?.source.description == "192.0.2.10")
        for cut in [0, 13, 20, 30, 45, 60] {
            let packet = PacketDecoder.decode(Array(Self.qinqTCP.prefix(cut)), linkType: PacketDecoder.LinkType.ethernet)
            #expect(packet.problem != nil, "cut at \(cut)")
        }
        #expect(PacketDecoder.decode([1, 2, 3], linkType: 147).problem == "link type 147 not decoded")
        #expect(PacketDecoder.decode([1, 2, 3], linkType: 189).problem == "link type USB_LINUX (189) not decoded")
    }
}

/// Every packet of the captures in ../shared/testdata/pcap that libpcap opens is decoded
/// without a trap; the count of packets read agrees with the manifest.
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct CaptureCorpusDecodeTests {
    @Test func decodesEveryPacketOfTheCorpusWithoutFailing() throws {
        let folder = (Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")).appendingPathComponent("pcap")
        let manifest = try String(contentsOf: folder.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8)
        var files = 0
        var packets = 0
        var withAddresses = 0
        for row in manifest.split(separator: "\n").dropFirst() {
            let columns = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count > 8, columns[8] == "-", let expected = Int(columns[4]) else { continue }
            let capture = try CaptureFile(path: folder.appendingPathComponent(columns[0]).path)
            files += 1
            var count = 0
            while let packet = try? capture.nextPacket() {
                count += 1
                let decoded = PacketDecoder.decode(packet.bytes, linkType: capture.linkType)
                if decoded.network != nil { withAddresses += 1 }
            }
            #expect(count == expected, "\(columns[0])")
            packets += count
        }
        print("capture corpus: \(files) files, \(packets) packets decoded, \(withAddresses) with IP addresses")
        #expect(files > 20)
    }
}

/// Community ID against the values Zeek computed for the flows of its test captures.
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct CommunityIDConformanceTests {
    @Test func agreesWithZeekOnTCPUDPAndICMPv6Flows() throws {
        let folder = (Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")).appendingPathComponent("pcap/oracles")
        var agree = 0
        var total = 0
        for name in ["tcp", "udp", "icmp6"] {
            let text = try String(
                contentsOf: folder.appendingPathComponent("zeek-communityid-\(name).pcap.community-id.txt"), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("[orig_h=") {
                func value(_ key: String) -> String {
                    let start = line.range(of: key + "=")!.upperBound
                    return String(line[start...].prefix { $0 != "," && $0 != "/" && $0 != "]" })
                }
                let proto = UInt8(value("proto"))!
                let origPort = UInt16(value("orig_p"))!
                let respPort = UInt16(value("resp_p"))!
                // Zeek writes a two-way ICMP flow's responder "port" as the counterpart type; the
                // message code of those requests is 0.
                let pairs = proto == 1 ? CommunityID.icmpPairs : CommunityID.icmp6Pairs
                let code = (proto == 1 || proto == 58) && pairs[origPort] == respPort ? 0 : respPort
                let id = CommunityID.v1(
                    source: IPAddress(value("orig_h"))!, destination: IPAddress(value("resp_h"))!, protocolNumber: proto,
                    sourcePort: origPort, destinationPort: (proto == 1 || proto == 58) ? code : respPort)
                let expected = String(line[line.range(of: "], ")!.upperBound...])
                total += 1
                if id == expected { agree += 1 }
                #expect(id == expected, "\(line)")
            }
        }
        print("Community ID conformance: \(agree) of \(total) flows agree with Zeek")
        #expect(total > 10)
    }
}
