import Foundation
import SpoorAnalysis
import SpoorCase
import SpoorStore
import SpoorCore
import SpoorIntel

/// The values the report templates show: typed views (``ReportPage`` and the structures it
/// holds) whose property names are the templates' keys — Mustache reads them by reflection. No
/// words here — those live in the templates — only data, already cut to a readable length and
/// with control characters shown as escapes (``shown(_:)``); the template's `{{name}}` form
/// escapes it for HTML.
///
/// Names are unique across levels on purpose: Mustache looks a missing (or nil) value up in the
/// enclosing context, so a record without (say) a `detail` must not pick up its parent's.
enum ReportView {
    /// How many supporting records are quoted per address on the page (all are in findings.json).
    static let quotedRecordsPerAddress = 25
    static let locatorsPerFinding = 10
    /// How many findings the page details; past that, the most severe are shown (in their
    /// order) and the page says how many more `findings.json` holds. A printed annex of tens of
    /// thousands of findings is one nobody reads, and printing it does not finish.
    static let findingsOnPage = 300

    /// The findings the page details: all of them, or the ``findingsOnPage`` most severe.
    static func pageFindings(_ findings: [Finding]) -> [Finding] {
        guard findings.count > findingsOnPage else { return findings }
        let rank: [Finding.Severity: Int] = Dictionary(
            uniqueKeysWithValues: Finding.Severity.allCases.enumerated().map { ($0.element, $0.offset) })
        let chosen = findings.indices.sorted { (rank[findings[$0].severity] ?? 0, $1) > (rank[findings[$1].severity] ?? 0, $0) }
            .prefix(findingsOnPage).sorted()
        return chosen.map { findings[$0] }
    }

    static func build(
        _ document: FindingsDocument, overview: SubjectOverview, store: CaseStore, timeline: Timeline, pdfRequested: Bool,
        redaction: Redaction?
    ) throws -> ReportPage {
        let c = document.case
        // Summary: findings by severity, most severe first.
        let bySeverity = Dictionary(grouping: document.findings, by: \.severity)
        let shownFindings = pageFindings(document.findings)
        let svg = timeline.svg()
        let span = timeline.spanText
        let detailed = overview.detailed
        let (unaddressed, unaddressedTotal) = try store.eventsWithoutAddress(limit: 200)

        let generatedText = document.generatedAt
        let generatedAt = Timestamp.parseISO8601(generatedText)?.sortKey
        let evidence = try document.evidence.map { item -> EvidenceView in
            var notes = item.notes ?? []
            if let generated = generatedAt, let late = try store.recordsDated(after: generated, sha256: item.sha256), late > 0 {
                notes.append(
                    "\(late) record(s) are dated after this annex was written (\(generatedText)), which cannot be right as read.")
            }
            let warnings = (item.warnings > 0 ? try store.warnings(sha256: item.sha256) : []).map { redaction?.text($0) ?? $0 }
            return EvidenceView(
                evidenceName: shown(item.member.map { "\(item.path)!\($0)" } ?? item.path), evidenceSHA256: shown(item.sha256),
                evidenceSize: item.size, evidenceStatus: shown(item.status),
                evidenceFormat: shown((item.parser ?? item.format ?? "—") + (item.parserVersion.map { " v\($0)" } ?? "")),
                evidenceRecords: item.records, evidenceKept: item.observations, evidenceMalformed: item.malformed,
                hasMalformed: item.malformed > 0, evidenceDetail: item.detail.map { shown(SafeText.excerpt($0, limit: 300)) },
                evidenceNotes: notes.map { NoteView(noteText: shown(redaction?.text($0) ?? $0)) },
                evidenceWarnings: warnings.prefix(5).map { WarningView(warningText: shown(SafeText.excerpt($0, limit: 240))) },
                evidenceWarningsMore: max(0, warnings.count - 5), hasEvidenceWarningsMore: warnings.count > 5)
        }

        // Methods: the rules and settings the analysis ran with (an analysis older than stated
        // settings ran with the defaults, which have not changed).
        let rules = document.analysis?.rules ?? RuleRegistry.standard().map(\.stated)
        let sessions = document.analysis?.sessions ?? Sessioning.tunables
        let registries = overview.registries
        let warninglists = overview.warninglists

        return ReportPage(
            caseTitle: shown(c.title), caseCreated: shown(c.createdAt), generatedAt: shown(document.generatedAt),
            spoorVersion: shown(document.spoorVersion), analysed: document.analysis != nil,
            findingCount: document.findings.count, addressCount: overview.count, evidenceCount: document.evidence.count,
            redacted: redaction != nil, pdf: pdfRequested, quotedPerAddress: quotedRecordsPerAddress,
            pageFooter: shown(footer([c.title, c.reference].compactMap { $0 }.joined(separator: " · "))),
            examiner: c.examiner.map(shown), organisation: c.organisation.map(shown), reference: c.reference.map(shown),
            severityCounts: Finding.Severity.allCases.reversed().compactMap { severity in
                bySeverity[severity].map { SeverityCount(severityName: shown(severity.rawValue), severityCount: $0.count) }
            },
            findings: shownFindings.map(findingView), findingsShown: shownFindings.count,
            findingsOmitted: document.findings.count - shownFindings.count,
            hasFindingsOmitted: shownFindings.count < document.findings.count, hasFindings: !document.findings.isEmpty,
            // The timeline is SVG that Spoor wrote, escaped as it was built.
            timelineSVG: svg, hasTimeline: !svg.isEmpty, timelineFrom: shown(span.from), timelineTo: shown(span.to),
            timelinePlaced: timeline.placed, timelineUnplaced: timeline.unplaced, timelineHasUnplaced: timeline.unplaced > 0,
            timelineMarked: timeline.markers.count,
            addresses: try detailed.map {
                try addressView(
                    $0, store: store, redaction: redaction,
                    neighbourhood: document.analysis?.neighbourhoods?.first { [ip = $0.ip] in $0.target == ip })
            },
            hasAddresses: overview.count > 0, addressesShown: detailed.count, addressesOmitted: overview.omitted,
            hasAddressesOmitted: overview.omitted > 0,
            unaddressed: unaddressed.map { original in
                let event = redaction?.event(original) ?? original
                var row = eventView(event)
                row.addressWritten = event.ipRaw.map { shown(SafeText.excerpt($0, limit: 64)) }
                return row
            },
            hasUnaddressed: unaddressedTotal > 0,
            unaddressedMore: unaddressedTotal > unaddressed.count ? unaddressedTotal - unaddressed.count : 0,
            hasUnaddressedMore: unaddressedTotal > unaddressed.count, evidence: evidence,
            methodRules: rules.map { rule in
                MethodRule(
                    ruleID: shown(rule.id.rawValue), ruleSummary: shown(rule.summary), ruleReads: shown(rule.reads),
                    ruleDoesNotShow: shown(rule.doesNotShow), hasRuleReads: !rule.reads.isEmpty,
                    hasRuleDoesNotShow: !rule.doesNotShow.isEmpty, hasRuleTunables: !rule.tunables.isEmpty,
                    ruleTunables: rule.tunables.map {
                        TunableView(
                            tunableName: shown($0.name), tunableValue: shown($0.value.description),
                            tunableMeaning: shown($0.meaning))
                    })
            },
            sessionGap: shown(sessions.first { $0.name == "gap" }?.value.description ?? ""),
            // Reference data: what the analysis read, each by hash.
            databases: document.analysis.map { analysis in
                analysis.databases.map {
                    DatabaseView(
                        dbType: shown($0.databaseType), dbBuilt: shown($0.buildDate), dbFile: shown($0.fileName),
                        dbSHA256: shown($0.sha256))
                }
            },
            casebookSet: document.analysis?.casebook.flatMap { book in
                book.cases == 0
                    ? nil
                    : CasebookSetView(
                        casebookCases: book.cases, casebookSightings: book.sightings, casebookHash: shown(book.contentHash),
                        casebookOwn: shown(book.ownPseudonym ?? "?"))
            },
            indicatorSet: document.analysis?.intel.map { intel in
                IndicatorSetView(
                    setHash: shown(intel.contentHash), setIndicators: intel.indicators, setRecords: intel.provenanceRecords,
                    setSources: intel.sources.map { SetSource(setSource: shown($0)) })
            },
            registries: registries.keys.sorted().compactMap { registries[$0] },
            warninglists: warninglists.keys.sorted().compactMap { warninglists[$0] },
            noReferenceData: (document.analysis?.databases.isEmpty ?? true) && document.analysis?.intel == nil
                && registries.isEmpty)
    }

    /// Text as the page shows it: control characters (terminal escapes, bidirectional overrides)
    /// as visible escapes; the template then escapes the markup. Every string of a view passes
    /// through here.
    static func shown(_ text: String) -> String { SafeText.terminal(text) }

    /// The text with its first letter in capitals (a sentence made from words meant to follow "is").
    static func capitalised(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    static func findingView(_ finding: Finding) -> FindingView {
        FindingView(
            findingID: shown(finding.id), findingSeverity: shown(finding.severity.rawValue),
            findingRule: shown(finding.rule.rawValue),
            findingStatement: shown(finding.statement),
            findingAddresses: finding.addresses.map { FindingAddress(findingAddress: shown($0.description)) },
            findingIndicators: finding.indicators.map {
                FindingIndicator(findingIndicator: shown(SafeText.excerpt($0, limit: 200)))
            },
            findingLocators: finding.locators.prefix(locatorsPerFinding).map {
                FindingLocator(findingLocator: shown($0.description))
            },
            findingLocatorCount: finding.locators.count, hasFindingLocators: !finding.locators.isEmpty,
            hasFindingLocatorsMore: finding.locators.count > locatorsPerFinding,
            findingLocatorsMore: max(0, finding.locators.count - locatorsPerFinding), severityIsHigh: finding.severity == .high)
    }

    /// Text safe inside a CSS string (the page footer): letters, digits and plain punctuation.
    static func footer(_ text: String) -> String {
        let allowed = Set(" .,:;-_/#()+·")
        return String(SafeText.excerpt(text, limit: 90).filter { $0.isLetter || $0.isNumber || allowed.contains($0) })
    }

    /// One address in detail; `original` as the case holds it (its records are looked up by it),
    /// shown redacted when the annex is.
    static func addressView(
        _ original: SubjectIP, store: CaseStore, redaction: Redaction?, neighbourhood: RegistryNeighbourhood? = nil
    ) throws -> AddressView {
        let s = redaction?.subject(original) ?? original
        let events = try store.events(ip: original.ip, limit: quotedRecordsPerAddress)
        return AddressView(
            ip: shown(s.ip), anchor: shown("ip-" + s.ip.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()),
            addressClass: shown(s.addressClass.rawValue), occurrences: s.occurrences, records: s.records,
            seenRanges: [
                s.firstSeen.map { "\($0) – \(s.lastSeen ?? "")" }, s.zonelessFirst.map { "\($0) – \(s.zonelessLast ?? "")" },
            ]
            .compactMap { $0.map { SeenRange(seenRange: shown($0)) } },
            sources: s.bySource.sorted { $0.key < $1.key }.map { SourceCount(sourceName: shown($0.key), sourceCount: $0.value) },
            actions: s.byAction.sorted { $0.key < $1.key }.map { ActionCount(actionName: shown($0.key), actionCount: $0.value) },
            accounts: s.accounts.map { AccountName(accountName: shown(SafeText.excerpt($0, limit: 80))) },
            reachedAs: try reachedNames(s, original: original, store: store),
            specialPurpose: s.specialPurpose.map(shown),
            enrichment: s.enrichment.map { a in
                EnrichmentView(
                    enrichSummary: shown(SafeText.excerpt(a.summary, limit: 200)), enrichNetwork: shown(a.network.description),
                    enrichDBType: shown(a.source.databaseType), enrichBuilt: shown(a.source.buildDate),
                    enrichFile: shown(a.source.fileName), enrichSHA256Short: shown(String(a.source.sha256.prefix(16))))
            },
            registry: (s.registry ?? []).map { r in
                RegistryView(
                    registrySummary: shown(SafeText.excerpt(r.summary, limit: 300)),
                    registryFrom: shown(SafeText.excerpt(r.source.fileName, limit: 80)), registryDate: shown(r.source.asOf),
                    registryHashShort: shown(String(r.source.sha256.prefix(16))))
            },
            heldAt: s.heldAt.map { shown(SafeText.excerpt($0.sentence, limit: 1_000)) },
            heldChanged: s.heldAt.map { $0.changed || $0.fromLater } ?? false,
            torExit: s.torExit.map { shown(SafeText.excerpt($0.sentence, limit: 1_000)) },
            torExitOnDay: s.torExit?.exitOnDay ?? false,
            databasesAt: (s.databasesAt ?? []).map {
                DatabaseAtView(dbAt: shown(SafeText.excerpt($0.sentence, limit: 800)), dbAtHit: $0.changed || $0.daysBefore < 0)
            },
            passiveDNS: (s.passiveDNS ?? []).map { PassiveDNSView(pdnsName: shown(SafeText.excerpt($0.words, limit: 400))) },
            pdnsMarginDays: Int(SubjectIP.passiveDNSMargin / 86_400),
            warninglistHits: (s.warninglists ?? []).map { w in
                WarninglistHitView(
                    hitList: shown(SafeText.excerpt(w.name, limit: 120)), hitListVersion: shown(w.version),
                    hitEntry: shown(SafeText.excerpt(w.entry, limit: 120)),
                    hitWords: shown(SafeText.excerpt(Self.capitalised(w.words(day: s.firstSeen ?? s.zonelessFirst)), limit: 600)))
            },
            indicatorHits: s.indicatorHits.map(indicatorHitView),
            casebookHits: (s.casebookHits ?? []).map { hit in
                CasebookHitView(
                    cbCase: shown(hit.caseName), cbSource: hit.source == CasebookCase.localSource ? nil : shown(hit.source),
                    cbWhat: shown(casebookOverlapText(hit)),
                    cbWhen: [hit.firstSeen, hit.lastSeen].compactMap { $0 }.isEmpty
                        ? nil
                        : shown(
                            hit.firstSeen == hit.lastSeen || hit.lastSeen == nil
                                ? "at \(hit.firstSeen ?? hit.lastSeen ?? "")"
                                : "between \(hit.firstSeen ?? "?") and \(hit.lastSeen ?? "?")"),
                    cbRoles: hit.roles.isEmpty ? nil : shown(hit.roles.joined(separator: ", ")),
                    cbFindings: hit.findings.isEmpty ? nil : shown(hit.findings.joined(separator: ", ")))
            },
            neighbourhood: neighbourhood.map(neighbourhoodView),
            events: events.map { eventView(redaction?.event($0) ?? $0) }, eventsMore: max(0, s.records - events.count),
            hasEventsMore: s.records > events.count)
    }

    /// What an earlier case saw, in words: the same address, or another in the same network, of
    /// the same AS and holder, or with the same client on the same AS.
    static func casebookOverlapText(_ hit: CasebookHit) -> String {
        switch hit.overlap {
        case .address: "the same address"
        case .network: "\(hit.earlierAddress), in the same network \(hit.value)"
        case .asAndHolder: "\(hit.earlierAddress), of the same AS and registry holder (\(hit.value))"
        case .clientAndAS:
            "\(hit.earlierAddress), with the same \(hit.client?.kind == .device ? "device name" : "user agent") \u{201C}"
                + SafeText.excerpt(hit.client?.value ?? "", limit: 160) + "\u{201D} on the same AS (\(hit.value))"
        }
    }

    static func indicatorHitView(_ hit: IndicatorHit) -> IndicatorHitView {
        IndicatorHitView(
            hitType: shown(hit.type), hitValue: shown(SafeText.excerpt(hit.value, limit: 200)),
            hitMatchedBy: shown(hit.matchedBy),
            citations: hit.provenance.map { p in
                Citation(
                    citeSource: shown(SafeText.excerpt(p.source, limit: 160)),
                    citeTitle: p.title.map { shown(SafeText.excerpt($0, limit: 200)) },
                    citeReference: p.reference.map { shown(SafeText.excerpt($0, limit: 300)) },
                    citePublished: p.published.map(shown), citeFirstSeen: p.firstSeen.map(shown),
                    citeLastSeen: p.lastSeen.map(shown), citeConfidence: p.confidence, citeTLP: p.tlp.map(shown),
                    citeCampaign: p.campaign.map { shown(SafeText.excerpt($0, limit: 120)) },
                    citeValidity: p.validFrom == nil && p.validUntil == nil
                        ? nil : ValidityWindow(validFrom: shown(p.validFrom ?? "…"), validUntil: shown(p.validUntil ?? "…")))
            },
            validityCheck: hit.validity.map { check in
                ValidityCheckView(
                    inside: check.inside, outside: check.outside, undetermined: check.undetermined,
                    hasUndetermined: check.undetermined > 0, onlyOutside: check.onlyOutside)
            })
    }

    static func eventView(_ event: StoredEvent) -> EventView {
        let what = [event.rawAction, event.count > 1 ? "×\(event.count)" : nil].compactMap { $0 }.joined(separator: " ")
        return EventView(
            eventTime: shown(event.displayTime), eventAction: shown(event.action.rawValue),
            eventLocator: shown(event.locator.description),
            eventAccount: event.account.map { shown(SafeText.excerpt($0, limit: 60)) },
            eventRecord: what.isEmpty ? nil : shown(SafeText.excerpt(what, limit: 120)),
            eventDevice: event.userAgentSummary.map { shown(SafeText.excerpt($0, limit: 80)) },
            eventSession: event.session.map(shown))
    }
}

// The views. Property names are the templates' keys (see Templates/en); nil is "not there".

/// The whole page.
struct ReportPage {
    var caseTitle: String
    var caseCreated: String
    var generatedAt: String
    var spoorVersion: String
    var analysed: Bool
    var findingCount: Int
    var addressCount: Int
    var evidenceCount: Int
    var redacted: Bool
    var pdf: Bool
    var quotedPerAddress: Int
    var pageFooter: String
    var examiner: String?
    var organisation: String?
    var reference: String?
    var severityCounts: [SeverityCount]
    var findings: [FindingView]
    var findingsShown: Int
    var findingsOmitted: Int
    var hasFindingsOmitted: Bool
    var hasFindings: Bool
    var timelineSVG: String
    var hasTimeline: Bool
    var timelineFrom: String
    var timelineTo: String
    var timelinePlaced: Int
    var timelineUnplaced: Int
    var timelineHasUnplaced: Bool
    var timelineMarked: Int
    var addresses: [AddressView]
    var hasAddresses: Bool
    var addressesShown: Int
    var addressesOmitted: Int
    var hasAddressesOmitted: Bool
    var unaddressed: [EventView]
    var hasUnaddressed: Bool
    var unaddressedMore: Int
    var hasUnaddressedMore: Bool
    var evidence: [EvidenceView]
    var methodRules: [MethodRule]
    var sessionGap: String
    var databases: [DatabaseView]?
    var casebookSet: CasebookSetView?
    var indicatorSet: IndicatorSetView?
    var registries: [RegistryFileView]
    var warninglists: [WarninglistView]
    var noReferenceData: Bool
}

struct SeverityCount {
    var severityName: String
    var severityCount: Int
}

struct FindingView {
    var findingID: String
    var findingSeverity: String
    var findingRule: String
    var findingStatement: String
    var findingAddresses: [FindingAddress]
    var findingIndicators: [FindingIndicator]
    var findingLocators: [FindingLocator]
    var findingLocatorCount: Int
    var hasFindingLocators: Bool
    var hasFindingLocatorsMore: Bool
    var findingLocatorsMore: Int
    var severityIsHigh: Bool
}

struct FindingAddress { var findingAddress: String }
struct FindingIndicator { var findingIndicator: String }
struct FindingLocator { var findingLocator: String }

struct EvidenceView {
    var evidenceName: String
    var evidenceSHA256: String
    var evidenceSize: Int64
    var evidenceStatus: String
    var evidenceFormat: String
    var evidenceRecords: Int
    var evidenceKept: Int
    var evidenceMalformed: Int
    var hasMalformed: Bool
    var evidenceDetail: String?
    var evidenceNotes: [NoteView]
    var evidenceWarnings: [WarningView]
    var evidenceWarningsMore: Int
    var hasEvidenceWarningsMore: Bool
}

struct NoteView { var noteText: String }
struct WarningView { var warningText: String }

struct MethodRule {
    var ruleID: String
    var ruleSummary: String
    var ruleReads: String
    var ruleDoesNotShow: String
    var hasRuleReads: Bool
    var hasRuleDoesNotShow: Bool
    var hasRuleTunables: Bool
    var ruleTunables: [TunableView]
}

struct TunableView {
    var tunableName: String
    var tunableValue: String
    var tunableMeaning: String
}

struct DatabaseView {
    var dbType: String
    var dbBuilt: String
    var dbFile: String
    var dbSHA256: String
}

struct IndicatorSetView {
    var setHash: String
    var setIndicators: Int
    var setRecords: Int
    var setSources: [SetSource]
}

struct SetSource { var setSource: String }

/// The casebook the analysis consulted.
struct CasebookSetView {
    var casebookCases: Int
    var casebookSightings: Int
    var casebookHash: String
    var casebookOwn: String
}

/// A registry file the shown addresses cite.
struct RegistryFileView {
    var registryFile: String
    var registryFormat: String
    var registryAsOf: String
    var registrySHA256: String
}

/// A warninglist that holds a shown address.
struct WarninglistView {
    var listName: String
    var listVersion: String
    var listAsOf: String?
    var listSHA256: String?
}

struct AddressView {
    var ip: String
    var anchor: String
    var addressClass: String
    var occurrences: Int
    var records: Int
    var seenRanges: [SeenRange]
    var sources: [SourceCount]
    var actions: [ActionCount]
    var accounts: [AccountName]
    var reachedAs: [ReachedName]
    var specialPurpose: String?
    var enrichment: [EnrichmentView]
    var registry: [RegistryView]
    /// Who held the address on the day of its first record, and whether that changed since.
    var heldAt: String?
    var heldChanged: Bool
    /// Whether the Tor exit lists say it was a Tor exit on the day of its first record.
    var torExit: String?
    var torExitOnDay: Bool
    /// Which build of a database given in several answered for the day of the first record.
    var databasesAt: [DatabaseAtView]
    /// Names passive DNS gives the address around its records.
    var passiveDNS: [PassiveDNSView]
    /// How far from the records a passive DNS window may lie and be shown, in days.
    var pdnsMarginDays: Int
    var warninglistHits: [WarninglistHitView]
    var indicatorHits: [IndicatorHitView]
    var casebookHits: [CasebookHitView]
    /// The other netblocks and ASes of the organisation holding it (addresses of high findings).
    var neighbourhood: NeighbourhoodView?
    var events: [EventView]
    var eventsMore: Int
    var hasEventsMore: Bool
}

struct SeenRange { var seenRange: String }

struct SourceCount {
    var sourceName: String
    var sourceCount: Int
}

struct ActionCount {
    var actionName: String
    var actionCount: Int
}

struct AccountName { var accountName: String }
struct PassiveDNSView { var pdnsName: String }

struct DatabaseAtView {
    var dbAt: String
    var dbAtHit: Bool
}

struct ReachedName {
    var reachedName: String
    /// How the capture named it (`dns answer`, `tls server name`) and the first packet naming it.
    var reachedHow: String?
    var reachedFirst: String?
    var reachedRecords: Int
}

struct EnrichmentView {
    var enrichSummary: String
    var enrichNetwork: String
    var enrichDBType: String
    var enrichBuilt: String
    var enrichFile: String
    var enrichSHA256Short: String
}

struct RegistryView {
    var registrySummary: String
    var registryFrom: String
    var registryDate: String
    var registryHashShort: String
}

struct WarninglistHitView {
    var hitList: String
    var hitListVersion: String
    var hitEntry: String
    /// The hit in words with the version's date and how it stands to the first record's day.
    var hitWords: String
}

struct IndicatorHitView {
    var hitType: String
    var hitValue: String
    var hitMatchedBy: String
    var citations: [Citation]
    var validityCheck: ValidityCheckView?
}

struct Citation {
    var citeSource: String
    var citeTitle: String?
    var citeReference: String?
    var citePublished: String?
    var citeFirstSeen: String?
    var citeLastSeen: String?
    var citeConfidence: Int?
    var citeTLP: String?
    var citeCampaign: String?
    var citeValidity: ValidityWindow?
}

/// An earlier case of the casebook that saw the address, its network, or its AS and holder.
extension ReportView {
    /// The names the address was reached as, each with the first packet naming it (where the
    /// redaction keeps them: it drops the holder's own addresses' names).
    static func reachedNames(_ s: SubjectIP, original: SubjectIP, store: CaseStore) throws -> [ReachedName] {
        guard let shownNames = s.reachedAs, !shownNames.isEmpty else { return [] }
        let sightings = Dictionary(
            try store.nameSightings(ip: original.ip).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return shownNames.map { name in
            let seen = sightings[name]
            return ReachedName(
                reachedName: shown(SafeText.excerpt(name, limit: 120)),
                reachedHow: seen.map { shown($0.how.replacingOccurrences(of: "_", with: " ")) },
                reachedFirst: seen.map { shown($0.first.description) }, reachedRecords: seen?.records ?? 0)
        }
    }
}

/// An address's registry neighbourhood as the annex shows it.
struct NeighbourhoodView {
    var hoodHeld: String
    var hoodMembers: [NeighbourView]
    var hoodFlagged: Int
    var hoodOmitted: Int
    var hasHoodOmitted: Bool
}

struct NeighbourView {
    var hoodKind: String
    var hoodKey: String
    var hoodText: String
    var hoodSource: String
    var hoodNotes: String
    var hoodHit: Bool
}

extension ReportView {
    static func neighbourhoodView(_ hood: RegistryNeighbourhood) -> NeighbourhoodView {
        let orgs = hood.organisations.map { o in
            "organisation \(o.key)" + (o.name.map { ", \($0)" } ?? "") + (o.country.map { " (\($0))" } ?? "")
                + " — \(o.source) as of \(o.asOf)"
        }
        let held = (orgs + hood.maintainers.map { "the maintainers \($0) (the netblock names no organisation)" })
            .joined(separator: "; ")
        return NeighbourhoodView(
            hoodHeld: shown(SafeText.excerpt(held, limit: 600)),
            hoodMembers: hood.members.map { m in
                var notes: [String] = []
                if m.holdsTarget { notes.append("holds this address") }
                if !m.indicators.isEmpty { notes.append("indicators: " + m.indicators.joined(separator: ", ")) }
                if !m.casebookCases.isEmpty { notes.append("earlier cases: " + m.casebookCases.joined(separator: ", ")) }
                return NeighbourView(
                    hoodKind: shown(m.kind), hoodKey: shown(m.key),
                    hoodText: shown(SafeText.excerpt([m.name, m.descr].compactMap { $0 }.joined(separator: " — "), limit: 240)),
                    hoodSource: shown("\(m.source) as of \(m.asOf)"),
                    hoodNotes: shown(SafeText.excerpt(notes.joined(separator: "; "), limit: 400)),
                    hoodHit: !m.holdsTarget && (!m.indicators.isEmpty || !m.casebookCases.isEmpty))
            }, hoodFlagged: hood.flagged.count, hoodOmitted: hood.omitted, hasHoodOmitted: hood.omitted > 0)
    }
}

struct CasebookHitView {
    var cbCase: String
    var cbSource: String?
    var cbWhat: String
    var cbWhen: String?
    var cbRoles: String?
    var cbFindings: String?
}

struct ValidityWindow {
    var validFrom: String
    var validUntil: String
}

struct ValidityCheckView {
    var inside: Int
    var outside: Int
    var undetermined: Int
    var hasUndetermined: Bool
    var onlyOutside: Bool
}

struct EventView {
    var eventTime: String
    var eventAction: String
    var eventLocator: String
    var eventAccount: String?
    var eventRecord: String?
    var eventDevice: String?
    var eventSession: String?
    /// For a record without a usable address: what it wrote in the address's place.
    var addressWritten: String? = nil
}
