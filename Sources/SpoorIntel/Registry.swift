import Foundation
import SpoorCore

/// One object of registry data Spoor keeps: a netblock (`inetnum`, `inet6num`, an iptoasn
/// range), a route (`route`, `route6`, a pfx2as prefix), an autonomous system (`aut-num`, an
/// as2org AS), an organisation, or a Tor exit address.
/// Personal data (`person`, `role`, …) is never kept.
public struct RegistryObject: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case inetnum, inet6num, route, route6, autNum = "aut-num", organisation
        /// A row of an iptoasn-style table: a range, its origin AS, country and AS description.
        case asnRange = "iptoasn"
        /// A row of a prefix-to-AS table (CAIDA/RouteViews pfx2as): a routed prefix and its origin.
        case prefixOrigin = "pfx2as"
        /// An address a Tor exit node was seen exiting from (a Tor exit list).
        case torExit = "tor-exit"
    }

    public var kind: Kind
    /// The object's key as the source writes it: `192.0.2.0 - 192.0.2.255`, `AS64500`, `ORG-EX1-TEST`.
    public var key: String
    /// The address range, for netblocks and routes.
    public var first: IPAddress?
    public var last: IPAddress?
    /// Route origin, aut-num number, or the AS of an iptoasn range.
    public var asn: UInt32?
    /// `netname`, `as-name`, `org-name`, or an iptoasn AS description.
    public var name: String?
    public var descr: String?
    public var country: String?
    /// The `org:` reference (an organisation key).
    public var org: String?
    /// RPSL `status:`; a Tor exit's `LastStatus` (when the directory last listed the relay).
    public var status: String?
    public var maintainedBy: String?
    /// RPSL `created:`; a Tor exit's relay descriptor `Published` time.
    public var created: String?
    /// RPSL `last-modified:`, as2org `changed`; when a Tor exit was seen exiting from the address.
    public var lastModified: String?
    /// The line of the dump where the object starts.
    public var line: Int

    public init(kind: Kind, key: String, line: Int) {
        self.kind = kind
        self.key = key
        self.line = line
    }

    public var isRange: Bool { first != nil && last != nil }
}

/// What importing a registry file did.
public struct RegistryImportReport: Sendable {
    public var format: String
    public var asOf: String
    /// How the date was decided: `given`, `file name`, or what a Tor list states.
    public var asOfBasis: String
    public var kept: [RegistryObject.Kind: Int] = [:]
    /// Objects not kept because they hold personal data or are of kinds Spoor does not use.
    public var skippedKinds: [String: Int] = [:]
    /// Objects that could not be read, with where and why.
    public var unreadable: [(line: Int, reason: String)] = []

    public var keptTotal: Int { kept.values.reduce(0, +) }

    package init(format: String, asOf: String, asOfBasis: String) {
        self.format = format
        self.asOf = asOf
        self.asOfBasis = asOfBasis
    }
}

/// Reads RIPE-style RPSL dumps: objects separated by blank lines, `attribute: value` lines,
/// continuation lines starting with a space, a tab or `+`, comments starting with `#` or `%`.
public enum RPSLReader {
    /// Object classes that hold personal data: never kept.
    public static let personal: Set<String> = ["person", "role", "irt", "mntner", "key-cert", "poem", "poetic-form"]

    /// The attributes ``object(_:line:)`` reads: an import passes only these (and each object's
    /// class) and makes no text of the rest.
    public static let attributesKept = [
        "netname", "as-name", "org-name", "descr", "country", "org", "status", "mnt-by", "created", "last-modified", "origin",
    ]

    /// Calls `body` with each object's attributes (lower-case names, values trimmed, in order)
    /// and the line it starts on.
    ///
    /// The dump is read as bytes, a megabyte at a time; text is made only for the attributes
    /// passed. A dump of millions of objects is mostly attributes nobody reads (`admin-c`,
    /// `source`, …). It splits lines itself rather than through ``LineReader`` (whose long-line
    /// cut, `\r` and Latin-1 rules it follows): a million-object import through `LineReader`
    /// returning each line's bytes took 7.4–10.0 s (4 runs), this 6.4–8.7 s (5 runs) on the same
    /// busy machine the same hour, and 6.0–6.6 s in quieter runs.
    /// - Parameter names: when given, only attributes of these names (lower case) are passed,
    ///   besides each object's first (its class and key); continuation lines of the others are
    ///   skipped with them.
    /// - Returns: when the dump ends without a final newline (it may have been cut short), the
    ///   line where its last object starts; nil when it ends as a complete dump does.
    @discardableResult
    public static func forEachObject(
        _ source: any ByteSource, names: [String]? = nil, _ body: ([(String, String)], Int) throws -> Void
    ) throws -> Int? {
        let wanted = names.map { $0.map { (name: $0, bytes: Array($0.utf8)) } }
        var attributes: [(String, String)] = []
        var start = 0
        var number = 0
        var lastKept = false
        var buffer: [UInt8] = []
        var consumed = 0
        var atEnd = false
        var endedMidLine = false
        /// More than this without a newline: the line is cut there and the rest of it skipped.
        let longest = LineReader.maximumLineLength
        var skippingRest = false

        func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
            // ASCII, nearly every value of a dump, decoded without the generic validation (which
            // looked up type metadata at every call: a tenth of the reading thread's time).
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            if let utf8 = String(validating: bytes, as: UTF8.self) { return utf8 }
            // Not UTF-8: ISO-8859-1 (RIPE dumps are Latin-1), where every byte is the character of that number.
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        }
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        func trimmed(_ line: UnsafeBufferPointer<UInt8>, from: Int) -> UnsafeBufferPointer<UInt8> {
            var from = from
            var to = line.count
            while from < to, isBlank(line[from]) { from += 1 }
            while to > from, isBlank(line[to - 1]) { to -= 1 }
            return UnsafeBufferPointer(rebasing: line[from..<to])
        }
        func line(_ raw: UnsafeBufferPointer<UInt8>) throws {
            number += 1
            var line = raw
            if line.last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
            if line.allSatisfy(isBlank) {
                if !attributes.isEmpty { try body(attributes, start) }
                attributes.removeAll(keepingCapacity: true)
                return
            }
            let first = line[0]
            if first == UInt8(ascii: "#") || first == UInt8(ascii: "%") { return }
            if first == 0x20 || first == 0x09 || first == UInt8(ascii: "+") {
                // A continuation of the previous attribute's value.
                guard lastKept, !attributes.isEmpty else { return }
                let more = text(trimmed(line, from: 1))
                let last = attributes.count - 1
                attributes[last].1 += attributes[last].1.isEmpty ? more : " " + more
                return
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
            let nameBytes = UnsafeBufferPointer(rebasing: line[..<colon])
            var name: String?
            if attributes.isEmpty {
                start = number
            } else if let wanted {
                // Compared as bytes, capitals folded: most names are not wanted and get no text.
                for candidate in wanted where candidate.bytes.count == nameBytes.count {
                    var same = true
                    for i in 0..<nameBytes.count {
                        let b = nameBytes[i]
                        if candidate.bytes[i] != (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) {
                            same = false
                            break
                        }
                    }
                    if same {
                        name = candidate.name
                        break
                    }
                }
                guard name != nil else {
                    lastKept = false
                    return
                }
            }
            let resolved =
                name ?? (nameBytes.contains { $0 >= 0x41 && $0 <= 0x5A } ? text(nameBytes).lowercased() : text(nameBytes))
            attributes.append((resolved, text(trimmed(line, from: colon + 1))))
            lastKept = true
        }

        while true {
            // Every complete line in the buffer.
            try buffer.withUnsafeBufferPointer { all in
                var from = consumed
                while from < all.count {
                    guard let newline = UnsafeBufferPointer(rebasing: all[from...]).firstIndex(of: 0x0A) else { break }
                    let end = from + newline
                    if skippingRest {
                        skippingRest = false
                    } else {
                        try line(UnsafeBufferPointer(rebasing: all[from..<min(end, from + longest)]))
                    }
                    from = end + 1
                }
                consumed = from
            }
            if atEnd {
                if consumed < buffer.count, !skippingRest {
                    try buffer.withUnsafeBufferPointer { try line(UnsafeBufferPointer(rebasing: $0[consumed...])) }
                    endedMidLine = true
                }
                break
            }
            if buffer.count - consumed > longest, !skippingRest {
                // A line longer than any a dump has: read up to the limit, the rest skipped.
                try buffer.withUnsafeBufferPointer {
                    try line(UnsafeBufferPointer(rebasing: $0[consumed..<(consumed + longest)]))
                }
                consumed = buffer.count
                skippingRest = true
            } else if skippingRest {
                consumed = buffer.count
            }
            buffer.removeFirst(consumed)
            consumed = 0
            let chunk = try source.read(upTo: 1 << 20)
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
        let lastStart = attributes.isEmpty ? nil : start
        if !attributes.isEmpty { try body(attributes, start) }
        return endedMidLine ? lastStart : nil
    }

    /// The object Spoor keeps from a block, nil for kinds it does not keep, or an error text.
    public static func object(_ attributes: [(String, String)], line: Int) -> Result<RegistryObject?, RegistryReadError> {
        guard let (className, key) = attributes.first else { return .success(nil) }
        guard let kind = RegistryObject.Kind(rawValue: className), ![.asnRange, .prefixOrigin, .torExit].contains(kind) else {
            return .success(nil)
        }
        var object = RegistryObject(kind: kind, key: key, line: line)
        // One pass: the first non-empty value of each attribute, and every one of those that repeat.
        var netname: String?
        var asName: String?
        var orgName: String?
        var country: String?
        var org: String?
        var status: String?
        var created: String?
        var lastModified: String?
        var origin: String?
        var descr: [String] = []
        var maintainers: [String] = []
        func keepFirst(_ field: inout String?, _ value: String) { if field == nil { field = value } }
        for (name, value) in attributes.dropFirst() where !value.isEmpty {
            switch name {
            case "descr": descr.append(value)
            case "mnt-by": maintainers.append(value)
            case "netname": keepFirst(&netname, value)
            case "as-name": keepFirst(&asName, value)
            case "org-name": keepFirst(&orgName, value)
            case "country": keepFirst(&country, value)
            case "org": keepFirst(&org, value)
            case "status": keepFirst(&status, value)
            case "created": keepFirst(&created, value)
            case "last-modified": keepFirst(&lastModified, value)
            case "origin": keepFirst(&origin, value)
            default: break
            }
        }
        switch kind {
        case .inetnum:
            // `a - b`, read without making text of either half.
            let dash = key.utf8.firstIndex(of: UInt8(ascii: "-"))
            let parts = dash.map { [key[..<$0].trimmedSlice(" \t"), key[key.index(after: $0)...].trimmedSlice(" \t")] } ?? []
            guard parts.count == 2, let first = IPAddress(parts[0]), let last = IPAddress(parts[1]), first.family == .v4,
                last.family == .v4, first <= last
            else { return .failure(RegistryReadError(line: line, reason: "inetnum '\(key)' is not a range a - b")) }
            object.first = first
            object.last = last
        case .inet6num, .route, .route6:
            guard let network = IPNetwork(key.trimming(" \t")) else {
                return .failure(RegistryReadError(line: line, reason: "\(className) '\(key)' is not a prefix"))
            }
            object.first = network.address
            object.last = network.lastAddress
        case .autNum:
            guard let asn = parseASN(key) else {
                return .failure(RegistryReadError(line: line, reason: "aut-num '\(key)' is not an AS number"))
            }
            object.asn = asn
        case .organisation, .asnRange, .prefixOrigin, .torExit:
            break
        }
        switch kind {
        case .route, .route6:
            guard let origin = origin.flatMap(parseASN) else {
                return .failure(RegistryReadError(line: line, reason: "\(className) \(key) has no origin AS"))
            }
            object.asn = origin
        case .autNum: object.name = asName
        case .organisation: object.name = orgName
        default: object.name = netname
        }
        object.descr = descr.isEmpty ? nil : descr.joined(separator: "; ")
        object.country = country
        object.org = org
        object.status = status
        object.maintainedBy = maintainers.isEmpty ? nil : maintainers.joined(separator: "; ")
        object.created = created
        object.lastModified = lastModified
        return .success(object)
    }

    /// `AS64500`, `as64500` or `64500`.
    public static func parseASN(_ text: String) -> UInt32? {
        var digits = Substring(text.trimming(" \t"))
        if digits.uppercased().hasPrefix("AS") { digits = digits.dropFirst(2) }
        return UInt32(digits)
    }
}

/// Reads iptoasn-style tables: `range_start range_end AS_number country_code AS_description`,
/// tab-separated, no header, inclusive ranges; AS 0 marks unrouted space (kept: it says so).
public enum IPToASNReader {
    public static func object(_ line: String, number: Int) -> Result<RegistryObject?, RegistryReadError> {
        if line.trimming(" \t").isEmpty || line.hasPrefix("#") { return .success(nil) }
        let fields = line.split(separator: "\t", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 3, let first = IPAddress(fields[0].trimming(" ")), let last = IPAddress(fields[1].trimming(" ")),
            first.family == last.family, first <= last, let asn = UInt32(fields[2].trimming(" "))
        else {
            return .failure(RegistryReadError(line: number, reason: "not 'start<TAB>end<TAB>AS<TAB>country<TAB>description'"))
        }
        var object = RegistryObject(kind: .asnRange, key: "\(fields[0]) - \(fields[1])", line: number)
        object.first = first
        object.last = last
        object.asn = asn
        if fields.count > 3 {
            let country = fields[3].trimming(" ")
            object.country = country == "None" || country.isEmpty ? nil : country
        }
        if fields.count > 4 {
            let description = fields[4].trimming(" ")
            object.name = description == "Not routed" || description.isEmpty ? nil : description
        }
        return .success(object)
    }
}

public struct RegistryReadError: Error, Hashable, Sendable {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}

/// A registry file that states no date for its data, imported without `--as-of`.
public struct RegistryDateMissing: Error, Sendable, CustomStringConvertible {
    public var fileName: String
    public var format: RegistryFormat

    public init(fileName: String, format: RegistryFormat) {
        self.fileName = fileName
        self.format = format
    }

    public var description: String {
        "\(fileName): the \(format.rawValue) data states no date and its file name holds none: give --as-of YYYY-MM-DD, the date the data describes (when it was made or downloaded)"
    }
}

/// The formats of registry files.
public enum RegistryFormat: String, Sendable, CaseIterable {
    case rpsl, iptoasn, pfx2as, as2org
    case torExits = "tor-exits"

    /// Read from the first data lines: RPSL when an attribute line names an object class;
    /// iptoasn when a line is two addresses and a number separated by tabs; pfx2as when it is an
    /// address, a prefix length and an AS; as2org on a `# format:` line, pipe-separated fields or
    /// JSON with `organizationId`; a Tor exit list on `ExitNode` or `@type tordnsel`.
    public static func detect(head: [UInt8]) -> RegistryFormat? {
        let text = String(decoding: head, as: UTF8.self)
        for line in text.split(separator: "\n").prefix(200) {
            let trimmed = line.trimming(" \t\r")
            if trimmed.hasPrefix("@type tordnsel") || trimmed.hasPrefix("ExitNode ") || trimmed.hasPrefix("Downloaded ") {
                return .torExits
            }
            if trimmed.lowercased().hasPrefix("# format:") || trimmed.lowercased().hasPrefix("# format :") { return .as2org }
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("%") { continue }
            if trimmed.hasPrefix("{") { return trimmed.contains("\"organizationId\"") ? .as2org : nil }
            let tabs = trimmed.split(separator: "\t", omittingEmptySubsequences: false)
            if tabs.count >= 3, IPAddress(String(tabs[0])) != nil, IPAddress(String(tabs[1])) != nil { return .iptoasn }
            if tabs.count == 3, IPAddress(String(tabs[0])) != nil, Int(tabs[1]) != nil { return .pfx2as }
            if trimmed.split(separator: "|", omittingEmptySubsequences: false).count >= 5 { return .as2org }
            if let colon = trimmed.firstIndex(of: ":"), !trimmed[..<colon].contains(" ") {
                let name = trimmed[..<colon].lowercased()
                if RegistryObject.Kind(rawValue: name) != nil || RPSLReader.personal.contains(name) { return .rpsl }
            }
            return nil
        }
        return nil
    }
}
