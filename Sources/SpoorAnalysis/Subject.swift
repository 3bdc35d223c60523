import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntel
import SpoorStore

/// The unit of attribution: one distinct address, everything the case says about it, and
/// everything reference data says about it, each answer with its source.
public struct SubjectIP: Hashable, Sendable, Codable {
    public var ip: String
    public var addressClass: AddressClass
    /// The special-purpose registry block, e.g. `Documentation (TEST-NET-3), RFC 5737`.
    public var specialPurpose: String?
    /// First and last time seen, RFC 3339 UTC, over records with a stated zone.
    public var firstSeen: String?
    public var lastSeen: String?
    /// Records whose source gave no zone: their wall-clock range, marked as such.
    public var zonelessFirst: String?
    public var zonelessLast: String?
    /// Stored records naming the address.
    public var records: Int
    /// Occurrences, counting `message repeated N times` as N.
    public var occurrences: Int
    /// Occurrences per source format and per action.
    public var bySource: [String: Int]
    public var byAction: [String: Int]
    /// Account or user names seen with the address.
    public var accounts: [String]
    /// Names the address was reached as in packet captures (DNS answers, TLS server names, HTTP
    /// hosts), at most 50; nil when no capture named it.
    public var reachedAs: [String]?
    public var enrichment: [EnrichmentAnswer]
    /// What registry data (RPSL, iptoasn) says of the address, one answer per import and its date.
    public var registry: [RegistryAnswer]?
    /// Warninglists holding the address: context (cloud, VPN, a platform's own ranges), never a
    /// reason to drop it. Nil when none does.
    public var warninglists: [WarninglistHit]?
    public var indicatorHits: [IndicatorHit]
    /// Where this helpline's casebook saw the same address, network, or AS and holder in another
    /// case; nil when it did not (or no casebook was consulted).
    public var casebookHits: [CasebookHit]?
    /// Who the registry snapshots say held the address on the day of its first record here, and
    /// whether the latest snapshot says otherwise; nil when no snapshot answers for it.
    public var heldAt: HeldAt?
    /// Whether the Tor exit lists imported say the address was a Tor exit on the day of its
    /// first record here; nil when no list holds it at any date.
    public var torExit: TorExitAt?
    /// Names passive DNS ties to the address within ``SubjectIP/passiveDNSMargin`` of its
    /// records (A/AAAA answers naming it, PTR names), each with its file; nil when none.
    public var passiveDNS: [PassiveDNSName]?
    /// For each database type given in several builds: which build answered for the day of the
    /// first record, and what the latest says; nil when every type was given once.
    public var databasesAt: [DatabaseAt]?

    /// How far (seconds) a passive DNS window may lie from the address's records and still be
    /// shown: 30 days. The annex and `spoor pdns --help` state it from here.
    public static let passiveDNSMargin: Int64 = 30 * 86_400

    /// An address nothing has been said about yet: its class and special-purpose block only.
    public init(address: IPAddress) {
        ip = address.description
        addressClass = address.addressClass
        specialPurpose = address.specialPurposeBlock.map { "\($0.name), \($0.reference)" }
        records = 0
        occurrences = 0
        bySource = [:]
        byAction = [:]
        accounts = []
        enrichment = []
        indicatorHits = []
    }
}

/// An indicator that covers a subject IP, with who published it.
public struct IndicatorHit: Hashable, Sendable, Codable {
    public var type: String
    public var value: String
    /// `address` (IP/CIDR contains it) or `asn` (the AS an enrichment database names).
    public var matchedBy: String
    public var provenance: [Provenance]
    /// When every provenance record limits the indicator to a validity window: how the
    /// address's observations fall against those windows. Nil when a source states no window
    /// (the indicator holds at any time).
    public var validity: ValidityCheck?

    public init(type: String, value: String, matchedBy: String, provenance: [Provenance], validity: ValidityCheck? = nil) {
        self.type = type
        self.value = value
        self.matchedBy = matchedBy
        self.provenance = provenance
        self.validity = validity
    }
}

/// Observations of an address set against an indicator's validity windows.
public struct ValidityCheck: Hashable, Sendable, Codable {
    /// The windows, `from … until` as the sources state them.
    public var windows: [String]
    /// Observations with a known instant inside any window, and outside all of them.
    public var inside: Int
    public var outside: Int
    /// Observations whose time has no zone (or none at all): they cannot be placed exactly.
    public var undetermined: Int

    public init(windows: [String], inside: Int, outside: Int, undetermined: Int) {
        self.windows = windows
        self.inside = inside
        self.outside = outside
        self.undetermined = undetermined
    }

    /// True when no observation could fall in a window and some fall outside.
    public var onlyOutside: Bool { inside == 0 && undetermined == 0 && outside > 0 }
}

/// What `analyze` used and found; stored in the case and cited by reports.
public struct AnalysisSummary: Hashable, Sendable, Codable {
    public struct IntelReference: Hashable, Sendable, Codable {
        public var path: String
        public var contentHash: String
        public var indicators: Int
        public var provenanceRecords: Int
        public var sources: [String]

        public init(path: String, contentHash: String, indicators: Int, provenanceRecords: Int, sources: [String]) {
            self.path = path
            self.contentHash = contentHash
            self.indicators = indicators
            self.provenanceRecords = provenanceRecords
            self.sources = sources
        }
    }

    public var databases: [DatabaseIdentity]
    public var intel: IntelReference?
    /// The casebook the analysis consulted, and the case's own pseudonym there (nil without a
    /// reference store, or in an older analysis).
    public var casebook: CasebookReference?

    /// The casebook as the analysis found it: its size and a hash of its content, and the case's
    /// own pseudonym (its sightings never match it).
    public struct CasebookReference: Hashable, Sendable, Codable {
        public var cases: Int
        public var sightings: Int
        public var contentHash: String
        public var ownPseudonym: String?

        public init(cases: Int, sightings: Int, contentHash: String, ownPseudonym: String?) {
            self.cases = cases
            self.sightings = sightings
            self.contentHash = contentHash
            self.ownPseudonym = ownPseudonym
        }
    }
    public var subjects: Int
    public var findings: [Finding]
    /// The rules that ran, in order, with the settings they ran with. Nil in an analysis made
    /// before rules stated their settings (they ran with the defaults that are still the defaults).
    public var rules: [RuleDescription]?
    /// The settings sessions were grouped by (``Sessioning``); nil in an older analysis, as above.
    public var sessions: [Tunable]?
    /// The registry neighbourhood of each address a high-severity finding names (the other
    /// netblocks and ASes of its organisation); nil when none has one.
    public var neighbourhoods: [RegistryNeighbourhood]?
    /// The dated reference files read from the reference store (registry snapshots, Tor exit
    /// lists, passive DNS), by name, hash and date; nil in an older analysis.
    public var referenceSnapshots: [ReferenceSnapshot]?
    /// The Sigma rules applied (`analyze --sigma`): their folder, how many were evaluated, and
    /// each refused with its reason; nil when none were given.
    public var sigma: SigmaReference?

    public init(
        databases: [DatabaseIdentity], intel: IntelReference?, subjects: Int, findings: [Finding], rules: [RuleDescription]?,
        sessions: [Tunable]?
    ) {
        self.databases = databases
        self.intel = intel
        self.subjects = subjects
        self.findings = findings
        self.rules = rules
        self.sessions = sessions
    }
}

/// The Sigma rules an analysis applied, as the annex's methods state them.
public struct SigmaReference: Hashable, Sendable, Codable {
    public var folder: String
    /// The set's SHA-256 (``SpoorSigma``'s listing of each file's path and hash); nil in an
    /// analysis written before it was recorded.
    public var sha256: String?
    /// The rules evaluated: file, title, id and level.
    public var evaluated: [Evaluated]
    /// The rules read but not evaluated, each with why.
    public var refused: [Refused]

    public struct Evaluated: Hashable, Sendable, Codable {
        public var file: String
        public var title: String
        public var id: String?
        public var level: String?
        /// The rule file's SHA-256.
        public var sha256: String?
        public init(file: String, title: String, id: String?, level: String?, sha256: String? = nil) {
            self.sha256 = sha256
            self.file = file
            self.title = title
            self.id = id
            self.level = level
        }
    }

    public struct Refused: Hashable, Sendable, Codable {
        public var file: String
        public var title: String?
        public var reason: String
        public init(file: String, title: String?, reason: String) {
            self.file = file
            self.title = title
            self.reason = reason
        }
    }

    public init(folder: String, sha256: String? = nil, evaluated: [Evaluated], refused: [Refused]) {
        self.sha256 = sha256
        self.folder = folder
        self.evaluated = evaluated
        self.refused = refused
    }
}
