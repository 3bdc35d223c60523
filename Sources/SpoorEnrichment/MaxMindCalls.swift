internal import CMaxMindDB
import Glibc
import SpoorCore

/// Every raw libmaxminddb call Spoor makes, in one place. Handles are `UnsafeMutableRawPointer`
/// to an `MMDB_s` owned by ``MaxMindDatabase``.
enum MaxMindCalls {
    static func open(_ path: String) -> Result<UnsafeMutableRawPointer, EnrichmentError> {
        let mmdb = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), mmdb)
        guard status == MMDB_SUCCESS else {
            mmdb.deallocate()
            var message = errorText(status)
            if status == MMDB_IO_ERROR { message += " (\(String(cString: strerror(errno))))" }
            return .failure(.cannotOpen(path: path, reason: message))
        }
        return .success(UnsafeMutableRawPointer(mmdb))
    }

    static func close(_ handle: UnsafeMutableRawPointer) {
        let mmdb = handle.assumingMemoryBound(to: MMDB_s.self)
        MMDB_close(mmdb)
        mmdb.deallocate()
    }

    static func errorText(_ status: Int32) -> String {
        guard let text = MMDB_strerror(status) else { return "libmaxminddb error \(status)" }
        return String(cString: text)
    }

    static func metadata(_ handle: UnsafeMutableRawPointer) -> DatabaseMetadata {
        let m = handle.assumingMemoryBound(to: MMDB_s.self).pointee.metadata
        var languages: [String] = []
        for i in 0..<m.languages.count {
            if let name = m.languages.names?[i] { languages.append(String(cString: name)) }
        }
        var descriptions: [String: String] = [:]
        for i in 0..<m.description.count {
            guard let d = m.description.descriptions?[i]?.pointee, let text = d.description else { continue }
            descriptions[d.language.map { String(cString: $0) } ?? ""] = String(cString: text)
        }
        return DatabaseMetadata(
            databaseType: m.database_type.map { String(cString: $0) } ?? "",
            buildEpoch: m.build_epoch, ipVersion: Int(m.ip_version), recordSize: Int(m.record_size),
            nodeCount: Int(m.node_count), languages: languages, descriptions: descriptions,
            binaryFormat: "\(m.binary_format_major_version).\(m.binary_format_minor_version)")
    }

    /// Looks an address up. Returns nil when the database holds nothing for it.
    /// `cached` is asked first for the record at the entry's offset (records are shared by
    /// many networks); a record decoded here is handed back for the caller to keep.
    static func lookup(
        _ handle: UnsafeMutableRawPointer, _ address: IPAddress, path: String, cached: (UInt32) -> MMDBValue?
    ) -> Result<(prefixLength: Int, offset: UInt32, value: MMDBValue)?, EnrichmentError> {
        let mmdb = handle.assumingMemoryBound(to: MMDB_s.self)
        var status: Int32 = 0
        var result: MMDB_lookup_result_s
        switch address.family {
        case .v4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_addr.s_addr = UInt32(truncatingIfNeeded: address.value).bigEndian
            result = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { MMDB_lookup_sockaddr(mmdb, $0, &status) }
            }
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for (i, byte) in address.bytes.enumerated() { raw[i] = byte }
            }
            result = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { MMDB_lookup_sockaddr(mmdb, $0, &status) }
            }
        }
        guard status == MMDB_SUCCESS else {
            return .failure(.lookupFailed(path: path, address: address.description, reason: errorText(status)))
        }
        guard result.found_entry else { return .success(nil) }
        var prefix = Int(result.netmask)
        if address.family == .v4 && mmdb.pointee.metadata.ip_version == 6 { prefix = max(0, prefix - 96) }
        let offset = result.entry.offset
        if let known = cached(offset) { return .success((prefix, offset, known)) }
        var list: UnsafeMutablePointer<MMDB_entry_data_list_s>? = nil
        let listStatus = MMDB_get_entry_data_list(&result.entry, &list)
        defer { MMDB_free_entry_data_list(list) }
        guard listStatus == MMDB_SUCCESS else {
            return .failure(.lookupFailed(path: path, address: address.description, reason: errorText(listStatus)))
        }
        var cursor = list
        guard let value = decode(&cursor) else {
            return .failure(.lookupFailed(path: path, address: address.description, reason: "undecodable data record"))
        }
        return .success((prefix, offset, value))
    }

    /// Decodes one value (recursively for maps and arrays) and advances the cursor past it.
    static func decode(_ cursor: inout UnsafeMutablePointer<MMDB_entry_data_list_s>?) -> MMDBValue? {
        guard let node = cursor else { return nil }
        let entry = node.pointee.entry_data
        cursor = node.pointee.next
        switch Int32(entry.type) {
        case MMDB_DATA_TYPE_UTF8_STRING:
            guard let start = entry.utf8_string else { return .string("") }
            let bytes = UnsafeRawBufferPointer(start: start, count: Int(entry.data_size))
            return .string(String(decoding: bytes, as: UTF8.self))
        case MMDB_DATA_TYPE_DOUBLE: return .double(entry.double_value)
        case MMDB_DATA_TYPE_FLOAT: return .float(entry.float_value)
        case MMDB_DATA_TYPE_BYTES:
            guard let start = entry.bytes else { return .bytes([]) }
            return .bytes(Array(UnsafeBufferPointer(start: start, count: Int(entry.data_size))))
        case MMDB_DATA_TYPE_UINT16: return .unsigned(UInt64(entry.uint16))
        case MMDB_DATA_TYPE_UINT32: return .unsigned(UInt64(entry.uint32))
        case MMDB_DATA_TYPE_UINT64: return .unsigned(entry.uint64)
        case MMDB_DATA_TYPE_UINT128:
            // Swift cannot import the `mmdb_uint128_t` union member; it is a native little-endian
            // 128-bit integer at the union's offset, which is 16 (its own alignment) on the
            // 64-bit targets Spoor builds for.
            var value: UInt128 = 0
            withUnsafeBytes(of: entry) { raw in
                for byte in raw[16..<32].reversed() { value = value << 8 | UInt128(byte) }
            }
            return .unsigned128(value)
        case MMDB_DATA_TYPE_INT32: return .signed(Int64(entry.int32))
        case MMDB_DATA_TYPE_BOOLEAN: return .bool(entry.boolean)
        case MMDB_DATA_TYPE_MAP:
            var pairs: [String: MMDBValue] = [:]
            for _ in 0..<entry.data_size {
                guard case .string(let key)? = decode(&cursor), let value = decode(&cursor) else { return nil }
                pairs[key] = value
            }
            return .map(pairs)
        case MMDB_DATA_TYPE_ARRAY:
            var items: [MMDBValue] = []
            for _ in 0..<entry.data_size {
                guard let value = decode(&cursor) else { return nil }
                items.append(value)
            }
            return .array(items)
        default:
            return nil
        }
    }
}

extension MaxMindCalls {
    /// Visits every network that holds a record, in address order, with the record's offset.
    /// In an IPv6 tree the IPv4 space (`::/96`) is reported as IPv4 networks, and the subtrees
    /// that alias it (`::ffff:0:0/96`, `2002::/16`) are not visited again.
    static func forEachNetwork(
        _ handle: UnsafeMutableRawPointer, path: String,
        _ body: (_ network: IPNetwork, _ offset: UInt32, _ value: MMDBValue) throws -> Void
    ) throws {
        let mmdb = handle.assumingMemoryBound(to: MMDB_s.self)
        let bits = mmdb.pointee.metadata.ip_version == 6 ? 128 : 32
        var visited = Set<UInt32>()
        var decoded: [UInt32: MMDBValue] = [:]
        // Depth-first, left before right, so networks come out in address order.
        var stack: [(node: UInt32, prefix: UInt128, depth: Int)] = [(0, 0, 0)]
        while let (nodeNumber, prefix, depth) = stack.popLast() {
            guard visited.insert(nodeNumber).inserted else { continue }
            var node = MMDB_search_node_s()
            let status = MMDB_read_node(mmdb, nodeNumber, &node)
            guard status == MMDB_SUCCESS else {
                throw EnrichmentError.lookupFailed(path: path, address: "node \(nodeNumber)", reason: errorText(status))
            }
            let children: [(UInt64, UInt8, MMDB_entry_s, UInt128)] = [
                (node.right_record, node.right_record_type, node.right_record_entry, prefix | (UInt128(1) << (bits - depth - 1))),
                (node.left_record, node.left_record_type, node.left_record_entry, prefix),
            ]
            for (record, type, entry, childPrefix) in children {
                switch Int32(type) {
                case MMDB_RECORD_TYPE_SEARCH_NODE:
                    stack.append((UInt32(record), childPrefix, depth + 1))
                case MMDB_RECORD_TYPE_DATA:
                    let length = depth + 1
                    let network: IPNetwork?
                    if bits == 128 && length >= 96 && childPrefix >> 32 == 0 {
                        network = IPNetwork(
                            containing: IPAddress(v4: UInt32(truncatingIfNeeded: childPrefix)), prefixLength: length - 96)
                    } else {
                        network = IPNetwork(
                            containing: bits == 32
                                ? IPAddress(v4: UInt32(truncatingIfNeeded: childPrefix)) : IPAddress(v6: childPrefix),
                            prefixLength: length)
                    }
                    guard let network else { continue }
                    var entry = entry
                    let offset = entry.offset
                    if decoded[offset] == nil {
                        var list: UnsafeMutablePointer<MMDB_entry_data_list_s>? = nil
                        let listStatus = MMDB_get_entry_data_list(&entry, &list)
                        defer { MMDB_free_entry_data_list(list) }
                        var cursor = list
                        guard listStatus == MMDB_SUCCESS, let value = decode(&cursor) else {
                            throw EnrichmentError.lookupFailed(
                                path: path, address: network.description, reason: "undecodable data record")
                        }
                        decoded[offset] = value
                    }
                    if let value = decoded[offset] { try body(network, offset, value) }
                default:
                    continue  // empty or invalid: no record
                }
            }
        }
    }
}
