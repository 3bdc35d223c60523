import Crypto
import Foundation
import SpoorAnalysis
import SpoorCore
import SpoorIntel
import SpoorStore

extension CaseStore {
    /// The case's name in the casebook: `C-` and 8 hex digits of HMAC-SHA256 under the case's
    /// own secret (the redaction key), so it is the same every time and tells nobody without the
    /// case which case it is.
    public func casebookPseudonym() throws(CaseError) -> String {
        let key = SymmetricKey(data: try redactionKey())
        let mac = HMAC<SHA256>.authenticationCode(for: Data("spoor casebook case".utf8), using: key)
        return "C-" + mac.prefix(4).map { String(format: "%02X", $0) }.joined()
    }

    /// What the casebook records of this case: its attacker-side addresses, each with what
    /// attribution said of it at the time, how it was seen, and the findings naming it. No
    /// account names are taken.
    ///
    /// By default the addresses named by findings of medium or high severity, except
    /// special-purpose addresses other than documentation ranges (private, loopback, …) and the
    /// account holder's baseline: addresses the case shows before the earliest record those
    /// findings cite (seen before the incident, so the holder's own). `only` keeps the findings
    /// given (`F3`); `addresses` adds addresses; `excluding` drops addresses.
    public func casebookEntry(only: [String] = [], addresses: [IPAddress] = [], excluding: [IPAddress] = []) throws
        -> (entry: CasebookCase, sightings: [CasebookSighting], baseline: [String])
    {
        guard let analysis = try lastAnalysis() else { throw CasebookError.notAnalysed(path: directory) }
        let unknown = only.filter { id in !analysis.findings.contains { $0.id == id } }
        guard unknown.isEmpty else { throw CasebookError.noSuchFinding(unknown) }
        let chosen = analysis.findings.filter { only.isEmpty ? $0.severity >= .medium : only.contains($0.id) }
        var named: [String: [String]] = [:]
        for finding in chosen {
            for address in finding.addresses { named[address.description, default: []].append(finding.id) }
        }
        // The incident begins at the earliest record the chosen findings cite.
        let start = try earliestPlacedTimes(chosen.map(\.locators)).compactMap { $0 }.min()
        let wanted = Set(addresses.map(\.description))
        let dropped = Set(excluding.map(\.description))
        var sightings: [CasebookSighting] = []
        var baseline: [String] = []
        var chosenSubjects: [(IPAddress, SubjectIP)] = []
        try forEachSubject { subject, _ in
            guard let address = IPAddress(subject.ip), !dropped.contains(subject.ip) else { return }
            let asked = wanted.contains(subject.ip)
            guard asked || named[subject.ip] != nil else { return }
            if !asked {
                guard subject.addressClass == .global || subject.addressClass == .documentation else { return }
                if let start, let first = subject.firstSeen.flatMap(Timestamp.parseISO8601), first.sortKey < start {
                    baseline.append(subject.ip)
                    return
                }
            }
            chosenSubjects.append((address, subject))
        }
        for (address, subject) in chosenSubjects {
            let asn = subject.enrichment.compactMap(\.asn).first ?? subject.registry?.compactMap(\.originASN).first
            let holder = subject.registry?.compactMap(\.holder).first ?? subject.enrichment.compactMap(\.asOrganization).first
            let (userAgents, devices) = try clients(ip: subject.ip)
            sightings.append(
                CasebookSighting(
                    address: subject.ip, network: CasebookSighting.network(of: address), asn: asn, holder: holder,
                    firstSeen: subject.firstSeen ?? subject.zonelessFirst, lastSeen: subject.lastSeen ?? subject.zonelessLast,
                    records: subject.records, roles: CasebookSighting.roles(byAction: subject.byAction),
                    userAgents: userAgents, devices: devices,
                    findings: named[subject.ip] ?? []))
        }
        let metadata = try metadata()
        let entry = CasebookCase(
            pseudonym: try casebookPseudonym(), reference: metadata.reference, examiner: metadata.examiner,
            organisation: metadata.organisation, recordedAt: ISO8601DateFormatter().string(from: clock.now()),
            analysedAt: try analysedAt())
        return (entry, sightings, baseline)
    }
}

/// Why a case cannot be recorded in the casebook.
public enum CasebookError: Error, Hashable, CustomStringConvertible {
    case notAnalysed(path: String)
    case noSuchFinding([String])

    public var description: String {
        switch self {
        case .notAnalysed(let path): "\(path): the case has not been analysed yet; run 'spoor analyze' and read the annex first"
        case .noSuchFinding(let ids):
            "the case has no finding \(ids.joined(separator: ", ")) (its findings are listed in the annex)"
        }
    }
}
