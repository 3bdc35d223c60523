import Foundation
import SpoorCore

/// One passive DNS record tying an address to a name: an A or AAAA answer (`rrname` resolved to
/// the address) or a PTR answer (the address's reverse name pointing at `rdata`), with when the
/// sensors first and last saw it and how often.
public struct PassiveDNSRecord: Hashable, Sendable, Codable {
    public var address: IPAddress
    public var name: String
    /// `A`, `AAAA` or `PTR`.
    public var type: String
    /// Seconds since 1970 (UTC); nil when the record gives none.
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    public var count: Int64?
    public var line: Int
}

/// Reads passive DNS in the common output format (JSON lines with `rrname`, `rrtype`, `rdata`,
/// `time_first`, `time_last`, `count`; `rdata` a string or a list). Times may be seconds since
/// 1970 or ISO 8601 text. Records of other types (CNAME, NS, MX, …) tie no address to a name and
/// are counted, not kept.
public enum PassiveDNSReader {
    public enum Outcome {
        case records([PassiveDNSRecord])
        /// A record of a type that names no address.
        case otherType(String)
    }

    public static func read(_ line: String, number: Int) -> Result<Outcome?, RegistryReadError> {
        let trimmed = line.trimming(" \t\r")
        if trimmed.isEmpty { return .success(nil) }
        let value: JSONValue
        do {
            value = try JSONValue.parse(Array(trimmed.utf8))
        } catch {
            return .failure(.init(line: number, reason: "not a JSON object: \(error) (the file may be cut short)"))
        }
        guard let rrname = value["rrname"]?.string, let rrtype = value["rrtype"]?.scalarText?.uppercased() else {
            return .failure(.init(line: number, reason: "a record without rrname and rrtype"))
        }
        let rdata: [String] = value["rdata"]?.array?.compactMap(\.string) ?? value["rdata"]?.string.map { [$0] } ?? []
        guard !rdata.isEmpty else { return .failure(.init(line: number, reason: "\(rrname) \(rrtype) has no rdata")) }
        let first = time(value["time_first"]) ?? time(value["zone_time_first"])
        let last = time(value["time_last"]) ?? time(value["zone_time_last"])
        let count = value["count"]?.int64
        func name(_ text: String) -> String {
            var lower = text.lowercased()
            if lower.hasSuffix(".") { lower.removeLast() }
            return lower
        }
        switch rrtype {
        case "A", "AAAA", "1", "28":
            let records = rdata.compactMap { IPAddress($0.trimming(" ")) }.map {
                PassiveDNSRecord(
                    address: $0.normalized, name: name(rrname), type: rrtype == "1" ? "A" : rrtype == "28" ? "AAAA" : rrtype,
                    firstSeen: first, lastSeen: last, count: count, line: number)
            }
            guard !records.isEmpty else {
                return .failure(.init(line: number, reason: "\(rrname) \(rrtype): rdata is not an address"))
            }
            return .success(.records(records))
        case "PTR", "12":
            guard let address = reverseAddress(rrname) else {
                return .failure(.init(line: number, reason: "PTR \(rrname) is not an in-addr.arpa or ip6.arpa name"))
            }
            return .success(
                .records(
                    rdata.map {
                        PassiveDNSRecord(
                            address: address, name: name($0), type: "PTR", firstSeen: first, lastSeen: last, count: count,
                            line: number)
                    }))
        default:
            return .success(.otherType(rrtype))
        }
    }

    /// Seconds since 1970 from a number or an ISO 8601 text.
    static func time(_ value: JSONValue?) -> Int64? {
        guard let value else { return nil }
        if case .number = value, let n = value.int64 { return n }
        if let text = value.string {
            if let n = Int64(text) { return n }
            if let t = Timestamp.parseISO8601(text.replacingOccurrences(of: " ", with: "T")) { return t.sortKey / 1_000_000_000 }
        }
        return nil
    }

    /// The address of `7.2.0.192.in-addr.arpa` or a nibble-reversed `….ip6.arpa` name.
    public static func reverseAddress(_ name: String) -> IPAddress? { IPAddress(reverseName: name) }
}
