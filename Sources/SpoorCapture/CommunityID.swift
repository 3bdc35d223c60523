import Crypto
import Foundation
import SpoorCore

/// Community ID v1 (corelight/community-id-spec): a flow identifier that Zeek, Suricata,
/// Wireshark and others compute the same way, so a flow in Spoor's report can be found in their
/// output. `"1:" + base64(SHA-1(seed ‖ saddr ‖ daddr ‖ proto ‖ 0 ‖ sport ‖ dport))`, endpoints
/// ordered so the smaller address (then port) comes first, ICMP type and code mapped to ports.
public enum CommunityID {
    /// ICMP message types that have a counterpart (request ↔ reply): their flows are two-way.
    static let icmpPairs: [UInt16: UInt16] = [0: 8, 8: 0, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17]
    static let icmp6Pairs: [UInt16: UInt16] = [
        128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 144: 145, 145: 144,
    ]

    /// - Parameters:
    ///   - sourcePort: the port, or for ICMP/ICMPv6 the message type.
    ///   - destinationPort: the port, or for ICMP/ICMPv6 the message code.
    public static func v1(
        source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16, destinationPort: UInt16,
        seed: UInt16 = 0
    ) -> String {
        var (saddr, daddr) = (source, destination)
        var (sport, dport) = (sourcePort, destinationPort)
        var oneWay = false
        if protocolNumber == 1 || protocolNumber == 58 {
            let pairs = protocolNumber == 1 ? icmpPairs : icmp6Pairs
            if let counterpart = pairs[sourcePort] {
                dport = counterpart
            } else {
                oneWay = true
            }
        }
        let hasPorts = [1, 6, 17, 58, 132].contains(protocolNumber)
        // Addresses of one family compare as numbers the way their bytes compare.
        let ordered = saddr.value < daddr.value || (saddr == daddr && sport <= dport)
        if !oneWay && !ordered {
            swap(&saddr, &daddr)
            swap(&sport, &dport)
        }
        // seed 2, two addresses (4 or 16 bytes each), protocol, padding, two ports: at most 40 bytes.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { input in
            var n = 0
            func put(_ byte: UInt8) {
                input[n] = byte
                n += 1
            }
            func put(_ address: IPAddress) {
                let width = address.family == .v4 ? 4 : 16
                for i in stride(from: width - 1, through: 0, by: -1) { put(UInt8(truncatingIfNeeded: address.value >> (8 * i))) }
            }
            put(UInt8(seed >> 8))
            put(UInt8(seed & 0xff))
            put(saddr)
            put(daddr)
            put(protocolNumber)
            put(0)
            if hasPorts {
                put(UInt8(sport >> 8))
                put(UInt8(sport & 0xff))
                put(UInt8(dport >> 8))
                put(UInt8(dport & 0xff))
            }
            var sha1 = Insecure.SHA1()
            sha1.update(bufferPointer: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[0..<n]))
            let digest = sha1.finalize()
            return "1:" + base64(digest)
        }
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (RFC 4648 §4).
    static func base64(_ digest: Insecure.SHA1Digest) -> String {
        digest.withUnsafeBytes { base64(bytes: $0) }
    }

    static func base64(bytes: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
