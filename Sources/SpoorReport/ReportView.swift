import Foundation
import SpoorAnalysis
import SpoorCase
import SpoorStore
import SpoorCore

/// The values the report templates show, as Mustache reads them: dictionaries, arrays, strings,
/// numbers and booleans. No words here — those live in the templates — only data, already cut to
/// a readable length; the template's `{{name}}` form escapes it for HTML.
///
/// Keys are unique across levels on purpose: Mustache looks a missing key up in the enclosing
/// context, so a record without (say) a `detail` must not pick up its parent's.
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
    ) throws -> [String: Any] {
        let c = document.case
        var view: [String: Any] = [
            "caseTitle": c.title,
            "caseCreated": c.createdAt,
            "generatedAt": document.generatedAt,
            "spoorVersion": document.spoorVersion,
            "analysed": document.analysis != nil,
            "findingCount": document.findings.count,
            "addressCount": overview.count,
            "evidenceCount": document.evidence.count,
            "redacted": redaction != nil,
            "pdf": pdfRequested,
            "quotedPerAddress": quotedRecordsPerAddress,
            "pageFooter": footer([c.title, c.reference].compactMap { $0 }.joined(separator: " · ")),
        ]
        view["examiner"] = c.examiner
        view["organisation"] = c.organisation
        view["reference"] = c.reference

        // Summary: findings by severity, most severe first.
        let bySeverity = Dictionary(grouping: document.findings, by: \.severity)
        view["severityCounts"] = Finding.Severity.allCases.reversed().compactMap { severity -> [String: Any]? in
            guard let n = bySeverity[severity]?.count else { return nil }
            return ["severityName": severity.rawValue, "severityCount": n]
        }
        let shown = pageFindings(document.findings)
        view["findings"] = shown.map(findingView)
        view["findingsShown"] = shown.count
        view["findingsOmitted"] = document.findings.count - shown.count
        view["hasFindingsOmitted"] = shown.count < document.findings.count
        view["hasFindings"] = !document.findings.isEmpty
        view["rulesUsed"] = Array(Set(document.findings.map(\.rule))).sorted().map {
            ["ruleName": $0.rawValue, ruleFlag($0): true]
        }

        // Timeline.
        let svg = timeline.svg()
        view["timelineSVG"] = svg
        view["hasTimeline"] = !svg.isEmpty
        view["timelineFrom"] = timeline.spanText.from
        view["timelineTo"] = timeline.spanText.to
        view["timelinePlaced"] = timeline.placed
        view["timelineUnplaced"] = timeline.unplaced
        view["timelineHasUnplaced"] = timeline.unplaced > 0
        view["timelineMarked"] = timeline.markers.count

        let detailed = overview.detailed
        view["addresses"] = try detailed.map { try addressView($0, store: store, redaction: redaction) }
        view["hasAddresses"] = overview.count > 0
        view["addressesShown"] = detailed.count
        view["addressesOmitted"] = overview.omitted
        view["hasAddressesOmitted"] = overview.omitted > 0

        let (unaddressed, unaddressedTotal) = try store.eventsWithoutAddress(limit: 200)
        view["unaddressed"] = unaddressed.map { original -> [String: Any] in
            let event = redaction?.event(original) ?? original
            var row = eventView(event)
            if let raw = event.ipRaw { row["addressWritten"] = SafeText.excerpt(raw, limit: 64) }
            return row
        }
        view["hasUnaddressed"] = unaddressedTotal > 0
        view["unaddressedMore"] = unaddressedTotal > unaddressed.count ? unaddressedTotal - unaddressed.count : 0
        view["hasUnaddressedMore"] = unaddressedTotal > unaddressed.count

        let generatedText = document.generatedAt
        let generatedAt = Timestamp.parseISO8601(generatedText)?.sortKey
        view["evidence"] = try document.evidence.map { item -> [String: Any] in
            var row: [String: Any] = [
                "evidenceName": item.member.map { "\(item.path)!\($0)" } ?? item.path,
                "evidenceSHA256": item.sha256, "evidenceSize": item.size, "evidenceStatus": item.status,
                "evidenceFormat": (item.parser ?? item.format ?? "—") + (item.parserVersion.map { " v\($0)" } ?? ""),
                "evidenceRecords": item.records, "evidenceKept": item.observations, "evidenceIgnored": item.ignored,
                "evidenceMalformed": item.malformed, "hasMalformed": item.malformed > 0, "evidenceWarningCount": item.warnings,
            ]
            row["evidenceDetail"] = item.detail.map { SafeText.excerpt($0, limit: 300) }
            var notes = item.notes ?? []
            if let generated = generatedAt, let late = try store.recordsDated(after: generated, sha256: item.sha256), late > 0 {
                notes.append(
                    "\(late) record(s) are dated after this annex was written (\(generatedText)), which cannot be right as read.")
            }
            row["evidenceNotes"] = notes.map { ["noteText": redaction?.text($0) ?? $0] }
            let warnings = (item.warnings > 0 ? try store.warnings(sha256: item.sha256) : []).map { redaction?.text($0) ?? $0 }
            row["evidenceWarnings"] = warnings.prefix(5).map { ["warningText": SafeText.excerpt($0, limit: 240)] }
            row["evidenceWarningsMore"] = max(0, warnings.count - 5)
            row["hasEvidenceWarningsMore"] = warnings.count > 5
            return row
        }

        // Methods: the rules and settings the analysis ran with (an analysis older than stated
        // settings ran with the defaults, which have not changed).
        let rules = document.analysis?.rules ?? RuleRegistry.standard().map(\.stated)
        view["methodRules"] = rules.map { rule -> [String: Any] in
            [
                "ruleID": rule.id.rawValue, "ruleSummary": rule.summary, "ruleReads": rule.reads,
                "ruleDoesNotShow": rule.doesNotShow,
                "hasRuleReads": !rule.reads.isEmpty, "hasRuleDoesNotShow": !rule.doesNotShow.isEmpty,
                "hasRuleTunables": !rule.tunables.isEmpty,
                "ruleTunables": rule.tunables.map {
                    ["tunableName": $0.name, "tunableValue": $0.value.description, "tunableMeaning": $0.meaning]
                },
            ]
        }
        let sessions = document.analysis?.sessions ?? Sessioning.tunables
        view["sessionGap"] = sessions.first { $0.name == "gap" }?.value.description ?? ""

        // Reference data: what the analysis read, each by hash.
        if let analysis = document.analysis {
            view["databases"] = analysis.databases.map {
                ["dbType": $0.databaseType, "dbBuilt": $0.buildDate, "dbFile": $0.fileName, "dbSHA256": $0.sha256]
                    as [String: Any]
            }
            if let intel = analysis.intel {
                view["indicatorSet"] =
                    [
                        "setHash": intel.contentHash, "setIndicators": intel.indicators, "setRecords": intel.provenanceRecords,
                        "setSources": intel.sources.map { ["setSource": $0] },
                    ] as [String: Any]
            }
        }
        let registries = overview.registries
        let warninglists = overview.warninglists
        view["registries"] = registries.keys.sorted().compactMap { registries[$0] }
        view["warninglists"] = warninglists.keys.sorted().compactMap { warninglists[$0] }
        view["noReferenceData"] =
            (document.analysis?.databases.isEmpty ?? true) && document.analysis?.intel == nil && registries.isEmpty
        return clean(view) as? [String: Any] ?? view
    }

    /// Every string of the view with control characters (terminal escapes, bidirectional
    /// overrides) shown as visible escapes; the template then escapes the markup. The timeline
    /// is SVG that Spoor wrote, escaped as it was built.
    static func clean(_ value: Any, key: String = "") -> Any {
        switch value {
        case let text as String: return key == "timelineSVG" ? text : SafeText.terminal(text)
        case let map as [String: Any]: return Dictionary(uniqueKeysWithValues: map.map { ($0.key, clean($0.value, key: $0.key)) })
        case let list as [[String: Any]]: return list.map { clean($0) }
        case let list as [Any]: return list.map { clean($0) }
        default: return value
        }
    }

    /// A rule name as a flag the template can branch on: `rule_indicator_match`.
    static func ruleFlag(_ rule: RuleID) -> String { "rule_" + rule.rawValue }

    static func findingView(_ finding: Finding) -> [String: Any] {
        var view: [String: Any] = [
            "findingID": finding.id, "findingSeverity": finding.severity.rawValue, "findingRule": finding.rule.rawValue,
            "findingStatement": finding.statement,
            "findingAddresses": finding.addresses.map { ["findingAddress": $0.description] },
            "findingIndicators": finding.indicators.map { ["findingIndicator": SafeText.excerpt($0, limit: 200)] },
            "findingLocators": finding.locators.prefix(locatorsPerFinding).map { ["findingLocator": $0.description] },
            "findingLocatorCount": finding.locators.count,
            "hasFindingLocators": !finding.locators.isEmpty,
            "hasFindingLocatorsMore": finding.locators.count > locatorsPerFinding,
            "findingLocatorsMore": max(0, finding.locators.count - locatorsPerFinding),
            "severityIsHigh": finding.severity == .high,
        ]
        view[ruleFlag(finding.rule)] = true
        return view
    }

    /// Text safe inside a CSS string (the page footer): letters, digits and plain punctuation.
    static func footer(_ text: String) -> String {
        let allowed = Set(" .,:;-_/#()+·")
        return String(SafeText.excerpt(text, limit: 90).filter { $0.isLetter || $0.isNumber || allowed.contains($0) })
    }

    /// One address in detail; `original` as the case holds it (its records are looked up by it),
    /// shown redacted when the annex is.
    static func addressView(_ original: SubjectIP, store: CaseStore, redaction: Redaction?) throws -> [String: Any] {
        let s = redaction?.subject(original) ?? original
        var view: [String: Any] = [
            "ip": s.ip, "anchor": "ip-" + s.ip.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined(),
            "addressClass": s.addressClass.rawValue, "occurrences": s.occurrences, "records": s.records,
            "seenRanges": [
                s.firstSeen.map { "\($0) – \(s.lastSeen ?? "")" }, s.zonelessFirst.map { "\($0) – \(s.zonelessLast ?? "")" },
            ]
            .compactMap { $0.map { ["seenRange": $0] } },
            "hasZoneless": s.zonelessFirst != nil,
            "sources": s.bySource.sorted { $0.key < $1.key }.map {
                ["sourceName": $0.key, "sourceCount": $0.value] as [String: Any]
            },
            "actions": s.byAction.sorted { $0.key < $1.key }.map {
                ["actionName": $0.key, "actionCount": $0.value] as [String: Any]
            },
            "accounts": s.accounts.map { ["accountName": SafeText.excerpt($0, limit: 80)] },
            "reachedAs": (s.reachedAs ?? []).map { ["reachedName": SafeText.excerpt($0, limit: 120)] },
            "hasIndicatorHits": !s.indicatorHits.isEmpty,
        ]
        view["specialPurpose"] = s.specialPurpose
        view["enrichment"] = s.enrichment.map { a -> [String: Any] in
            [
                "enrichSummary": SafeText.excerpt(a.summary, limit: 200), "enrichNetwork": a.network.description,
                "enrichDBType": a.source.databaseType, "enrichBuilt": a.source.buildDate,
                "enrichFile": a.source.fileName, "enrichSHA256": a.source.sha256,
                "enrichSHA256Short": String(a.source.sha256.prefix(16)),
            ]
        }
        view["registry"] = (s.registry ?? []).map { r -> [String: Any] in
            [
                "registrySummary": SafeText.excerpt(r.summary, limit: 300),
                "registryFrom": SafeText.excerpt(r.source.fileName, limit: 80),
                "registryDate": r.source.asOf, "registryHashShort": String(r.source.sha256.prefix(16)),
            ]
        }
        view["warninglistHits"] = (s.warninglists ?? []).map { w -> [String: Any] in
            [
                "hitList": SafeText.excerpt(w.name, limit: 120), "hitListVersion": w.version,
                "hitEntry": SafeText.excerpt(w.entry, limit: 120),
            ]
        }
        view["indicatorHits"] = s.indicatorHits.map { hit -> [String: Any] in
            var h: [String: Any] = [
                "hitType": hit.type, "hitValue": SafeText.excerpt(hit.value, limit: 200), "hitMatchedBy": hit.matchedBy,
                "citations": hit.provenance.map { p -> [String: Any] in
                    var cite: [String: Any] = ["citeSource": SafeText.excerpt(p.source, limit: 160)]
                    cite["citeTitle"] = p.title.map { SafeText.excerpt($0, limit: 200) }
                    cite["citeReference"] = p.reference.map { SafeText.excerpt($0, limit: 300) }
                    cite["citePublished"] = p.published
                    cite["citeFirstSeen"] = p.firstSeen
                    cite["citeLastSeen"] = p.lastSeen
                    cite["citeConfidence"] = p.confidence
                    cite["citeTLP"] = p.tlp
                    cite["citeCampaign"] = p.campaign.map { SafeText.excerpt($0, limit: 120) }
                    if p.validFrom != nil || p.validUntil != nil {
                        cite["citeValidity"] = ["validFrom": p.validFrom ?? "…", "validUntil": p.validUntil ?? "…"]
                    }
                    return cite
                },
            ]
            if let check = hit.validity {
                h["validityCheck"] =
                    [
                        "inside": check.inside, "outside": check.outside, "undetermined": check.undetermined,
                        "hasUndetermined": check.undetermined > 0, "onlyOutside": check.onlyOutside,
                    ] as [String: Any]
            }
            return h
        }
        let events = try store.events(ip: original.ip, limit: quotedRecordsPerAddress)
        view["events"] = events.map { eventView(redaction?.event($0) ?? $0) }
        view["eventsMore"] = max(0, s.records - events.count)
        view["hasEventsMore"] = s.records > events.count
        return view
    }

    static func eventView(_ event: StoredEvent) -> [String: Any] {
        var row: [String: Any] = [
            "eventTime": event.displayTime, "eventAction": event.action,
            "eventLocator": event.locator.description,
        ]
        row["eventAccount"] = event.account.map { SafeText.excerpt($0, limit: 60) }
        let what = [event.rawAction, event.count > 1 ? "×\(event.count)" : nil].compactMap { $0 }.joined(separator: " ")
        row["eventRecord"] = what.isEmpty ? nil : SafeText.excerpt(what, limit: 120)
        row["eventDevice"] = event.userAgentSummary.map { SafeText.excerpt($0, limit: 80) }
        row["eventSession"] = event.session
        return row
    }
}
