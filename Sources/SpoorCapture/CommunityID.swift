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
        let ordered = saddr.bytes.lexicographicallyPrecedes(daddr.bytes) || (saddr == daddr && sport <= dport)
        if !oneWay && !ordered {
            swap(&saddr, &daddr)
            swap(&sport, &dport)
        }
        var input: [UInt8] = [UInt8(seed >> 8), UInt8(seed & 0xff)]
        input += saddr.bytes + daddr.bytes + [protocolNumber, 0]
        if hasPorts { input += [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff)] }
        return "1:" + Data(Insecure.SHA1.hash(data: input)).base64EncodedString()
    }
}
