import Foundation
import SpoorCore

/// Writes MaxMind DB files (format 2.0): a binary search tree over address bits, a data section
/// of deduplicated values, and the metadata. IPv6 databases place IPv4 networks under `::/96`
/// and alias `::ffff:0:0/96` and `2002::/16` to them, as MaxMind's own databases do; the record
/// size (24, 28 or 32 bits) is the smallest that fits. More specific networks win over broader
/// ones whatever the order of insertion; the same network inserted twice keeps the last value.
/// Reference: the MaxMind DB File Format Specification, and interop-formats.md §6.
public struct MMDBWriter {
    public let databaseType: String
    public let ipVersion: Int
    public var languages: [String] = []
    public var descriptions: [String: String] = [:]
    public var buildEpoch: UInt64
    /// The smallest record size to use (24, 28 or 32): a larger one is taken when needed.
    public var minimumRecordSize = 24

    /// A child of a tree node: nothing, another node, or a value (index into `values`).
    enum Child: Equatable {
        case empty
        case node(Int)
        case data(Int)
    }

    private var nodes: [(Child, Child)] = [(.empty, .empty)]
    private var values: [MMDBValue] = []
    private var valueIndex: [MMDBValue: Int] = [:]
    /// The prefix length of the network whose value each child holds (-1 when none), so that a
    /// broader insertion never covers a more specific one.
    private var dataDepth: [[Int]] = [[-1, -1]]

    /// - Parameters:
    ///   - ipVersion: 4 (a 32-bit tree) or 6 (a 128-bit tree holding IPv4 as well).
    ///   - buildEpoch: the build time (Unix seconds) written in the metadata.
    public init(databaseType: String, ipVersion: Int = 6, buildEpoch: UInt64) {
        precondition(ipVersion == 4 || ipVersion == 6, "ip_version is 4 or 6")
        self.databaseType = databaseType
        self.ipVersion = ipVersion
        self.buildEpoch = buildEpoch
    }

    public enum WriterError: Error, Hashable, CustomStringConvertible {
        case ipv6InIPv4Database(String)
        case tooLarge
        case noBuildEpoch

        public var description: String {
            switch self {
            case .ipv6InIPv4Database(let network): return "\(network): an IPv6 network cannot go in an IPv4 database"
            case .tooLarge: return "the database would exceed the format's 32-bit record limit"
            case .noBuildEpoch: return "a build epoch of 0 reads as missing (libmaxminddb refuses the file); give the build time"
            }
        }
    }

    /// Adds a network and its value.
    public mutating func insert(_ network: IPNetwork, _ value: MMDBValue) throws(WriterError) {
        let address = network.address
        let bits: UInt128
        let length: Int
        if ipVersion == 4 {
            guard address.family == .v4 else { throw .ipv6InIPv4Database(network.description) }
            bits = address.value << 96
            length = network.prefixLength
        } else if address.family == .v4 {
            bits = address.value  // ::a.b.c.d
            length = 96 + network.prefixLength
        } else {
            bits = address.value
            length = network.prefixLength
        }
        let index = intern(value)
        if length == 0 {
            // The whole space: every empty place in the tree gets the value.
            fillEmpty(node: 0, depth: 0, index: index, insertedDepth: 0)
            return
        }
        let (parent, bit) = path(bits, length)
        setChild(parent, bit, value: index, depth: length)
    }

    /// The node below `node` on `bit`, created when there is none; a broader network's value
    /// found there is split into both halves of the new node.
    private mutating func descend(_ node: Int, _ bit: Int) -> Int {
        switch child(node, bit) {
        case .node(let next):
            return next
        case .empty:
            let next = newNode(.empty, .empty)
            setChild(node, bit, .node(next))
            return next
        case .data(let existing):
            let depth = dataDepth[node][bit]
            let next = newNode(.data(existing), .data(existing))
            dataDepth[next] = [depth, depth]
            setChild(node, bit, .node(next))
            return next
        }
    }

    /// The value's index, stored once however often it is used.
    private mutating func intern(_ value: MMDBValue) -> Int {
        if let known = valueIndex[value] { return known }
        values.append(value)
        valueIndex[value] = values.count - 1
        return values.count - 1
    }

    private func child(_ node: Int, _ bit: Int) -> Child { bit == 0 ? nodes[node].0 : nodes[node].1 }

    private mutating func setChild(_ node: Int, _ bit: Int, _ child: Child) {
        if bit == 0 { nodes[node].0 = child } else { nodes[node].1 = child }
    }

    private mutating func newNode(_ left: Child, _ right: Child) -> Int {
        nodes.append((left, right))
        dataDepth.append([-1, -1])
        return nodes.count - 1
    }

    /// Sets the value on a child at the network's depth: replaces data of a broader or equal
    /// network; beneath, only places not held by more specific networks take it.
    private mutating func setChild(_ node: Int, _ bit: Int, value index: Int, depth: Int) {
        switch child(node, bit) {
        case .empty:
            setChild(node, bit, .data(index))
            dataDepth[node][bit] = depth
        case .data:
            if dataDepth[node][bit] <= depth {
                setChild(node, bit, .data(index))
                dataDepth[node][bit] = depth
            }
        case .node(let next):
            fillEmpty(node: next, depth: depth, index: index, insertedDepth: depth)
        }
    }

    private mutating func fillEmpty(node: Int, depth: Int, index: Int, insertedDepth: Int) {
        for bit in 0...1 {
            switch child(node, bit) {
            case .empty:
                setChild(node, bit, .data(index))
                dataDepth[node][bit] = insertedDepth
            case .data:
                if dataDepth[node][bit] <= insertedDepth {
                    setChild(node, bit, .data(index))
                    dataDepth[node][bit] = insertedDepth
                }
            case .node(let next):
                fillEmpty(node: next, depth: depth + 1, index: index, insertedDepth: insertedDepth)
            }
        }
    }

    /// Replaces, bottom up, each node whose two children hold the same value by that value;
    /// returns the node's value when it collapsed. Nodes left unreferenced are dropped later.
    private mutating func collapse(_ node: Int) -> Child? {
        for bit in 0...1 {
            if case .node(let next) = child(node, bit), let value = collapse(next) {
                setChild(node, bit, value)
                dataDepth[node][bit] = dataDepth[next][0]
            }
        }
        let (left, right) = nodes[node]
        if node != 0, left == right, case .data = left { return left }
        return nil
    }

    /// The node reached by following `length` bits of `bits` from the root, creating nodes.
    private mutating func path(_ bits: UInt128, _ length: Int) -> (parent: Int, bit: Int) {
        var node = 0
        var rest = bits
        for _ in 0..<(length - 1) {
            let bit = Int(rest >> 127 & 1)
            rest <<= 1
            node = descend(node, bit)
        }
        return (node, Int(rest >> 127 & 1))
    }

    /// The database as bytes.
    public mutating func serialize() throws(WriterError) -> [UInt8] {
        guard buildEpoch > 0 else { throw .noBuildEpoch }
        // Halves holding the same value are one network: a lookup reports the wider prefix, as
        // MaxMind's writer does, and the tree is smaller.
        _ = collapse(0)
        if ipVersion == 6 {
            // IPv4 lives under ::/96; ::ffff:0:0/96 and 2002::/16 lead to the same subtree.
            let (v4Parent, v4Bit) = path(0, 96)
            var v4Root: Int
            if case .node(let existing) = child(v4Parent, v4Bit) {
                v4Root = existing
            } else {
                let old = child(v4Parent, v4Bit)
                v4Root = newNode(old, old)
                dataDepth[v4Root] = [dataDepth[v4Parent][v4Bit], dataDepth[v4Parent][v4Bit]]
                setChild(v4Parent, v4Bit, .node(v4Root))
            }
            let mapped = path(UInt128(0xFFFF) << 32, 96)
            setChild(mapped.parent, mapped.bit, .node(v4Root))
            let sixToFour = path(UInt128(0x2002) << 112, 16)
            setChild(sixToFour.parent, sixToFour.bit, .node(v4Root))
        }
        // Only nodes still reachable are written, numbered breadth-first from the root.
        var number: [Int: Int] = [0: 0]
        var order = [0]
        var cursor = 0
        while cursor < order.count {
            let (left, right) = nodes[order[cursor]]
            for childRef in [left, right] {
                if case .node(let next) = childRef, number[next] == nil {
                    number[next] = order.count
                    order.append(next)
                }
            }
            cursor += 1
        }
        // The data section: each distinct value once, in order of first use.
        var data: [UInt8] = []
        var offsets: [Int] = []
        for value in values {
            offsets.append(data.count)
            Self.encode(value, into: &data)
        }
        let nodeCount = order.count
        let largest = nodeCount + 16 + data.count
        let recordSize: Int
        if largest < 1 << 24 && minimumRecordSize <= 24 {
            recordSize = 24
        } else if largest < 1 << 28 && minimumRecordSize <= 28 {
            recordSize = 28
        } else if largest < 1 << 32 - 1 {
            recordSize = 32
        } else {
            throw .tooLarge
        }
        func record(_ child: Child) -> UInt32 {
            switch child {
            case .empty: return UInt32(nodeCount)
            case .node(let n): return UInt32(number[n] ?? 0)
            case .data(let i): return UInt32(nodeCount + 16 + offsets[i])
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(nodeCount * recordSize / 4 + 16 + data.count + 512)
        for index in order {
            let (left, right) = nodes[index]
            let l = record(left)
            let r = record(right)
            switch recordSize {
            case 24:
                out += [
                    UInt8(l >> 16 & 0xFF), UInt8(l >> 8 & 0xFF), UInt8(l & 0xFF), UInt8(r >> 16 & 0xFF), UInt8(r >> 8 & 0xFF),
                    UInt8(r & 0xFF),
                ]
            case 28:
                out += [
                    UInt8(l >> 16 & 0xFF), UInt8(l >> 8 & 0xFF), UInt8(l & 0xFF),
                    UInt8((l >> 24 & 0x0F) << 4 | (r >> 24 & 0x0F)),
                    UInt8(r >> 16 & 0xFF), UInt8(r >> 8 & 0xFF), UInt8(r & 0xFF),
                ]
            default:
                out += [UInt8(l >> 24), UInt8(l >> 16 & 0xFF), UInt8(l >> 8 & 0xFF), UInt8(l & 0xFF)]
                out += [UInt8(r >> 24), UInt8(r >> 16 & 0xFF), UInt8(r >> 8 & 0xFF), UInt8(r & 0xFF)]
            }
        }
        out += [UInt8](repeating: 0, count: 16)
        out += data
        out += [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        let metadata: [String: MMDBValue] = [
            "binary_format_major_version": .unsigned(2), "binary_format_minor_version": .unsigned(0),
            "build_epoch": .unsigned(buildEpoch), "database_type": .string(databaseType),
            "description": .map(descriptions.mapValues { .string($0) }), "ip_version": .unsigned(UInt64(ipVersion)),
            "languages": .array(languages.map { .string($0) }), "node_count": .unsigned(UInt64(nodeCount)),
            "record_size": .unsigned(UInt64(recordSize)),
        ]
        // Metadata field widths as the specification gives them.
        var encoded: [UInt8] = []
        Self.encodeMetadata(metadata, into: &encoded)
        out += encoded
        return out
    }

    // MARK: - Data section encoding

    static func control(_ type: Int, _ size: Int, into out: inout [UInt8]) {
        var first: UInt8
        var extended: UInt8?
        if type <= 7 {
            first = UInt8(type << 5)
        } else {
            first = 0
            extended = UInt8(type - 7)
        }
        var sizeBytes: [UInt8] = []
        switch size {
        case ..<29:
            first |= UInt8(size)
        case 29..<285:
            first |= 29
            sizeBytes = [UInt8(size - 29)]
        case 285..<65_821:
            first |= 30
            let v = size - 285
            sizeBytes = [UInt8(v >> 8), UInt8(v & 0xFF)]
        default:
            first |= 31
            let v = size - 65_821
            sizeBytes = [UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
        }
        out.append(first)
        if let extended { out.append(extended) }
        out += sizeBytes
    }

    /// Big-endian bytes without leading zeros.
    static func minimal<T: FixedWidthInteger & UnsignedInteger>(_ value: T) -> [UInt8] {
        var bytes: [UInt8] = []
        var v = value
        while v != 0 {
            bytes.insert(UInt8(truncatingIfNeeded: v), at: 0)
            v >>= 8
        }
        return bytes
    }

    static func encode(_ value: MMDBValue, into out: inout [UInt8]) {
        switch value {
        case .string(let s):
            let bytes = Array(s.utf8)
            control(2, bytes.count, into: &out)
            out += bytes
        case .double(let d):
            control(3, 8, into: &out)
            let bits = d.bitPattern
            out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }
        case .float(let f):
            control(15, 4, into: &out)
            let bits = f.bitPattern
            out += (0..<4).reversed().map { UInt8(truncatingIfNeeded: bits >> (8 * UInt32($0))) }
        case .bytes(let b):
            control(4, b.count, into: &out)
            out += b
        case .unsigned(let v):
            // uint32 as MaxMind's own databases use for counts and ids; uint64 above that.
            let bytes = minimal(v)
            control(bytes.count <= 4 ? 6 : 9, bytes.count, into: &out)
            out += bytes
        case .unsigned128(let v):
            let bytes = minimal(v)
            control(10, bytes.count, into: &out)
            out += bytes
        case .signed(let v):
            if v >= 0 && v <= Int64(Int32.max) {
                let bytes = minimal(UInt32(v))
                control(8, bytes.count, into: &out)
                out += bytes
            } else if v < 0 && v >= Int64(Int32.min) {
                let bits = UInt32(bitPattern: Int32(v))
                control(8, 4, into: &out)
                out += [UInt8(bits >> 24), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits & 0xFF)]
            } else {
                // Outside int32: the format has no wider signed type; written as a double.
                encode(.double(Double(v)), into: &out)
            }
        case .bool(let b):
            control(14, b ? 1 : 0, into: &out)
        case .map(let pairs):
            control(7, pairs.count, into: &out)
            for key in pairs.keys.sorted() {
                encode(.string(key), into: &out)
                encode(pairs[key]!, into: &out)
            }
        case .array(let items):
            control(11, items.count, into: &out)
            for item in items { encode(item, into: &out) }
        }
    }

    /// Metadata keys with the types the specification names (uint16 versions and sizes, uint32
    /// node count, uint64 build epoch).
    static func encodeMetadata(_ metadata: [String: MMDBValue], into out: inout [UInt8]) {
        control(7, metadata.count, into: &out)
        for key in metadata.keys.sorted() {
            encode(.string(key), into: &out)
            let value = metadata[key]!
            switch (key, value) {
            case ("binary_format_major_version", .unsigned(let v)), ("binary_format_minor_version", .unsigned(let v)),
                ("ip_version", .unsigned(let v)), ("record_size", .unsigned(let v)):
                let bytes = minimal(UInt16(v))
                control(5, bytes.count, into: &out)
                out += bytes
            case ("node_count", .unsigned(let v)):
                let bytes = minimal(UInt32(v))
                control(6, bytes.count, into: &out)
                out += bytes
            case ("build_epoch", .unsigned(let v)):
                let bytes = minimal(v)
                control(9, bytes.count, into: &out)
                out += bytes
            default:
                encode(value, into: &out)
            }
        }
    }
}

extension MMDBValue {
    /// A value from JSON (as `JSONSerialization` reads it): integers become unsigned (or
    /// signed when negative), other numbers doubles, booleans booleans.
    public init?(json: Any) {
        switch json {
        case let string as String: self = .string(string)
        case let number as NSNumber:
            // JSONSerialization marks booleans "c", numbers written with a fraction or exponent "d".
            let kind = String(cString: number.objCType)
            if kind == "c" {
                self = .bool(number.boolValue)
            } else if kind == "d" || kind == "f" {
                self = .double(number.doubleValue)
            } else if number.int64Value < 0 {
                self = .signed(number.int64Value)
            } else {
                self = .unsigned(number.uint64Value)
            }
        case let array as [Any]:
            var items: [MMDBValue] = []
            for item in array {
                guard let value = MMDBValue(json: item) else { return nil }
                items.append(value)
            }
            self = .array(items)
        case let object as [String: Any]:
            var pairs: [String: MMDBValue] = [:]
            for (key, item) in object {
                guard let value = MMDBValue(json: item) else { return nil }
                pairs[key] = value
            }
            self = .map(pairs)
        default:
            return nil
        }
    }
}
