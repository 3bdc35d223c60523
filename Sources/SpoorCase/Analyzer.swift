import Foundation
import SpoorAnalysis
import SpoorCore
import SpoorEnrichment
import SpoorIntake
import SpoorIntel
import SpoorSigma
import SpoorStore

extension CaseStore {
    /// Analyses the case: sessions and novelty marks account by account, then each distinct
    /// address attributed once (``Attributor``) and given to the address rules, then the
    /// account rules over each account's events in time order. Replaces the previous analysis.
    /// - Parameters:
    ///   - mmdbPaths: MaxMind-format databases to enrich from.
    ///   - intel: the indicator store, when there is one.
    ///   - rules: the rules to run, in report order (``RuleRegistry/standard(forgetEvery:)``).
    ///   - now: when the analysis ran, as it is recorded (default: the case's clock).
    ///   - casebookPseudonym: whose sightings the casebook leaves out (default: this case's own,
    ///     ``casebookPseudonym()``; `verify --rerun` gives the one the annex recorded).
    ///   - noveltyMemoryLimit: values per account the novelty ledger holds in memory before it
    ///     moves to disk (default 2,000,000; memory, not results: a test sets it low and expects
    ///     the same marks).
    public func analyze(
        mmdbPaths: [String], intel: IndicatorStore?, rules: [any Rule] = RuleRegistry.standard(), now: Date? = nil,
        casebookPseudonym: String? = nil, noveltyMemoryLimit: Int? = nil, sigma: SigmaRuleSet? = nil
    ) throws -> AnalysisSummary {
        var files: [ReferenceFile] = []
        for path in mmdbPaths { files.append(ReferenceFile(path: path, sha256: try FileHasher.sha256(path: path).sha256)) }
        let attributor: Attributor
        let ownPseudonym = try casebookPseudonym ?? self.casebookPseudonym()
        do {
            attributor = try Attributor(databases: files, intel: intel, casebookCase: ownPseudonym)
        } catch {
            switch error {
            case .database(let path, let reason): throw CaseError.referenceData(path: path, reason: reason)
            case .referenceStore(let reason): throw CaseError.referenceData(path: intel?.path ?? "", reason: reason)
            }
        }
        let run = RuleRun(rules: rules)

        // One address at a time, from grouped observations to its stored row: memory holds one
        // subject, however many addresses the case has.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var subjectCount = 0
        // For addresses whose snapshots do not all agree, or that a Tor exit list holds: what
        // each snapshot and list says, so every finding naming the address is told who held it
        // (and whether it was a Tor exit) on the day of that finding's own first record.
        var dated: [String: DatedAnswers] = [:]
        try writeSubjects { pass in
            try pass.forEachAddress { aggregate in
                var subject = SubjectIP(aggregate)
                let ip = subject.ip
                try attributor.attribute(&subject, clients: { try pass.clients(ip: ip) }) { windows in
                    try pass.countInWindows(ip: ip, windows)
                }
                let context = SubjectContext(
                    subject: subject, kinds: aggregate.kinds, loginAttempts: { try pass.loginAttempts(ip: ip, limit: $0) }
                ) { selection, limit in
                    try pass.locators(ip: ip, selection, limit: limit)
                }
                try pass.insert(
                    SubjectRow(
                        address: aggregate.address, ip: ip, addressClass: subject.addressClass,
                        document: String(decoding: try encoder.encode(subject), as: UTF8.self),
                        countries: Set(subject.enrichment.compactMap(\.countryCode)).sorted(),
                        asns: Set(subject.enrichment.compactMap(\.asn)).sorted(), flagged: context.flagged,
                        location: subject.enrichment.lazy.compactMap { answer in
                            answer.latitude.flatMap { lat in
                                answer.longitude.map {
                                    GeoPoint(
                                        latitude: lat, longitude: $0, radiusKm: answer.accuracyRadiusKm,
                                        source: answer.source.fileName)
                                }
                            }
                        }.first))
                try run.consume(context)
                let databaseNotes = (subject.databasesAt ?? []).filter { $0.changed || $0.daysBefore < 0 }.map {
                    $0.sentence(naming: ip)
                }
                let answers = attributor.datedAnswers(for: subject)
                if let day = subject.firstSeen ?? subject.zonelessFirst,
                    !answers.registry.isEmpty || !answers.tor.isEmpty || !databaseNotes.isEmpty
                {
                    dated[ip] = DatedAnswers(
                        firstDay: day, registry: answers.registry, tor: answers.tor, databases: databaseNotes)
                }
                subjectCount += 1
            }
            // Then every account's records in time order: each is given its session and novelty
            // marks, and the dated ones go to the account rules with them.
            var marker = Sessions.Marker()
            try pass.markAccountRecords(memoryLimit: noveltyMemoryLimit ?? NoveltyLedger.memoryLimit) {
                record, ledger, newAccount in
                let mark = try marker.mark(record, ledger: ledger, newAccount: newAccount)
                if record.timeUTC != nil {
                    var event = AccountEvent(
                        id: record.id, timeKey: record.timeKey, timeUTC: record.timeUTC, ip: record.ip, action: record.action,
                        session: mark.session, novel: Set(mark.novel), locator: record.locator, countries: record.countries,
                        asns: record.asns, rawAction: record.rawAction, target: record.target)
                    event.location = record.location
                    event.flagged = record.flagged
                    try run.consume(event, account: record.accountKey)
                }
                return mark
            }
        }
        var findings = try run.findings()
        var stated = run.stated
        var sigmaReference: SigmaReference?
        if let sigma {
            findings += try sigmaFindings(sigma, firstNumber: findings.count + 1)
            let (description, reference) = Self.sigmaStated(sigma)
            stated.append(description)
            sigmaReference = reference
        }
        try sayWhoHeld(&findings, dated)
        var summary = AnalysisSummary(
            databases: attributor.databases, intel: attributor.intelReference, subjects: subjectCount,
            findings: findings, rules: stated, sessions: Sessioning.tunables)
        summary.sigma = sigmaReference
        summary.casebook = attributor.casebookReference
        summary.referenceSnapshots = attributor.referenceSnapshots.isEmpty ? nil : attributor.referenceSnapshots
        let high = Set(findings.filter { $0.severity == .high }.flatMap(\.addresses)).sorted()
        let hoods = try attributor.neighbourhoods(of: high)
        summary.neighbourhoods = hoods.isEmpty ? nil : hoods
        summary.findings = Self.sayNeighbours(summary.findings, hoods)
        try saveAnalysis(
            ranAt: now ?? clock.now(), document: String(decoding: try encoder.encode(summary), as: UTF8.self))
        return summary
    }

    /// The subject IPs of the last analysis, in address order. Holds them all: for a case of
    /// many addresses, ``forEachSubject(_:)`` reads one at a time.
    public func subjects() throws(CaseError) -> [SubjectIP] {
        var all: [SubjectIP] = []
        try forEachSubject { subject, _ in all.append(subject) }
        return all
    }

    /// Each subject IP of the last analysis in address order, one at a time, with a function
    /// that streams the positions of every record naming it (see ``SupportingRecord``).
    public func forEachSubject(
        _ body: (SubjectIP, _ records: ((SupportingRecord) throws -> Void) throws -> Void) throws -> Void
    ) throws(CaseError) {
        try forEachSubject(as: SubjectIP.self, body)
    }

    /// The summary of the last analysis, or nil when the case was never analysed.
    public func lastAnalysis() throws(CaseError) -> AnalysisSummary? {
        guard let text = try lastAnalysisDocument() else { return nil }
        do {
            return try JSONDecoder().decode(AnalysisSummary.self, from: Data(text.utf8))
        } catch {
            throw CaseError(error, store: storeFile)
        }
    }
}

extension SubjectIP {
    /// A subject from what its observations add up to, before attribution.
    init(_ aggregate: AddressAggregate) {
        self.init(address: aggregate.address)
        ip = aggregate.ip
        records = aggregate.records
        occurrences = aggregate.occurrences
        bySource = aggregate.bySource
        byAction = aggregate.byAction
        firstSeen = aggregate.firstSeen
        lastSeen = aggregate.lastSeen
        zonelessFirst = aggregate.zonelessFirst
        zonelessLast = aggregate.zonelessLast
        accounts = aggregate.accounts
        reachedAs = aggregate.reachedAs
    }
}

/// What the dated reference data says of one address at any day: its registry answers and the
/// Tor exit lists, kept for the findings naming it.
struct DatedAnswers {
    var firstDay: String
    var registry: [RegistryAnswer]
    var tor: [TorExitListAnswer]
    /// What the databases given in several builds say, where the latest differs (for the day of
    /// the address's first record).
    var databases: [String]
}

extension CaseStore {
    /// Adds to each finding naming an address in `dated` who the registry snapshots say held it
    /// on the day of the finding's earliest record (else of the address's first record), when
    /// the snapshots disagree or only a later one answers, and whether it was a Tor exit that
    /// day. The anonymising rule says the Tor part itself.
    func sayWhoHeld(_ findings: inout [Finding], _ dated: [String: DatedAnswers]) throws {
        guard !dated.isEmpty else { return }
        let concerned = findings.indices.filter { i in findings[i].addresses.contains { dated[$0.description] != nil } }
        guard !concerned.isEmpty else { return }
        let times = try earliestPlacedTimes(concerned.map { findings[$0].locators })
        for (n, i) in concerned.enumerated() {
            let findingDay = times[n].flatMap { Timestamp(sortKey: $0, zone: .utc).rfc3339UTC.map { String($0.prefix(10)) } }
            var notes: [String] = []
            for address in findings[i].addresses {
                let ip = address.description
                guard let answers = dated[ip] else { continue }
                let day = findingDay ?? String(answers.firstDay.prefix(10))
                let ofFinding = day != answers.firstDay.prefix(10)
                if let held = HeldAt(day: day, answers: answers.registry, firstRecord: !ofFinding, ofFinding: ofFinding),
                    held.changed || held.fromLater
                {
                    notes.append(held.sentence(naming: ip))
                }
                if findings[i].rule != .anonymisingInfrastructure, let tor = TorExitAt(day: day, lists: answers.tor) {
                    notes.append(tor.sentence(naming: ip))
                }
                notes += answers.databases
            }
            if !notes.isEmpty { findings[i].statement += " " + notes.joined(separator: " ") }
        }
    }
}

extension CaseStore {
    /// Adds to each high-severity finding what the registry neighbourhood of its addresses
    /// holds: the organisation's other netblocks and ASes that hold indicators or earlier cases'
    /// addresses (at most three named, the rest counted).
    static func sayNeighbours(_ findings: [Finding], _ hoods: [RegistryNeighbourhood]) -> [Finding] {
        guard !hoods.isEmpty else { return findings }
        let byTarget = Dictionary(hoods.map { ($0.target, $0) }, uniquingKeysWith: { a, _ in a })
        return findings.map { finding in
            guard finding.severity == .high else { return finding }
            var finding = finding
            for address in finding.addresses {
                guard let hood = byTarget[address.description], !hood.flagged.isEmpty else { continue }
                let holder =
                    hood.organisations.first.map { o in (o.name ?? o.key) + " (registry snapshot of \(o.asOf))" }
                    ?? hood.maintainers.first.map { "the maintainers \($0)" } ?? "its holder"
                let named = hood.flagged.prefix(3).map { m -> String in
                    var what: [String] = []
                    if !m.indicators.isEmpty { what.append("indicator(s) " + m.indicators.prefix(3).joined(separator: ", ")) }
                    if !m.casebookCases.isEmpty {
                        what.append("addresses of earlier case(s) " + m.casebookCases.prefix(3).joined(separator: ", "))
                    }
                    let text = [m.name, m.descr].compactMap { $0 }.joined(separator: ", ")
                    return "\(m.key)" + (text.isEmpty ? "" : " (\(SafeText.excerpt(text, limit: 120)))") + ", with "
                        + what.joined(separator: " and ")
                }
                let more = hood.flagged.count > 3 ? "; and \(hood.flagged.count - 3) more" : ""
                finding.statement +=
                    " The organisation holding \(address), \(holder), also holds " + named.joined(separator: "; ") + more
                    + ". Sharing a holder says who holds the space, not who used the address."
            }
            return finding
        }
    }
}
