/// An address as evidence writes it, read into an address and an optional port.
public struct Endpoint: Hashable, Sendable {
    public var address: IPAddress
    /// The port, when the text carried one. Port 0 is "unknown" in every export that uses it.
    public var port: UInt16?

    public init(address: IPAddress, port: UInt16? = nil) {
        self.address = address
        self.port = port == 0 ? nil : port
    }
}

extension IPAddress {
    /// Reads an address the way exports and logs write one: surrounding whitespace and quotes,
    /// `a.b.c.d:port`, `[v6]:port`, `[v6]`, a `%zone` suffix, and IPv4-mapped IPv6 (returned as
    /// IPv4). A bare IPv6 address is never split at its last colon.
    ///
    /// - Returns: nil when the text holds no address (`N/A`, `-`, redaction masks, empty).
    public static func parseEndpoint(_ text: some StringProtocol) -> Endpoint? {
        // Most text is a bare address: read on bytes first, and only otherwise look for
        // brackets, a port, a zone or quotes.
        if let address = IPAddress(text) { return Endpoint(address: address.normalized, port: nil) }
        var s = Substring(Substring(text).trimming(" \t\r\n\"'"))
        guard !s.isEmpty else { return nil }
        var port: UInt16? = nil

        if s.first == "[" {
            guard let close = s.firstIndex(of: "]") else { return nil }
            let rest = s[s.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":", let p = UInt16(rest.dropFirst()) else { return nil }
                port = p
            }
            s = s[s.index(after: s.startIndex)..<close]
        } else if let colon = s.lastIndex(of: ":"), s.firstIndex(of: ":") == colon {
            // Exactly one colon: IPv4 with a port (an IPv6 address has at least two).
            guard let p = UInt16(s[s.index(after: colon)...]) else { return nil }
            port = p
            s = s[..<colon]
        }
        if let percent = s.firstIndex(of: "%") {
            s = s[..<percent]
        }
        guard let address = IPAddress(s) else { return nil }
        return Endpoint(address: address.normalized, port: port)
    }
}

extension IPAddress {
    /// The address a reverse-lookup name stands for: `7.2.0.192.in-addr.arpa` or a
    /// nibble-reversed `….ip6.arpa` name (a trailing dot allowed); nil for any other name.
    public init?(reverseName name: String) {
        var lower = name.lowercased()
        if lower.hasSuffix(".") { lower.removeLast() }
        if lower.hasSuffix(".in-addr.arpa") {
            let labels = lower.dropLast(".in-addr.arpa".count).split(separator: ".", omittingEmptySubsequences: false)
            guard labels.count == 4, labels.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) }) else {
                return nil
            }
            self.init(labels.reversed().joined(separator: "."))
            return
        }
        if lower.hasSuffix(".ip6.arpa") {
            let nibbles = lower.dropLast(".ip6.arpa".count).split(separator: ".", omittingEmptySubsequences: false)
            guard nibbles.count == 32, nibbles.allSatisfy({ $0.count == 1 && $0.first!.isHexDigit }) else { return nil }
            let hex = Array(nibbles.reversed().joined())
            let groups = stride(from: 0, to: 32, by: 4).map { String(hex[$0..<($0 + 4)]) }
            self.init(groups.joined(separator: ":"))
            return
        }
        return nil
    }
}
