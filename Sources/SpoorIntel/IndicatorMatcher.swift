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

    private var intervals: [IPAddress.Family: [Interval]] = [:]
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
            intervals[family] = list
        }
    }

    /// Ids of every IP or CIDR indicator containing the address, most specific first.
    public func matches(_ address: IPAddress) -> [Int64] {
        let address = address.normalized
        guard let list = intervals[address.family], !list.isEmpty else { return [] }
        let q = address.value
        // Last index with start <= q.
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].start <= q { low = mid + 1 } else { high = mid }
        }
        var i = low - 1
        var found: [Int64] = []
        while i >= 0 {
            if list[i].end >= q { found.append(list[i].id) }
            i = list[i].parent
        }
        return found
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
