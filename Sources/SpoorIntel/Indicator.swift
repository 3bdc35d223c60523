import SpoorCore

/// The kinds of infrastructure an indicator can name.
public enum IndicatorType: String, Sendable, Codable, CaseIterable, Hashable {
    case ipv4
    case ipv6
    case cidr
    case asn
    /// A domain name; it also matches its subdomains.
    case domain
    case url
}

/// A piece of infrastructure, in canonical form. Who said so lives in ``Provenance``.
public struct Indicator: Hashable, Sendable, Codable {
    public let type: IndicatorType
    /// Canonical text: RFC 5952 addresses, `a.b.c.d/n` networks with host bits cleared,
    /// `AS64500`, lower-case domains without a trailing dot.
    public let value: String

    /// The addresses an IP or CIDR indicator covers.
    public var network: IPNetwork? {
        switch type {
        case .ipv4, .ipv6, .cidr: return IPNetwork(value)
        default: return nil
        }
    }

    /// The AS number of an ASN indicator.
    public var asn: UInt32? {
        type == .asn ? UInt32(value.dropFirst(2)) : nil
    }

    package init(type: IndicatorType, canonicalValue: String) {
        self.type = type
        self.value = canonicalValue
    }

    /// What reading a value did beyond checking it, for the import report.
    public enum Note: String, Sendable, Hashable, Codable {
        case refanged = "defanged notation undone"
        case hostBitsCleared = "host bits cleared"
        case retyped = "type taken from the value"
    }

    /// Reads a value as written in a published list: defanged notation (`198.51.100[.]7`,
    /// `hxxp://`) is undone, addresses and networks are canonicalised, AS numbers take the
    /// `AS` form, domains are lower-cased. When `type` is nil it is taken from the value's shape;
    /// an IP literal labelled as a domain becomes an IP indicator.
    /// - Returns: the indicator and what was done to read it, or an explanation of why not.
    public static func parse(_ raw: String, type declared: IndicatorType?) -> Result<(Indicator, [Note]), IndicatorError> {
        var notes: [Note] = []
        var text = raw.trimming(" \t\r\n\"'")
        let refanged = refang(text)
        if refanged != text {
            notes.append(.refanged)
            text = refanged
        }
        guard !text.isEmpty else { return .failure(.empty) }

        let inferred = inferType(text)
        var type = declared ?? inferred
        if let declared, let inferred, declared != inferred {
            switch (declared, inferred) {
            case (.domain, .ipv4), (.domain, .ipv6):
                // An IP literal published as a domain name: it can only match as an address.
                type = inferred
                notes.append(.retyped)
            case (.ipv4, .ipv6), (.ipv6, .ipv4), (.ipv4, .cidr), (.ipv6, .cidr):
                type = inferred
                notes.append(.retyped)
            default:
                break
            }
        }
        guard let type else { return .failure(.unrecognised(raw)) }

        switch type {
        case .ipv4, .ipv6:
            guard let endpoint = IPAddress(text) ?? IPAddress.parseEndpoint(text)?.address else {
                return .failure(.invalid(type, raw))
            }
            let address = endpoint.normalized
            return .success((Indicator(type: address.family == .v4 ? .ipv4 : .ipv6, canonicalValue: address.description), notes))
        case .cidr:
            guard let parsed = IPNetwork.parse(text) else { return .failure(.invalid(type, raw)) }
            if parsed.clearedHostBits { notes.append(.hostBitsCleared) }
            return .success((Indicator(type: .cidr, canonicalValue: parsed.network.description), notes))
        case .asn:
            var digits = Substring(text.uppercased())
            if digits.hasPrefix("ASN") {
                digits = digits.dropFirst(3)
            } else if digits.hasPrefix("AS") {
                digits = digits.dropFirst(2)
            }
            digits = digits.drop { $0 == " " || $0 == ":" }
            guard let n = UInt32(digits) else { return .failure(.invalid(type, raw)) }
            return .success((Indicator(type: .asn, canonicalValue: "AS\(n)"), notes))
        case .domain:
            var name = text.lowercased()
            if name.hasSuffix(".") { name.removeLast() }
            if name.hasPrefix("*.") { name.removeFirst(2) }
            let labels = name.split(separator: ".", omittingEmptySubsequences: false)
            guard labels.count >= 1, name.count <= 253,
                labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 && $0.allSatisfy(isDomainCharacter) })
            else { return .failure(.invalid(type, raw)) }
            return .success((Indicator(type: .domain, canonicalValue: name), notes))
        case .url:
            guard let scheme = text.range(of: "://"), !text[..<scheme.lowerBound].isEmpty,
                !text.contains(where: { $0.isWhitespace })
            else { return .failure(.invalid(type, raw)) }
            return .success((Indicator(type: .url, canonicalValue: text), notes))
        }
    }

    static func isDomainCharacter(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "-" || c == "_" || !c.isASCII
    }

    /// The type a value's shape suggests, or nil.
    static func inferType(_ text: String) -> IndicatorType? {
        if let address = IPAddress(text) { return address.normalized.family == .v4 ? .ipv4 : .ipv6 }
        if text.contains("/"), !text.contains("://"), IPNetwork(text) != nil { return .cidr }
        if text.contains("://") { return .url }
        let upper = text.uppercased()
        if upper.hasPrefix("AS"), UInt32(upper.drop { !$0.isNumber }) != nil,
            upper.dropFirst(2).drop(while: { $0 == "N" || $0 == " " || $0 == ":" }).allSatisfy(\.isNumber)
        {
            return .asn
        }
        if text.contains("."), !text.contains(" ") { return .domain }
        return nil
    }

    /// Undoes the usual defanging: `[.]`, `(.)`, `{.}`, `[dot]`, `[:]`, `hxxp`, `fxp`.
    static func refang(_ text: String) -> String {
        var s = text
        for (from, to) in [("[.]", "."), ("(.)", "."), ("{.}", "."), ("[dot]", "."), ("[:]", ":"), ("[://]", "://")] {
            s = s.replacingAll(from, with: to)
        }
        let lower = s.lowercased()
        if lower.hasPrefix("hxxp") { s = "http" + s.dropFirst(4) }
        if lower.hasPrefix("fxp") { s = "ftp" + s.dropFirst(3) }
        return s
    }
}

/// Who said an indicator belongs to attack infrastructure, where, and when.
/// The same indicator from two sources has two provenance records; none overwrites another.
public struct Provenance: Hashable, Sendable, Codable {
    /// The source of records whose file did not name a publisher and whose import was given no
    /// `--source`: the file's name is not a publisher, and a report must not cite it as one.
    public static let unstatedSource = "publisher not stated"

    /// The organisation or list that published it (`Amnesty Tech`, `Helpline case 2024-17`).
    public var source: String

    /// True when the import did not say who published it (``unstatedSource``).
    public var sourceIsUnstated: Bool { source == Self.unstatedSource }
    public var title: String?
    /// A URL or citation of the publication.
    public var reference: String?
    public var published: String?
    public var firstSeen: String?
    public var lastSeen: String?
    /// 0–100.
    public var confidence: Int?
    public var tlp: String?
    public var tags: [String]
    public var campaign: String?
    public var description: String?
    public var validFrom: String?
    public var validUntil: String?
    /// Where in the imported file the indicator was read (`list.csv row 4`).
    public var origin: String?

    public init(
        source: String, title: String? = nil, reference: String? = nil, published: String? = nil,
        firstSeen: String? = nil, lastSeen: String? = nil, confidence: Int? = nil, tlp: String? = nil,
        tags: [String] = [], campaign: String? = nil, description: String? = nil, validFrom: String? = nil,
        validUntil: String? = nil, origin: String? = nil
    ) {
        self.source = source
        self.title = title
        self.reference = reference
        self.published = published
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.confidence = confidence
        self.tlp = tlp
        self.tags = tags
        self.campaign = campaign
        self.description = description
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.origin = origin
    }
}

/// An indicator with every provenance record the store holds for it.
public struct IndicatorRecord: Hashable, Sendable, Codable {
    public var id: Int64
    public var indicator: Indicator
    public var provenance: [Provenance]

    public init(id: Int64, indicator: Indicator, provenance: [Provenance]) {
        self.id = id
        self.indicator = indicator
        self.provenance = provenance
    }
}

/// Why a value is not an indicator.
public enum IndicatorError: Error, Hashable, CustomStringConvertible {
    case empty
    case unrecognised(String)
    case invalid(IndicatorType, String)

    public var description: String {
        switch self {
        case .empty: return "empty value"
        case .unrecognised(let raw): return "cannot tell what kind of indicator \(SafeText.excerpt(raw, limit: 80)) is"
        case .invalid(let type, let raw): return "not a valid \(type.rawValue): \(SafeText.excerpt(raw, limit: 80))"
        }
    }
}
