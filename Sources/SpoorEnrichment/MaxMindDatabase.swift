import Foundation
import SpoorCore

/// A MaxMind-format database (GeoIP2, GeoLite2, DB-IP, IPinfo) opened through libmaxminddb.
///
/// One owner for the libmaxminddb handle: `close()` is safe twice and `deinit` closes.
/// The file is memory-mapped read-only.
public final class MaxMindDatabase {
    public let path: String
    public let metadata: DatabaseMetadata
    private var handle: UnsafeMutableRawPointer?

    /// Opens a database.
    /// - Throws: ``EnrichmentError/cannotOpen(path:reason:)`` naming the file and libmaxminddb's
    ///   reason (a corrupt file says so here, not at lookup time).
    public init(path: String) throws(EnrichmentError) {
        self.path = path
        switch MaxMindCalls.open(path) {
        case .success(let h):
            handle = h
            metadata = MaxMindCalls.metadata(h)
        case .failure(let error):
            throw error
        }
    }

    deinit { close() }

    public func close() {
        if let handle { MaxMindCalls.close(handle) }
        handle = nil
    }

    /// The record for `address` and the prefix length of the network it was found in, or nil
    /// when the database has none. IPv4-mapped IPv6 addresses are looked up as IPv4.
    public func lookup(_ address: IPAddress) throws(EnrichmentError) -> (network: IPNetwork, value: MMDBValue)? {
        try lookupRecord(address).map { ($0.network, $0.value) }
    }

    /// As ``lookup(_:)``, with the record's offset in the data section: the same offset is the
    /// same record, so callers can keep what they derived from it. Decoded records are kept
    /// (up to ``decodedLimit``), as many networks share one.
    public func lookupRecord(_ address: IPAddress) throws(EnrichmentError) -> (
        network: IPNetwork, offset: UInt32, value: MMDBValue
    )? {
        guard let handle else { throw .closed(path: path) }
        let address = address.normalized
        if address.family == .v6 && metadata.ipVersion == 4 { return nil }
        switch MaxMindCalls.lookup(handle, address, path: path, cached: { self.decoded[$0] }) {
        case .failure(let error): throw error
        case .success(nil): return nil
        case .success(let found?):
            if decoded[found.offset] == nil && decoded.count < Self.decodedLimit { decoded[found.offset] = found.value }
            guard let network = IPNetwork(containing: address, prefixLength: found.prefixLength) else { return nil }
            return (network, found.offset, found.value)
        }
    }

    /// Every network holding a record, in address order (IPv4 space in an IPv6 tree as IPv4,
    /// its aliases skipped), with the record.
    public func forEachNetwork(_ body: (_ network: IPNetwork, _ value: MMDBValue) throws -> Void) throws {
        guard let handle else { throw EnrichmentError.closed(path: path) }
        try MaxMindCalls.forEachNetwork(handle, path: path) { network, _, value in try body(network, value) }
    }

    static let decodedLimit = 200_000
    private var decoded: [UInt32: MMDBValue] = [:]
}

/// What a database says about itself.
public struct DatabaseMetadata: Hashable, Sendable, Codable {
    /// e.g. `GeoLite2-ASN`, `GeoIP2-City`, `DBIP-ASN-Lite`, `ipinfo lite.mmdb`.
    public var databaseType: String
    /// Build time, Unix seconds.
    public var buildEpoch: UInt64
    public var ipVersion: Int
    public var recordSize: Int
    public var nodeCount: Int
    public var languages: [String]
    public var descriptions: [String: String]
    public var binaryFormat: String

    public init(
        databaseType: String, buildEpoch: UInt64, ipVersion: Int, recordSize: Int, nodeCount: Int, languages: [String],
        descriptions: [String: String], binaryFormat: String
    ) {
        self.databaseType = databaseType
        self.buildEpoch = buildEpoch
        self.ipVersion = ipVersion
        self.recordSize = recordSize
        self.nodeCount = nodeCount
        self.languages = languages
        self.descriptions = descriptions
        self.binaryFormat = binaryFormat
    }

    /// The build date as `YYYY-MM-DD` (UTC).
    public var buildDate: String {
        let text = Timestamp.unixSeconds(Int64(clamping: buildEpoch)).rfc3339UTC ?? ""
        return String(text.prefix(10))
    }
}

/// A value from a database record.
public indirect enum MMDBValue: Hashable, Sendable {
    case string(String)
    case double(Double)
    case float(Float)
    case bytes([UInt8])
    case unsigned(UInt64)
    case unsigned128(UInt128)
    case signed(Int64)
    case bool(Bool)
    case map([String: MMDBValue])
    case array([MMDBValue])

    /// The value at a path of map keys and array indices (`["country", "iso_code"]`).
    public subscript(path: String...) -> MMDBValue? { value(at: path) }

    public func value(at path: [String]) -> MMDBValue? {
        var current: MMDBValue = self
        for key in path {
            switch current {
            case .map(let pairs):
                guard let next = pairs[key] else { return nil }
                current = next
            case .array(let items):
                guard let i = Int(key), items.indices.contains(i) else { return nil }
                current = items[i]
            default:
                return nil
            }
        }
        return current
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var unsigned: UInt64? {
        switch self {
        case .unsigned(let v): return v
        case .signed(let v) where v >= 0: return UInt64(v)
        default: return nil
        }
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The value as plain JSON-compatible Foundation objects, written as `mmdblookup` shows
    /// them: bytes and 128-bit integers as upper-case hexadecimal (`0x…` for the latter),
    /// infinities and NaN as the strings `inf`, `-inf`, `nan`, floats at float precision.
    public var jsonObject: Any {
        switch self {
        case .string(let s): return s
        case .double(let d): return MMDBValue.json(d)
        case .float(let f): return MMDBValue.json(Double(String(f)) ?? Double(f))
        case .bytes(let b): return b.map { String(format: "%02X", $0) }.joined()
        case .unsigned(let v): return v
        case .unsigned128(let v):
            let hex = String(v, radix: 16, uppercase: true)
            return "0x" + String(repeating: "0", count: max(0, 32 - hex.count)) + hex
        case .signed(let v): return v
        case .bool(let b): return b
        case .map(let pairs): return pairs.mapValues(\.jsonObject)
        case .array(let items): return items.map(\.jsonObject)
        }
    }

    static func json(_ d: Double) -> Any {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        return d
    }
}

/// Errors reading MaxMind-format databases; each names the file.
public enum EnrichmentError: Error, Hashable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case lookupFailed(path: String, address: String, reason: String)
    case closed(path: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "\(path): cannot open as a MaxMind DB: \(reason)"
        case .lookupFailed(let path, let address, let reason): return "\(path): lookup of \(address) failed: \(reason)"
        case .closed(let path): return "\(path): database already closed"
        }
    }
}
