import Foundation
import SpoorCore

/// The union of every IP and CIDR indicator as disjoint ranges: it answers only "does any
/// indicator cover this address?", as fast as possible, for screening large inputs
/// (`spoor intel match --count`). Which indicators match, with provenance, is the
/// ``IndicatorMatcher``'s job.
///
/// IPv4 ranges are kept as (start, end) pairs in one 64-bit word each, with a table over the
/// first 16 bits of an address that says for each /16 whether no range touches it, one covers
/// all of it, or which few ranges to look at: most lookups touch one or two cache lines. The
/// index is kept
/// in the store as a snapshot, rebuilt when the indicators change, so screening does not
/// read and compile every indicator first.
public struct CoverageIndex: Sendable {
    /// Disjoint, sorted, non-adjacent IPv4 ranges.
    @usableFromInline private(set) var v4Starts: [UInt32]
    @usableFromInline private(set) var v4Ends: [UInt32]
    /// Disjoint, sorted IPv6 ranges.
    private(set) var v6Starts: [UInt128]
    private(set) var v6Ends: [UInt128]
    /// The same IPv4 ranges as `start << 32 | end`.
    @usableFromInline private(set) var v4Pairs: [UInt64]
    /// Per /16: bit 63 set when one range covers all of it; else bits 32–62 count the ranges
    /// touching it, from the index in bits 0–31 of `v4Pairs` (0 ranges: nothing covers it).
    @usableFromInline private(set) var table: [UInt64]

    /// Merged ranges from inclusive intervals in any order.
    public init(v4 intervals4: [(UInt32, UInt32)], v6 intervals6: [(UInt128, UInt128)]) {
        (v4Starts, v4Ends) = Self.merge(intervals4)
        (v6Starts, v6Ends) = Self.merge(intervals6)
        (v4Pairs, table) = Self.table(v4Starts, v4Ends)
    }

    /// The union of the matcher's IP and CIDR indicators.
    public init(_ networks: [IPNetwork]) {
        var four: [(UInt32, UInt32)] = []
        var six: [(UInt128, UInt128)] = []
        for network in networks {
            if network.family == .v4 {
                four.append(
                    (UInt32(truncatingIfNeeded: network.address.value), UInt32(truncatingIfNeeded: network.lastAddress.value)))
            } else {
                six.append((network.address.value, network.lastAddress.value))
            }
        }
        self.init(v4: four, v6: six)
    }

    /// Number of disjoint ranges, IPv4 and IPv6.
    public var rangeCount: Int { v4Starts.count + v6Starts.count }

    static func merge<T: FixedWidthInteger & UnsignedInteger>(_ intervals: [(T, T)]) -> ([T], [T]) {
        let sorted = intervals.sorted { $0.0 < $1.0 }
        var starts: [T] = []
        var ends: [T] = []
        starts.reserveCapacity(sorted.count)
        ends.reserveCapacity(sorted.count)
        for (start, end) in sorted {
            // Overlapping or adjacent: extend the previous range.
            if let last = ends.last, last == T.max || start <= last + 1 {
                if end > last { ends[ends.count - 1] = end }
            } else {
                starts.append(start)
                ends.append(end)
            }
        }
        return (starts, ends)
    }

    @usableFromInline static let full: UInt64 = 1 << 63

    static func table(_ starts: [UInt32], _ ends: [UInt32]) -> ([UInt64], [UInt64]) {
        let pairs = starts.indices.map { UInt64(starts[$0]) << 32 | UInt64(ends[$0]) }
        var table = [UInt64](repeating: 0, count: 65_536)
        var i = 0
        for b in 0..<65_536 {
            let low = UInt32(b) << 16
            let high = low | 0xFFFF
            // Skip ranges ending before this /16.
            while i < starts.count, ends[i] < low { i += 1 }
            var j = i
            while j < starts.count, starts[j] <= high { j += 1 }
            if j > i {
                table[b] = starts[i] <= low && ends[i] >= high ? full : UInt64(j - i) << 32 | UInt64(i)
            }
        }
        return (pairs, table)
    }

    /// Whether an indicator covers the IPv4 address `q` (host order).
    @inlinable @inline(__always) public func covers(v4 q: UInt32) -> Bool {
        let entry = table.withUnsafeBufferPointer { $0[Int(q >> 16)] }
        if entry == 0 { return false }
        if entry == Self.full { return true }
        return v4Pairs.withUnsafeBufferPointer { Self.covers(q, entry: entry, in: $0) }
    }

    /// Whether one of the ranges a /16's `entry` points to (neither empty nor full) holds `q`:
    /// the last range starting at or before `q`, among the few touching the /16, is searched.
    @inlinable @inline(__always) static func covers(_ q: UInt32, entry: UInt64, in pairs: UnsafeBufferPointer<UInt64>) -> Bool {
        let first = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF)
        let count = Int(truncatingIfNeeded: entry >> 32)
        if count == 1 {
            let pair = pairs[first]
            return UInt32(truncatingIfNeeded: pair >> 32) <= q && UInt32(truncatingIfNeeded: pair) >= q
        }
        let key = UInt64(q) << 32 | 0xFFFF_FFFF
        var low = first
        var high = first + count
        while low < high {
            let mid = (low + high) >> 1
            if pairs[mid] <= key { low = mid + 1 } else { high = mid }
        }
        return low > first && UInt32(truncatingIfNeeded: pairs[low - 1]) >= q
    }

    /// Answers ``covers(v4:)`` for `count` addresses at once, writing 1 (covered) or 0 to
    /// `results`: the table is read for every address before any range, so the memory reads of
    /// different addresses overlap instead of waiting on each other.
    @inlinable public func covers(v4 addresses: UnsafePointer<UInt32>, count: Int, results: UnsafeMutablePointer<UInt64>) {
        table.withUnsafeBufferPointer { table in
            for k in 0..<count { results[k] = table[Int(addresses[k] >> 16)] }
        }
        v4Pairs.withUnsafeBufferPointer { pairs in
            for k in 0..<count {
                let entry = results[k]
                let q = addresses[k]
                if entry == 0 || entry == Self.full {
                    results[k] = entry >> 63
                    continue
                }
                results[k] = Self.covers(q, entry: entry, in: pairs) ? 1 : 0
            }
        }
    }

    /// Whether an indicator covers the address (IPv4-mapped IPv6 is read as IPv4).
    public func covers(_ address: IPAddress) -> Bool {
        let address = address.normalized
        if address.family == .v4 { return covers(v4: UInt32(truncatingIfNeeded: address.value)) }
        let q = address.value
        var low = 0
        var high = v6Starts.count
        while low < high {
            let mid = (low + high) >> 1
            if v6Starts[mid] <= q { low = mid + 1 } else { high = mid }
        }
        return low > 0 && v6Ends[low - 1] >= q
    }

    // MARK: Snapshot bytes

    /// Little-endian: counts, then the IPv4 columns, then IPv6 starts and ends as 16-byte values.
    package var serialized: Data {
        var data = Data(capacity: 16 + v4Starts.count * 8 + v6Starts.count * 32)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        put(UInt64(v4Starts.count))
        put(UInt64(v6Starts.count))
        for value in v4Starts { put(value) }
        for value in v4Ends { put(value) }
        for value in v6Starts { put(value) }
        for value in v6Ends { put(value) }
        return data
    }

    /// Reads ``serialized``; nil when the bytes are not a whole, ordered index.
    package init?(serialized data: Data) {
        var four: ([UInt32], [UInt32]) = ([], [])
        var six: ([UInt128], [UInt128]) = ([], [])
        let ok = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
            guard raw.count >= 16 else { return false }
            let n4 = raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
            let n6 = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
            guard n4 < 1 << 32, n6 < 1 << 32, UInt64(raw.count) == 16 + n4 * 8 + n6 * 32 else { return false }
            func column<T: FixedWidthInteger>(_ offset: Int, _ n: Int, _ type: T.Type) -> [T] {
                (0..<n).map { raw.loadUnaligned(fromByteOffset: offset + $0 * MemoryLayout<T>.size, as: T.self).littleEndian }
            }
            let c4 = Int(n4)
            let c6 = Int(n6)
            four = (column(16, c4, UInt32.self), column(16 + 4 * c4, c4, UInt32.self))
            six = (column(16 + 8 * c4, c6, UInt128.self), column(16 + 8 * c4 + 16 * c6, c6, UInt128.self))
            return true
        }
        guard ok, Self.isOrdered(four.0, four.1), Self.isOrdered(six.0, six.1) else { return nil }
        (v4Starts, v4Ends) = four
        (v6Starts, v6Ends) = six
        (v4Pairs, table) = Self.table(v4Starts, v4Ends)
    }

    static func isOrdered<T: Comparable>(_ starts: [T], _ ends: [T]) -> Bool {
        for i in starts.indices {
            guard starts[i] <= ends[i], i == 0 || ends[i - 1] < starts[i] else { return false }
        }
        return true
    }
}
