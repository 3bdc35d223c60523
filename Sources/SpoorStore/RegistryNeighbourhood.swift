import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// The neighbourhood of an address, a netblock or an AS: the other netblocks and ASes held by
/// the same organisation (RPSL `org:`, a CAIDA as2org organisation) or, for a netblock with no
/// organisation, kept by the same maintainers (`mnt-by:`), with the registry text that says what
/// they host and which of them hold indicators or casebook sightings. This is the step from
/// "AS X" to "the same organisation as the blocks that host …", made from the imports, each
/// member naming the snapshot it comes from.
public struct RegistryNeighbourhood: Hashable, Sendable, Codable {
    /// What it was asked of: `198.51.100.7`, `198.51.100.0/24` or `AS64500`.
    public var target: String
    /// The organisations found for it (key, name, and the snapshot naming them).
    public var organisations: [Organisation]
    /// The maintainers used when the netblock names no organisation.
    public var maintainers: [String]
    /// The organisation's (or maintainers') netblocks and ASes, the target's own included.
    public var members: [Member]
    /// Members left out past ``RegistryReader/neighbourLimit``.
    public var omitted: Int

    public struct Organisation: Hashable, Sendable, Codable {
        public var key: String
        public var name: String?
        public var country: String?
        public var source: String
        public var asOf: String
        public var sha256: String
    }

    public struct Member: Hashable, Sendable, Codable {
        /// `inetnum`, `inet6num`, `route`, `route6` or `aut-num`.
        public var kind: String
        public var key: String
        public var name: String?
        public var descr: String?
        public var country: String?
        /// `organisation ORG-EX1-TEST` or `maintainers EXAMPLE-MNT`.
        public var relation: String
        public var source: String
        public var asOf: String
        public var sha256: String
        /// Whether the target itself is in it (or is it).
        public var holdsTarget: Bool
        /// Indicators inside it (an address or network in its range, or its AS), as `type value`.
        public var indicators: [String]
        /// Casebook cases that saw an address in it (or on its AS), by pseudonym.
        public var casebookCases: [String]

        var first: IPAddress?
        var last: IPAddress?
        var asn: UInt32?
    }

    /// The members holding indicators or casebook sightings, other than those holding the target.
    public var flagged: [Member] { members.filter { !$0.holdsTarget && (!$0.indicators.isEmpty || !$0.casebookCases.isEmpty) } }
}

/// What a neighbourhood is asked of.
public enum NeighbourhoodTarget: Hashable, Sendable {
    case address(IPAddress)
    case network(IPNetwork)
    case asn(UInt32)

    /// An address, a CIDR network, or `AS64500`.
    public init?(_ text: String) {
        let trimmed = text.trimming(" \t")
        if trimmed.uppercased().hasPrefix("AS"), let asn = RPSLReader.parseASN(trimmed) {
            self = .asn(asn)
        } else if !trimmed.contains("/"), let address = IPAddress(trimmed) {
            self = .address(address.normalized)
        } else if let network = IPNetwork(trimmed) {
            self = .network(network)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .address(let a): return a.description
        case .network(let n): return n.description
        case .asn(let n): return "AS\(n)"
        }
    }
}

extension RegistryReader {
    /// At most this many members per neighbourhood (a large organisation holds thousands).
    public static let neighbourLimit = 200
    /// Maintainers of the registries themselves: they keep every allocation, so sharing one says
    /// nothing about who holds a block.
    static let registryMaintainerPrefixes = ["RIPE-NCC-", "APNIC-", "AFRINIC-", "LACNIC-", "ARIN-"]

    /// The neighbourhood of each target, from the latest snapshot that answers for it; the
    /// indicators and casebook sightings are read once for all of them.
    public func neighbourhoods(of targets: [NeighbourhoodTarget]) throws(IntelError) -> [RegistryNeighbourhood] {
        guard !targets.isEmpty else { return [] }
        do {
            var result: [RegistryNeighbourhood] = []
            for target in targets { result.append(try members(of: target)) }
            guard result.contains(where: { !$0.members.isEmpty }) else { return result }
            try store.reader.read { db in
                try mark(&result, db)
            }
            return result
        } catch let error as IntelError {
            throw error
        } catch {
            throw IntelError.store(error, path: store.path)
        }
    }

    private func members(of target: NeighbourhoodTarget) throws -> RegistryNeighbourhood {
        var hood = RegistryNeighbourhood(target: target.description, organisations: [], maintainers: [], members: [], omitted: 0)
        var orgKeys: [String] = []
        var maintainers: [String] = []
        var asn: UInt32?
        // An address or network: what the latest snapshot answering for it (its first address) names.
        let probe: IPAddress?
        switch target {
        case .address(let address): probe = address
        case .network(let network): probe = network.address
        case .asn(let number):
            probe = nil
            asn = number
        }
        if let probe, let latest = try answers(for: probe).last {
            if let org = latest.netblock?.org {
                orgKeys.append(org)
            } else if let mnt = latest.netblock?.maintainedBy,
                !Self.registryMaintainerPrefixes.contains(where: { mnt.hasPrefix($0) })
            {
                maintainers.append(mnt)
            }
            asn = latest.originASN
        }
        let found = try store.reader.read {
            db -> (orgs: [RegistryNeighbourhood.Organisation], members: [RegistryNeighbourhood.Member], omitted: Int) in
            if let asn, let org = try latestAutNum(asn, db)?.org, !orgKeys.contains(org) { orgKeys.append(org) }
            var orgs: [RegistryNeighbourhood.Organisation] = []
            var members: [RegistryNeighbourhood.Member] = []
            var seen = Set<String>()
            var omitted = 0
            for (column, value, relation) in orgKeys.map({ ("org", $0, "organisation \($0)") })
                + maintainers.map({ ("maintainer", $0, "maintainers \($0)") })
            {
                if column == "org", let (object, source) = try latestOrganisation(value, db) {
                    orgs.append(
                        .init(
                            key: value, name: object.name, country: object.country, source: source.fileName, asOf: source.asOf,
                            sha256: source.sha256))
                }
                // The latest import of each format holding objects of the organisation.
                let imports = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT i.id, i.format, i.as_of FROM registry_import i
                        WHERE EXISTS (
                            SELECT 1 FROM registry_link l WHERE l.relation = ? AND l.import_id = i.id AND l.value = ?)
                        ORDER BY i.as_of DESC, i.id DESC
                        """, arguments: [column, value])
                var formats = Set<String>()
                for row in imports {
                    guard formats.insert(row["format"]).inserted else { continue }
                    let id: Int64 = row["id"]
                    guard let source = sourceRecord(id) else { continue }
                    let ids =
                        try Data.fetchOne(
                            db, sql: "SELECT object_ids FROM registry_link WHERE relation = ? AND import_id = ? AND value = ?",
                            arguments: [column, id, value]
                        ).map(RegistryLinks.ids) ?? []
                    var objects: [RegistryObject] = []
                    for chunk in stride(from: 0, to: ids.count, by: 500).map({ ids[$0..<min($0 + 500, ids.count)] }) {
                        objects += try Row.fetchAll(
                            db,
                            sql: "SELECT * FROM registry_object WHERE id IN (\(chunk.map(String.init).joined(separator: ", ")))"
                        ).compactMap(RegistryRows.object)
                    }
                    objects.sort {
                        ($0.kind.rawValue, $0.first?.family.rawValue ?? 0, $0.first?.value ?? 0, $0.asn ?? 0)
                            < ($1.kind.rawValue, $1.first?.family.rawValue ?? 0, $1.first?.value ?? 0, $1.asn ?? 0)
                    }
                    for object in objects {
                        guard seen.insert("\(object.kind.rawValue) \(object.key)").inserted else { continue }
                        guard members.count < Self.neighbourLimit else {
                            omitted += 1
                            continue
                        }
                        var member = RegistryNeighbourhood.Member(
                            kind: object.kind.rawValue, key: object.key, name: object.name, descr: object.descr,
                            country: object.country, relation: relation, source: source.fileName, asOf: source.asOf,
                            sha256: source.sha256,
                            holdsTarget: false, indicators: [], casebookCases: [], first: object.first, last: object.last,
                            asn: object.kind == .autNum ? object.asn : nil)
                        member.holdsTarget = Self.holds(member, target) || (member.asn != nil && member.asn == asn)
                        members.append(member)
                    }
                }
            }
            return (orgs, members, omitted)
        }
        hood.organisations = found.orgs
        hood.maintainers = maintainers
        hood.members = found.members
        hood.omitted = found.omitted
        return hood
    }

    static func holds(_ member: RegistryNeighbourhood.Member, _ target: NeighbourhoodTarget) -> Bool {
        switch target {
        case .asn(let n): return member.asn == n
        case .address(let a): return member.first.map { $0 <= a } == true && member.last.map { a <= $0 } == true
        case .network(let n):
            return member.first.map { $0 <= n.address } == true && member.last.map { n.lastAddress <= $0 } == true
        }
    }

    private func latestAutNum(_ asn: UInt32, _ db: Database) throws -> RegistryObject? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT o.* FROM registry_object o JOIN registry_import i ON i.id = o.import_id
                WHERE o.kind = 'aut-num' AND o.asn = ? ORDER BY i.as_of DESC, i.id DESC LIMIT 1
                """, arguments: [Int64(asn)]
        ).flatMap(RegistryRows.object)
    }

    private func latestOrganisation(_ key: String, _ db: Database) throws -> (RegistryObject, RegistryImport)? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT o.* FROM registry_object o JOIN registry_import i ON i.id = o.import_id
                    WHERE o.kind = 'organisation' AND o.key = ? ORDER BY i.as_of DESC, i.id DESC LIMIT 1
                    """, arguments: [key]),
            let source = sourceRecord(row["import_id"]), let object = RegistryRows.object(row)
        else { return nil }
        return (object, source)
    }

    /// Marks each member with the indicators inside it and the casebook cases that saw it: one
    /// pass over the address indicators and one over the casebook's sightings for all of them.
    private func mark(_ hoods: inout [RegistryNeighbourhood], _ db: Database) throws {
        var networks: [(IPNetwork, String)] = []
        var asnIndicators: [UInt32: [String]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT type, value FROM indicator WHERE type IN ('ipv4', 'ipv6', 'cidr', 'asn')") {
            let type: String = row["type"]
            let value: String = row["value"]
            if type == "asn" {
                if let n = RPSLReader.parseASN(value) { asnIndicators[n, default: []].append("asn \(value)") }
            } else if let network = IPNetwork(value) {
                networks.append((network, "\(type) \(value)"))
            }
        }
        func inside(_ m: RegistryNeighbourhood.Member, _ a: IPAddress, _ b: IPAddress) -> Bool {
            guard let first = m.first, let last = m.last, first.family == a.family else { return false }
            return a <= last && first <= b
        }
        var wantedASNs = Set<UInt32>()
        for h in hoods.indices {
            for m in hoods[h].members.indices {
                let member = hoods[h].members[m]
                if let asn = member.asn {
                    hoods[h].members[m].indicators = asnIndicators[asn] ?? []
                    wantedASNs.insert(asn)
                } else {
                    hoods[h].members[m].indicators = networks.filter { inside(member, $0.0.address, $0.0.lastAddress) }.map(\.1)
                }
            }
        }
        var casesByASN: [UInt32: Set<String>] = [:]
        for asn in wantedASNs {
            casesByASN[asn] = Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT DISTINCT c.pseudonym FROM casebook_sighting s JOIN casebook_case c ON c.id = s.case_id
                        WHERE s.asn = ?
                        """, arguments: [Int64(asn)]))
        }
        var casesByMember: [[Set<String>]] = hoods.map { $0.members.map { _ in [] } }
        let ranged = hoods.indices.flatMap { h in
            hoods[h].members.indices.filter { hoods[h].members[$0].first != nil }.map { (h, $0) }
        }
        if !ranged.isEmpty {
            let rows = try Row.fetchCursor(
                db, sql: "SELECT s.address, c.pseudonym FROM casebook_sighting s JOIN casebook_case c ON c.id = s.case_id")
            while let row = try rows.next() {
                guard let address = IPAddress(row[0] as String) else { continue }
                for (h, m) in ranged where inside(hoods[h].members[m], address, address) {
                    casesByMember[h][m].insert(row[1])
                }
            }
        }
        for h in hoods.indices {
            for m in hoods[h].members.indices {
                let byAS = hoods[h].members[m].asn.flatMap { casesByASN[$0] } ?? []
                hoods[h].members[m].casebookCases = casesByMember[h][m].union(byAS).sorted()
            }
        }
    }
}
