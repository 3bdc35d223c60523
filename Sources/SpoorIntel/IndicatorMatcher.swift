import SpoorCore

/// A compiled, read-only structure answering "which indicators cover this address, AS number or
/// domain?" — every match, not only the most specific.
///
/// IP and CIDR indicators are intervals that are either nested or disjoint (CIDR blocks always
/// are). Sorted by start, each interval knows its nearest enclosing interval. For an address,
/// the last interval starting at or before it is found by binary search; every interval
/// containing the address is that one or one of its ancestors, so the answer is a walk up a
/// chain as long as the nesting depth.
public struct IndicatorMatcher: Sendable {
    struct Interval: Sendable {
        var start: UInt128
        var end: UInt128
        var id: Int64
        /// Index of the nearest enclosing interval, or -1.
        var parent: Int
    }

    private var v4: [Interval] = []
    private var v6: [Interval] = []
    /// IPv4 intervals again as 32-bit columns: a lookup searches 4-byte starts.
    private var v4Starts: [UInt32] = []
    private var v4Ends: [UInt32] = []
    private var v4Parents: [Int32] = []
    private var asns: [UInt32: [Int64]] = [:]
    private var domains: [String: [Int64]] = [:]

    /// Number of indicators compiled in.
    public private(set) var count = 0

    public init(_ entries: [(id: Int64, indicator: Indicator)]) {
        var byFamily: [IPAddress.Family: [Interval]] = [:]
        for (id, indicator) in entries {
            count += 1
            if let network = indicator.network {
                byFamily[network.family, default: []].append(
                    Interval(start: network.address.value, end: network.lastAddress.value, id: id, parent: -1))
            } else if let asn = indicator.asn {
                asns[asn, default: []].append(id)
            } else if indicator.type == .domain {
                domains[indicator.value, default: []].append(id)
            }
        }
        for (family, var list) in byFamily {
            list.sort { $0.start != $1.start ? $0.start < $1.start : ($0.end != $1.end ? $0.end > $1.end : $0.id < $1.id) }
            var open: [Int] = []
            for i in list.indices {
                while let top = open.last, list[top].end < list[i].start { open.removeLast() }
                list[i].parent = open.last ?? -1
                open.append(i)
            }
            if family == .v4 { v4 = list } else { v6 = list }
        }
        v4Starts = v4.map { UInt32(truncatingIfNeeded: $0.start) }
        v4Ends = v4.map { UInt32(truncatingIfNeeded: $0.end) }
        v4Parents = v4.map { Int32($0.parent) }
    }

    /// Ids of every IP or CIDR indicator containing the address, most specific first.
    public func matches(_ address: IPAddress) -> [Int64] {
        var found: [Int64] = []
        forEachMatch(address) { found.append($0) }
        return found
    }

    /// Calls `body` with the id of every IP or CIDR indicator containing the address, most
    /// specific first, without allocating.
    @inline(__always) public func forEachMatch(_ address: IPAddress, _ body: (Int64) -> Void) {
        let address = address.normalized
        guard address.family == .v4 else {
            var i = Self.lastStarting(atOrBefore: address.value, in: v6)
            while i >= 0 {
                if v6[i].end >= address.value { body(v6[i].id) }
                i = v6[i].parent
            }
            return
        }
        // IPv4 through the 32-bit columns: a quarter of the memory to search.
        let q = UInt32(truncatingIfNeeded: address.value)
        var i = v4Starts.withUnsafeBufferPointer { starts in
            var low = 0
            var high = starts.count
            while low < high {
                let mid = (low + high) >> 1
                if starts[mid] <= q { low = mid + 1 } else { high = mid }
            }
            return low - 1
        }
        while i >= 0 {
            if v4Ends[i] >= q { body(v4[i].id) }
            i = Int(v4Parents[i])
        }
    }

    /// The last index whose interval starts at or before `q`, or -1.
    @inline(__always) static func lastStarting(atOrBefore q: UInt128, in list: [Interval]) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) >> 1
            if list[mid].start <= q { low = mid + 1 } else { high = mid }
        }
        return low - 1
    }

    /// Ids of ASN indicators for this AS number.
    public func matches(asn: UInt32) -> [Int64] { asns[asn] ?? [] }

    /// Ids of domain indicators equal to the name or to one of its parent domains.
    public func matches(domain name: String) -> [Int64] {
        var labels = name.lowercased().split(separator: ".")
        if labels.last?.isEmpty == true { labels.removeLast() }
        var found: [Int64] = []
        while !labels.isEmpty {
            found.append(contentsOf: domains[labels.joined(separator: ".")] ?? [])
            labels.removeFirst()
        }
        return found
    }
}
