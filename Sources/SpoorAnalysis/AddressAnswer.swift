import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntel
import SpoorStore

/// What `spoor lookup` says of one input: the address's class and what the attribution engine
/// (the same as `analyze`'s) knows of it, without any records.
public struct AddressAnswer: Encodable, Sendable {
    public var input: String
    public var ip: String?
    public var error: String?
    public var addressClass: String?
    public var specialPurpose: String?
    public var enrichment: [EnrichmentAnswer] = []
    public var registry: [RegistryAnswer] = []
    public var warninglists: [WarninglistHit] = []
    /// The indicators covering it, each with how it matched (`address`, `asn`, `name`) and its sources.
    public var indicators: [IndicatorHit] = []
    /// With a day asked (`--at`): who the registry snapshots say held the address then and now.
    public var heldAt: HeldAt?
    /// With a day asked: whether the Tor exit lists say it was a Tor exit then.
    public var torExit: TorExitAt?
    /// With a day asked and several builds of a database type: which build answered for it.
    public var databasesAt: [DatabaseAt]?
    /// With a day asked: the names passive DNS gives the address within ``SubjectIP/passiveDNSMargin`` of it.
    public var passiveDNS: [PassiveDNSName] = []

    /// Whether the input was read as an address.
    public var isAddress: Bool { ip != nil }

    /// Reads `input` (an address, or an address with a port) and attributes it; an input that
    /// is not an address, or an attribution that fails, is answered with `error`.
    /// `day` (YYYY-MM-DD) asks who held the address that day, as the annex says it of a record
    /// of that day.
    public init(input: String, attributor: Attributor, at day: String? = nil) {
        self.input = input
        guard let endpoint = IPAddress.parseEndpoint(input) else {
            error = "not an IP address"
            return
        }
        let address = endpoint.address
        ip = address.description
        let block = address.specialPurposeBlock
        addressClass = (block?.addressClass ?? .global).rawValue
        specialPurpose = block.map { "\($0.name), \($0.reference)" }
        do {
            var subject = SubjectIP(address: address)
            subject.firstSeen = day
            try attributor.attribute(&subject)
            heldAt = subject.heldAt
            torExit = subject.torExit
            databasesAt = subject.databasesAt
            passiveDNS = subject.passiveDNS ?? []
            enrichment = subject.enrichment
            registry = subject.registry ?? []
            warninglists = subject.warninglists ?? []
            indicators = subject.indicatorHits
        } catch {
            self.error = String(describing: error)
        }
    }
}

/// Writes answers as JSON lines, byte for byte what `encoder` (sorted keys, snake case) writes
/// for each whole answer, but encoding each distinct part once: the addresses of one network
/// share their database and registry answers, so a long list costs little more than its lines.
public final class AddressAnswerJSON {
    private let encoder: JSONEncoder
    /// Each database answer's text before and after its network, for the answer with the
    /// network left out: the addresses of a database's record share it whatever their network.
    private var enrichment: [EnrichmentAnswer: (before: String, after: String)] = [:]
    /// Registry answers by import and the lines their netblock and route start at: within one
    /// import those decide the rest of the answer, and cost far less to hash than the answer.
    private var registry: [[RegistryKey]: String] = [:]

    private struct RegistryKey: Hashable {
        var source: Int64
        var netblock: Int?
        var route: Int?
    }
    /// Parts kept at most per kind; past it, parts are encoded each time.
    private static let limit = 100_000

    /// - Parameter encoder: with `.sortedKeys` and `.convertToSnakeCase`, as the CLI's.
    public init(encoder: JSONEncoder) {
        self.encoder = encoder
    }

    public func line(_ answer: AddressAnswer) throws -> String {
        var out = "{"
        if let value = answer.addressClass { out += "\"address_class\":" + (try string(value)) + "," }
        if let value = answer.databasesAt { out += "\"databases_at\":" + (try encoded(value)) + "," }
        out += "\"enrichment\":["
        for (n, item) in answer.enrichment.enumerated() {
            if n > 0 { out += "," }
            out += try databaseAnswer(item)
        }
        out += "]"
        if let value = answer.error { out += ",\"error\":" + (try string(value)) }
        if let value = answer.heldAt { out += ",\"held_at\":" + (try encoded(value)) }
        out += ",\"indicators\":" + (answer.indicators.isEmpty ? "[]" : try encoded(answer.indicators))
        out += ",\"input\":" + (try string(answer.input))
        if let value = answer.ip { out += ",\"ip\":" + (try string(value)) }
        out += ",\"passive_dns\":" + (answer.passiveDNS.isEmpty ? "[]" : try encoded(answer.passiveDNS))
        out += ",\"registry\":" + (try registryPart(answer.registry))
        if let value = answer.specialPurpose { out += ",\"special_purpose\":" + (try string(value)) }
        if let value = answer.torExit { out += ",\"tor_exit\":" + (try encoded(value)) }
        out += ",\"warninglists\":" + (answer.warninglists.isEmpty ? "[]" : try encoded(answer.warninglists))
        return out + "}"
    }

    /// A placeholder network: encoded once per distinct answer, then replaced by the real one.
    private static let placeholder = IPNetwork(containing: IPAddress(v6: 0), prefixLength: 0)

    private func databaseAnswer(_ answer: EnrichmentAnswer) throws -> String {
        guard let placeholder = Self.placeholder else { return try encoded(answer) }
        var key = answer
        key.network = placeholder
        let network = try string(answer.network.description)
        if let known = enrichment[key] { return known.before + network + known.after }
        let text = try encoded(key)
        let marker = "\"network\":" + (try string(placeholder.description))
        let pieces = text.components(separatedBy: marker)
        // The key appears once in the encoder's text; anything else is not cut up.
        guard pieces.count == 2 else { return try encoded(answer) }
        let parts = (before: pieces[0] + "\"network\":", after: pieces[1])
        if enrichment.count < Self.limit { enrichment[key] = parts }
        return parts.before + network + parts.after
    }

    private func registryPart(_ value: [RegistryAnswer]) throws -> String {
        if value.isEmpty { return "[]" }
        let key = value.map { RegistryKey(source: $0.source.id, netblock: $0.netblock?.line, route: $0.route?.line) }
        if let known = registry[key] { return known }
        let text = try encoded(value)
        if registry.count < Self.limit { registry[key] = text }
        return text
    }

    /// Plain text needs no escaping; anything else is left to the encoder, so the escapes are its own.
    private func string(_ value: String) throws -> String {
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) { return "\"" + value + "\"" }
        return try encoded(value)
    }

    private func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
