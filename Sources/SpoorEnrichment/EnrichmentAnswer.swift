import SpoorCore

/// Which reference database gave an answer: cited beside every answer in reports.
public struct DatabaseIdentity: Hashable, Sendable, Codable {
    public var fileName: String
    public var sha256: String
    public var databaseType: String
    public var buildDate: String
    public var buildEpoch: UInt64

    public init(fileName: String, sha256: String, metadata: DatabaseMetadata) {
        self.fileName = fileName
        self.sha256 = sha256
        self.databaseType = metadata.databaseType
        self.buildDate = metadata.buildDate
        self.buildEpoch = metadata.buildEpoch
    }
}

/// One database's answer for one address, read into the fields investigators use, whatever the
/// vendor's key names (GeoLite2/GeoIP2, DB-IP, IPinfo Lite).
public struct EnrichmentAnswer: Hashable, Sendable, Codable {
    public var source: DatabaseIdentity
    /// The database network that holds the address.
    public var network: IPNetwork
    public var asn: UInt32?
    public var asOrganization: String?
    public var countryCode: String?
    public var countryName: String?
    public var city: String?
    public var isp: String?
    public var organization: String?
    public var connectionType: String?
    /// Anonymity flags that are true (`is_anonymous_vpn`, `is_tor_exit_node`, `is_hosting_provider`, …).
    public var flags: [String]
    /// Where the database places the address (`location.latitude`/`longitude`, or IPinfo's
    /// top-level `latitude`/`longitude`), and how sure it is: the radius in kilometres within
    /// which it places the address (`location.accuracy_radius`), when it says.
    public var latitude: Double?
    public var longitude: Double?
    public var accuracyRadiusKm: Int?

    public init(source: DatabaseIdentity, network: IPNetwork, record: MMDBValue) {
        self.source = source
        self.network = network
        asn = EnrichmentAnswer.readASN(record["autonomous_system_number"] ?? record["asn"])
        asOrganization = record["autonomous_system_organization"]?.string ?? record["as_name"]?.string
        countryCode = record["country", "iso_code"]?.string ?? record["country_code"]?.string
        countryName = record["country", "names", "en"]?.string ?? record["country"]?.string
        city = record["city", "names", "en"]?.string
        isp = record["isp"]?.string
        organization = record["organization"]?.string
        connectionType = record["connection_type"]?.string
        var flags: [String] = []
        if case .map(let pairs)? = Optional(record) {
            for (key, value) in pairs where key.hasPrefix("is_") && value.bool == true { flags.append(key) }
        }
        if case .map(let traits)? = record["traits"] {
            for (key, value) in traits where key.hasPrefix("is_") && value.bool == true { flags.append(key) }
        }
        self.flags = flags.sorted()
        latitude = Self.degrees(record["location", "latitude"] ?? record["latitude"] ?? record["lat"], limit: 90)
        longitude = Self.degrees(record["location", "longitude"] ?? record["longitude"] ?? record["lng"], limit: 180)
        if latitude == nil || longitude == nil { (latitude, longitude) = (nil, nil) }
        accuracyRadiusKm = record["location", "accuracy_radius"]?.unsigned.flatMap { Int(exactly: $0) }
    }

    /// A coordinate written as a double, a float or decimal text, within ±limit.
    static func degrees(_ value: MMDBValue?, limit: Double) -> Double? {
        let number: Double?
        switch value {
        case .double(let d)?: number = d
        case .float(let f)?: number = Double(f)
        case .string(let s)?: number = Double(s)
        default: number = nil
        }
        guard let number, number.isFinite, abs(number) <= limit else { return nil }
        return number
    }

    /// AS numbers come as unsigned integers of any width, or as `AS13335` strings (IPinfo).
    static func readASN(_ value: MMDBValue?) -> UInt32? {
        guard let value else { return nil }
        if let n = value.unsigned { return UInt32(exactly: n) }
        guard var text = value.string?.uppercased() else { return nil }
        if text.hasPrefix("AS") { text.removeFirst(2) }
        return UInt32(text)
    }

    /// A one-line summary: `AS64500 Example Net · NL · Amsterdam`.
    public var summary: String {
        var parts: [String] = []
        if let asn { parts.append("AS\(asn)" + (asOrganization.map { " \($0)" } ?? "")) }
        if let isp, isp != asOrganization { parts.append(isp) }
        if let countryCode { parts.append(countryCode) }
        if let city { parts.append(city) }
        if let connectionType { parts.append(connectionType) }
        parts.append(contentsOf: flags)
        return parts.joined(separator: " · ")
    }
}

/// Several databases at once; each distinct address is looked up once in each.
public final class Enricher {
    public private(set) var databases: [(identity: DatabaseIdentity, database: MaxMindDatabase)] = []
    /// Answers already built, per database and record offset (the network is set per lookup).
    private var built: [[UInt32: EnrichmentAnswer]] = []

    public init() {}

    /// Opens a database and adds it. `sha256` is the file's hash, computed by the caller.
    public func add(path: String, sha256: String) throws(EnrichmentError) {
        let database = try MaxMindDatabase(path: path)
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        databases.append((DatabaseIdentity(fileName: fileName, sha256: sha256, metadata: database.metadata), database))
        built.append([:])
    }

    /// Every database's answer for the address; databases with no record are left out.
    public func answers(for address: IPAddress) throws(EnrichmentError) -> [EnrichmentAnswer] {
        var answers: [EnrichmentAnswer] = []
        for index in databases.indices {
            guard let found = try databases[index].database.lookupRecord(address) else { continue }
            if var answer = built[index][found.offset] {
                answer.network = found.network
                answers.append(answer)
            } else {
                let answer = EnrichmentAnswer(source: databases[index].identity, network: found.network, record: found.value)
                if built[index].count < 200_000 { built[index][found.offset] = answer }
                answers.append(answer)
            }
        }
        return answers
    }

    public func close() {
        for entry in databases { entry.database.close() }
    }
}
