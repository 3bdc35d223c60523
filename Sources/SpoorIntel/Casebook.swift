import Foundation
import SpoorCore

/// A case the casebook remembers: named by its reference and a stable pseudonym, never by the
/// victim's account names.
public struct CasebookCase: Hashable, Sendable, Codable {
    /// `C-3F9A61D2`: made from the case's own secret, so the same case always has the same one
    /// and nobody without the case can tell which case it stands for.
    public var pseudonym: String
    /// The case's reference as the investigator gave it (`SAMPLE-0001`), if any.
    public var reference: String?
    public var examiner: String?
    public var organisation: String?
    /// When the case was recorded (RFC 3339 UTC) and when its analysis ran.
    public var recordedAt: String
    public var analysedAt: String?
    /// Who saw it: `local` for this helpline's own cases, else the source a sightings file named.
    public var source: String

    public init(
        pseudonym: String, reference: String?, examiner: String?, organisation: String?, recordedAt: String,
        analysedAt: String?, source: String = CasebookCase.localSource
    ) {
        self.pseudonym = pseudonym
        self.reference = reference
        self.examiner = examiner
        self.organisation = organisation
        self.recordedAt = recordedAt
        self.analysedAt = analysedAt
        self.source = source
    }

    public static let localSource = "local"

    /// `SAMPLE-0001 (C-3F9A61D2)`, or the pseudonym alone.
    public var name: String { reference.map { "\($0) (\(pseudonym))" } ?? pseudonym }
}

/// One piece of attacker-side infrastructure a case saw: an address with what was attributed to
/// it at the time and how it was seen. No account names.
public struct CasebookSighting: Hashable, Sendable, Codable {
    public var address: String
    /// The /24 (IPv4) or /48 (IPv6) around it.
    public var network: String
    /// The AS the databases or registry named, and the registry holder, at the time of the case.
    public var asn: UInt32?
    public var holder: String?
    /// First and last seen in the case (RFC 3339 UTC, or the zone-less reading).
    public var firstSeen: String?
    public var lastSeen: String?
    public var records: Int
    /// How it was seen: `login source`, `failed login`, `session`, `web request`, `flow peer`, …
    public var roles: [String]
    /// User agents (as summarised) and device names seen with it.
    public var userAgents: [String]
    public var devices: [String]
    /// The case's findings that named it.
    public var findings: [String]

    public init(
        address: String, network: String, asn: UInt32?, holder: String?, firstSeen: String?, lastSeen: String?, records: Int,
        roles: [String], userAgents: [String], devices: [String], findings: [String]
    ) {
        self.address = address
        self.network = network
        self.asn = asn
        self.holder = holder
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.records = records
        self.roles = roles
        self.userAgents = userAgents
        self.devices = devices
        self.findings = findings
    }

    /// The roles an address played, from its occurrences by action: what a reader of the casebook
    /// needs to weigh a later match (a login source is not a flow peer).
    public static func roles(byAction: [String: Int]) -> [String] {
        var roles: Set<String> = []
        for action in byAction.keys {
            switch ObservedAction(rawValue: action) {
            case .access(.login): roles.insert("login source")
            case .access(.loginFailed): roles.insert("failed login")
            case .access(.sessionStart), .access(.sessionActive), .access(.sessionEnd), .access(.logout):
                roles.insert("session")
            case .access(.request): roles.insert("web request")
            case .access(.connect), .access(.disconnect): roles.insert("connection")
            case .access(let other): roles.insert("account activity (\(other.rawValue.replacingOccurrences(of: "_", with: " ")))")
            case .flowOriginator, .flowResponder: roles.insert("flow peer")
            case .name: roles.insert("name in traffic")
            case .unrecognised(let text): roles.insert(text)
            }
        }
        return roles.sorted()
    }

    /// The /24 or /48 around an address, as the casebook keys networks.
    public static func network(of address: IPAddress) -> String {
        IPNetwork(containing: address, prefixLength: address.family == .v4 ? 24 : 48)?.description ?? address.description
    }
}

/// How an address of the case being analysed meets the casebook.
public struct CasebookHit: Hashable, Sendable, Codable {
    public enum Overlap: String, Hashable, Sendable, Codable {
        /// The same address.
        case address
        /// The same /24 or /48.
        case network
        /// The same AS and the same registry holder.
        case asAndHolder = "as_and_holder"
        /// The same unusual user agent or device name, on the same AS.
        case clientAndAS = "client_and_as"
    }

    public var overlap: Overlap
    public var caseName: String
    public var pseudonym: String
    public var source: String
    /// What matched: the earlier address, network, or `AS64500 Example Hosting`.
    public var value: String
    public var earlierAddress: String
    public var firstSeen: String?
    public var lastSeen: String?
    public var roles: [String]
    public var findings: [String]
    /// On the last hit of its kind: how many further cases saw the same (not named, to keep a
    /// finding readable; `spoor casebook search` lists them).
    public var moreCases: Int?
    /// For a client overlap: the user agent or device name both cases saw on the AS, and in how
    /// many cases of the casebook (other than this one) it was seen at all, on any AS.
    public var client: CasebookClient?
    public var clientCases: Int?

    public init(
        overlap: Overlap, caseName: String, pseudonym: String, source: String, value: String, earlierAddress: String,
        firstSeen: String?, lastSeen: String?, roles: [String], findings: [String]
    ) {
        self.overlap = overlap
        self.caseName = caseName
        self.pseudonym = pseudonym
        self.source = source
        self.value = value
        self.earlierAddress = earlierAddress
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.roles = roles
        self.findings = findings
    }
}

/// A user agent or a device name an address was seen with.
public struct CasebookClient: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case userAgent = "user_agent"
        case device
    }

    public var kind: Kind
    public var value: String

    public init(_ kind: Kind, _ value: String) {
        self.kind = kind
        self.value = value
    }

    /// What an address of a case was seen with: its user agents and device names as the
    /// casebook records them (at most `limit` of each, the text cut to 512 characters).
    public static func seen(userAgents: some Sequence<String>, devices: some Sequence<String>, limit: Int = 20)
        -> (userAgents: [String], devices: [String])
    {
        func kept(_ values: some Sequence<String>) -> [String] {
            let clean = Set(
                values.map { String($0.trimmingCharacters(in: .whitespaces).prefix(512)) }.filter { !$0.isEmpty })
            return Array(clean.sorted().prefix(limit))
        }
        return (kept(userAgents), kept(devices))
    }
}

/// Infrastructure two or more cases of the casebook saw: an address, a network, or an AS with
/// its holder, with each case's sighting.
public struct CasebookOverlap: Hashable, Sendable, Codable {
    public struct Seen: Hashable, Sendable, Codable {
        public var caseName: String
        public var address: String
        public var firstSeen: String?
        public var lastSeen: String?
        public var roles: [String]

        public init(caseName: String, address: String, firstSeen: String?, lastSeen: String?, roles: [String]) {
            self.caseName = caseName
            self.address = address
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.roles = roles
        }
    }

    public var overlap: CasebookHit.Overlap
    public var value: String
    public var seen: [Seen]

    public init(overlap: CasebookHit.Overlap, value: String, seen: [Seen]) {
        self.overlap = overlap
        self.value = value
        self.seen = seen
    }
}

extension CasebookSighting {
    /// The sighting as an indicator of the intel store, its source the helpline that saw it: the
    /// address, with when and how it was seen and the case by reference and pseudonym — never the
    /// victim. Zone-less times are kept by their day.
    public func indicator(of entry: CasebookCase, source: String, tlp: String?) -> (Indicator, Provenance)? {
        guard case .success(let (indicator, _)) = Indicator.parse(address, type: nil) else { return nil }
        func day(_ text: String?) -> String? {
            guard let text else { return nil }
            if text.hasSuffix(" (no zone)") { return String(text.prefix(10)) }
            return IndicatorDate.normalise(text)
        }
        let how = roles.isEmpty ? "" : " as " + roles.joined(separator: ", ")
        let findingText = findings.isEmpty ? "" : "; findings " + findings.joined(separator: ", ")
        let provenance = Provenance(
            source: source, title: "Case \(entry.name)", reference: "casebook \(entry.pseudonym)",
            firstSeen: day(firstSeen), lastSeen: day(lastSeen), tlp: tlp, tags: ["casebook"],
            description: "Seen in case \(entry.name)\(how), \(records) record(s)\(findingText).",
            origin: "promoted from the casebook")
        return (indicator, provenance)
    }
}
