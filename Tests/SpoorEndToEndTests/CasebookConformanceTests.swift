import Foundation
import SpoorTestSupport
import Testing

/// The casebook on material Spoor's authors did not write: Zeek's own test captures and
/// MaxMind's test ASN database, from `../shared/testdata`. Two cases are made from three captures
/// whose addresses are rewritten to plant the overlaps (the same address, the same /24, the same
/// AS and holder), and the second case must find each at its own strength, naming the first.
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct CasebookConformanceTests {
    static let testdata = Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")

    /// A copy of a classic pcap (Ethernet or Linux cooked capture, IPv4) with addresses mapped
    /// and every packet moved by `shift` seconds; the IPv4 header checksum is made again.
    static func rewritten(_ name: String, _ map: [String: String], shift: Int64, to url: URL) throws {
        var bytes = [UInt8](try Data(contentsOf: testdata.appendingPathComponent("pcap/" + name)))
        func read32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        let magic = read32(0)
        #expect(magic == 0xA1B2_C3D4 || magic == 0xA1B2_3C4D, "\(name) is a little-endian classic pcap")
        let linkType = read32(20)
        let linkHeader = linkType == 1 ? 14 : 16  // EN10MB, LINUX_SLL
        let quads = map.map { pair in
            (pair.key.split(separator: ".").map { UInt8($0)! }, pair.value.split(separator: ".").map { UInt8($0)! })
        }
        var offset = 24
        while offset + 16 <= bytes.count {
            let seconds = UInt32(Int64(read32(offset)) + shift)
            for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: seconds >> (8 * UInt32(i))) }
            let length = Int(read32(offset + 8))
            let packet = offset + 16
            let ip = packet + linkHeader
            let type = Int(bytes[ip - 2]) << 8 | Int(bytes[ip - 1])
            if type == 0x0800, ip + 20 <= packet + length, bytes[ip] >> 4 == 4 {
                for field in [ip + 12, ip + 16] {
                    for (from, to) in quads where Array(bytes[field..<field + 4]) == from {
                        bytes.replaceSubrange(field..<field + 4, with: to)
                        break
                    }
                }
                let headerLength = Int(bytes[ip] & 0x0F) * 4
                bytes[ip + 10] = 0
                bytes[ip + 11] = 0
                var sum: UInt32 = 0
                for i in stride(from: ip, to: ip + headerLength, by: 2) { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]) }
                while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
                bytes[ip + 10] = UInt8(~sum >> 8 & 0xFF)
                bytes[ip + 11] = UInt8(~sum & 0xFF)
            }
            offset = packet + length
        }
        try Data(bytes).write(to: url)
    }

    @Test func plantedOverlapsInZeekCapturesAreFoundAtTheirStrength() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        let asn = Self.testdata.appendingPathComponent("mmdb/GeoLite2-ASN-Test.mmdb").path
        func run(_ arguments: [String]) throws -> ProcessResult {
            let result = try runSpoor(arguments)
            #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.stderr)")
            return result
        }
        func newCase(_ name: String, reference: String, captures: [URL]) throws -> String {
            let path = folder.appendingPathComponent(name).path
            _ = try run(["case", "init", path, "--title", name, "--organisation", "Example Helpline", "--reference", reference])
            _ = try run(["ingest", path] + captures.map(\.path))
            _ = try run(["analyze", path, "--mmdb", asn, "--intel-db", store])
            return path
        }
        // Case A (March 2011): the Wikipedia server becomes 1.128.0.1 (AS1221 Telstra in the
        // test database), its other server 12.81.92.1 (AS7018).
        let a = folder.appendingPathComponent("a.pcap")
        try Self.rewritten(
            "zeek-wikipedia.pcap", ["208.80.152.3": "1.128.0.1", "208.80.152.2": "12.81.92.1"], shift: 0, to: a)
        let first = try newCase("a", reference: "HELD-OUT-A", captures: [a])
        let recorded = try run([
            "casebook", "add", first, "--address", "1.128.0.1", "--address", "12.81.92.1", "--intel-db", store,
        ])
        #expect(recorded.stdout.contains("2 address(es) recorded"), "\(recorded.stdout)")
        let shown = try run(["casebook", "show", "HELD-OUT-A", "--intel-db", store]).stdout
        #expect(shown.contains("AS1221") && shown.contains("Telstra Pty Ltd") && shown.contains("flow peer"), "\(shown)")

        // Case B, moved to about a month after A: the IRC server becomes the same address, the
        // SSH server a neighbour in A's /24, the SSH client another Telstra address.
        let irc = folder.appendingPathComponent("irc.pcap")
        let ssh = folder.appendingPathComponent("ssh.pcap")
        try Self.rewritten(
            "zeek-irc-starttls.pcap", ["185.18.76.170": "1.128.0.1"], shift: 1_302_998_400 - 1_438_145_942, to: irc)
        try Self.rewritten(
            "zeek-get-to-ssh-server.pcap", ["136.216.42.40": "12.81.92.77", "130.74.164.231": "1.140.3.3"],
            shift: 1_303_084_800 - 1_770_126_426, to: ssh)
        let second = try newCase("b", reference: "HELD-OUT-B", captures: [irc, ssh])
        let findings = try run(["analyze", second, "--mmdb", asn, "--intel-db", store]).stdout
        let lines = findings.split(separator: "\n").map(String.init).filter { $0.contains("was seen in this case") }
        func line(_ address: String) -> String { lines.first { $0.contains("] \(address) was seen") } ?? "" }
        #expect(
            line("1.128.0.1").contains("[high] 1.128.0.1") && line("1.128.0.1").contains("saw the same address"), "\(findings)")
        #expect(
            line("12.81.92.77").contains("[medium] 12.81.92.77")
                && line("12.81.92.77").contains("12.81.92.1, in the same network 12.81.92.0/24"),
            "\(findings)")
        #expect(
            line("1.140.3.3").contains("[low] 1.140.3.3")
                && line("1.140.3.3").contains("held by the same AS and registry holder (AS1221 Telstra Pty Ltd)"), "\(findings)")
        #expect(lines.allSatisfy { $0.contains("Case HELD-OUT-A (C-") }, "each names the earlier case")
        #expect(lines.count == 3, "nothing else of B meets A: \(lines)")
        // A case never meets itself.
        let again = try run(["analyze", first, "--mmdb", asn, "--intel-db", store]).stdout
        #expect(!again.contains("was seen in this case"), "\(again)")
    }
}
