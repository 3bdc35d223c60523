import Foundation
import SpoorCase
import SpoorCore

/// A plain, self-contained HTML page of the findings: no scripts, no external resources, every
/// evidence string escaped. The full evidence annex (issue 7) grows from this.
public enum HTMLReport {
    /// How many supporting records are quoted per address on the page (all are in findings.json).
    public static let quotedRecordsPerAddress = 25

    public static func render(_ document: FindingsDocument, store: CaseStore) throws -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(document.case.title)) — Spoor findings</title>
            <style>
            body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 60rem; padding: 0 1rem; color: #1b1b1b; }
            h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { border-bottom: 1px solid #ccc; margin-top: 2rem; }
            table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .9rem; }
            th, td { border: 1px solid #ddd; padding: .3rem .45rem; text-align: left; vertical-align: top; }
            th { background: #f3f3f3; } code, .mono { font-family: ui-monospace, monospace; font-size: .85rem; word-break: break-all; }
            td.addr { white-space: nowrap; word-break: normal; }
            .finding { border-left: 4px solid #b00020; padding: .4rem .8rem; margin: .8rem 0; background: #fff5f5; }
            .sev { font-weight: bold; text-transform: uppercase; font-size: .8rem; }
            .muted { color: #666; } .hit { color: #b00020; font-weight: bold; }
            @media print { body { max-width: none; } .finding { break-inside: avoid; } }
            </style>
            </head>
            <body>
            <h1>\(e(document.case.title))</h1>
            <p class="muted">Spoor \(e(document.spoorVersion)) · generated \(e(document.generatedAt))</p>
            <table>
            <tr><th>Examiner</th><td>\(e(document.case.examiner ?? "—"))</td></tr>
            <tr><th>Organisation</th><td>\(e(document.case.organisation ?? "—"))</td></tr>
            <tr><th>Reference</th><td>\(e(document.case.reference ?? "—"))</td></tr>
            <tr><th>Case created</th><td>\(e(document.case.createdAt))</td></tr>
            </table>

            """
        html += "<h2>Findings</h2>\n"
        if document.analysis == nil {
            html += "<p>The case has not been analysed: run <code>spoor analyze</code> first.</p>\n"
        } else if document.findings.isEmpty {
            html += "<p>No address in the evidence matches an indicator in the indicator store.</p>\n"
        }
        for finding in document.findings {
            html += "<div class=\"finding\" id=\"\(e(finding.id))\"><span class=\"sev\">\(e(finding.severity.rawValue))</span> "
            html += "<strong>\(e(finding.id))</strong> <span class=\"muted\">(\(e(finding.rule)))</span>"
            html += "<p>\(e(finding.statement))</p>"
            if !finding.locators.isEmpty {
                html += "<p class=\"muted\">Supporting records: "
                html += finding.locators.prefix(10).map { "<code>\(e($0.description))</code>" }.joined(separator: ", ")
                if finding.locators.count > 10 { html += ", …" }
                html += "</p>"
            }
            html += "</div>\n"
        }

        html += "<h2>Addresses</h2>\n"
        html += "<p>\(document.subjects.count) distinct address(es). Times are UTC; a time whose source gave no zone is shown as written and marked “no zone”.</p>\n"
        html += "<table><tr><th>Address</th><th>Class</th><th>Seen</th><th>Sources</th><th>Network holder</th><th>Indicators</th></tr>\n"
        for entry in document.subjects {
            let s = entry.subject
            let seen = [s.firstSeen.map { "\($0) – \(s.lastSeen ?? "")" }, s.zonelessFirst.map { "\($0) – \(s.zonelessLast ?? "")" }]
                .compactMap { $0 }.joined(separator: "<br>")
            let sources = s.bySource.sorted { $0.key < $1.key }.map { "\(e($0.key)) ×\($0.value)" }.joined(separator: "<br>")
            let holders = s.enrichment.map { "\(e($0.summary)) <span class=\"muted\">(\(e($0.source.databaseType)), \(e($0.source.buildDate)))</span>" }
                .joined(separator: "<br>")
            let hits = s.indicatorHits.map { "<span class=\"hit\">\(e($0.type)) \(e($0.value))</span>" }.joined(separator: "<br>")
            html += "<tr><td class=\"mono addr\"><a href=\"#ip-\(e(s.ip))\">\(e(s.ip))</a></td><td>\(e(s.addressClass.rawValue))</td>"
            html += "<td class=\"mono\">\(seen)</td><td>\(sources)</td><td>\(holders.isEmpty ? "—" : holders)</td><td>\(hits.isEmpty ? "—" : hits)</td></tr>\n"
        }
        html += "</table>\n"

        for entry in document.subjects {
            let s = entry.subject
            html += "<h3 id=\"ip-\(e(s.ip))\" class=\"mono\">\(e(s.ip))</h3>\n<ul>"
            html += "<li>Class: \(e(s.addressClass.rawValue))\(s.specialPurpose.map { " — \(e($0))" } ?? "")</li>"
            html += "<li>\(s.occurrences) occurrence(s) in \(s.records) record(s)"
            html += "; actions: " + s.byAction.sorted { $0.key < $1.key }.map { "\(e($0.key)) ×\($0.value)" }.joined(separator: ", ") + "</li>"
            for w in s.warninglists ?? [] {
                html += "<li>Warninglist (context, not a verdict): \(e(SafeText.excerpt(w.name, limit: 120))), version \(e(w.version)), entry <code>\(e(w.entry))</code></li>"
            }
            for r in s.registry ?? [] {
                html += "<li>Registry (\(e(SafeText.excerpt(r.source.fileName, limit: 80))), SHA-256 <code>\(e(String(r.source.sha256.prefix(16))))…</code>): \(e(SafeText.excerpt(r.summary, limit: 300)))</li>"
            }
            if let names = s.reachedAs, !names.isEmpty {
                html += "<li>Reached as (in captures): " + names.map { "<code>\(e(SafeText.excerpt($0, limit: 120)))</code>" }.joined(separator: ", ") + "</li>"
            }
            if !s.accounts.isEmpty {
                html += "<li>Accounts: " + s.accounts.map { "<code>\(e(SafeText.excerpt($0, limit: 80)))</code>" }.joined(separator: ", ") + "</li>"
            }
            for answer in s.enrichment {
                html += "<li>\(e(answer.summary)) in \(e(answer.network.description)) — \(e(answer.source.databaseType)) built \(e(answer.source.buildDate)), <code>\(e(answer.source.fileName))</code> SHA-256 <code>\(e(answer.source.sha256))</code></li>"
            }
            for hit in s.indicatorHits {
                for p in hit.provenance {
                    html += "<li class=\"hit\">Indicator \(e(hit.type)) \(e(hit.value)) (matched by \(e(hit.matchedBy))): \(e(p.source))"
                    if let r = p.reference { html += ", \(e(r))" }
                    if let f = p.firstSeen { html += ", first seen \(e(f))" }
                    if let c = p.confidence { html += ", confidence \(c)" }
                    if p.validFrom != nil || p.validUntil != nil { html += ", valid \(e(p.validFrom ?? "…")) until \(e(p.validUntil ?? "…"))" }
                    html += "</li>"
                }
                if let check = hit.validity {
                    html += "<li>Against the validity window(s): \(check.inside) occurrence(s) inside, \(check.outside) outside"
                        + (check.undetermined > 0 ? ", \(check.undetermined) without a time zone (cannot be placed)" : "")
                        + (check.onlyOutside ? " — seen only outside the period the source gives" : "") + "</li>"
                }
            }
            html += "</ul>\n<table><tr><th>Time (UTC)</th><th>Action</th><th>Account</th><th>Record</th><th>Where</th></tr>\n"
            let events = try store.events(ip: s.ip, limit: quotedRecordsPerAddress)
            for event in events {
                let what = [event.rawAction, event.count > 1 ? "×\(event.count)" : nil].compactMap { $0 }.joined(separator: " ")
                html += "<tr><td class=\"mono\">\(e(event.displayTime))</td><td>\(e(event.action))</td>"
                html += "<td>\(e(SafeText.excerpt(event.account ?? "", limit: 60)))</td><td>\(e(SafeText.excerpt(what, limit: 120)))</td>"
                html += "<td class=\"mono\">\(e(event.locator.description))</td></tr>\n"
            }
            html += "</table>\n"
            if s.records > events.count {
                html += "<p class=\"muted\">\(s.records - events.count) more record(s) listed in findings.json.</p>\n"
            }
        }

        let (unaddressed, unaddressedTotal) = try store.eventsWithoutAddress(limit: 200)
        if unaddressedTotal > 0 {
            html += "<h2>Records without an address</h2>\n<p>Account events that name no address, shown for their time and account.</p>\n"
            html += "<table><tr><th>Time (UTC)</th><th>Action</th><th>Account</th><th>Record</th><th>Where</th></tr>\n"
            for event in unaddressed {
                html += "<tr><td class=\"mono\">\(e(event.displayTime))</td><td>\(e(event.action))</td>"
                html += "<td>\(e(SafeText.excerpt(event.account ?? "", limit: 60)))</td><td>\(e(SafeText.excerpt(event.rawAction ?? "", limit: 120)))"
                if let raw = event.ipRaw { html += " <span class=\"muted\">(address written as \(e(SafeText.excerpt(raw, limit: 64))))</span>" }
                html += "</td><td class=\"mono\">\(e(event.locator.description))</td></tr>\n"
            }
            html += "</table>\n"
            if unaddressedTotal > unaddressed.count {
                html += "<p class=\"muted\">\(unaddressedTotal - unaddressed.count) more; see <code>spoor events</code>.</p>\n"
            }
        }

        html += "<h2>Evidence</h2>\n<table><tr><th>File</th><th>SHA-256</th><th>Size</th><th>Format</th><th>Records</th><th>Status</th></tr>\n"
        for item in document.evidence {
            let name = item.member.map { "\(item.path)!\($0)" } ?? item.path
            let counts = "\(item.observations) kept of \(item.records)" + (item.malformed > 0 ? ", \(item.malformed) unreadable" : "")
            html += "<tr><td class=\"mono\">\(e(name))</td><td class=\"mono\">\(e(item.sha256))</td><td>\(item.size)</td>"
            html += "<td>\(e(item.parser ?? item.format ?? "—"))\(item.parserVersion.map { " v\(e($0))" } ?? "")</td><td>\(counts)</td>"
            html += "<td>\(e(item.status))\(item.detail.map { ": \(e($0))" } ?? "")</td></tr>\n"
        }
        html += "</table>\n"

        html += "<h2>Reference data</h2>\n<ul>"
        if let analysis = document.analysis {
            for db in analysis.databases {
                html += "<li>\(e(db.databaseType)) built \(e(db.buildDate)): <code>\(e(db.fileName))</code> SHA-256 <code>\(e(db.sha256))</code></li>"
            }
            if let intel = analysis.intel {
                html += "<li>Indicator set version <code>\(e(intel.contentHash))</code>: \(intel.indicators) indicator(s), \(intel.provenanceRecords) provenance record(s) from \(intel.sources.map(e).joined(separator: ", "))</li>"
            }
            if analysis.databases.isEmpty && analysis.intel == nil { html += "<li>None was used.</li>" }
        }
        html += "</ul>\n"
        html += """
            <h2>What an IP address does and does not show</h2>
            <p>An address identifies the network endpoint that reached a service, not a person. It may belong to a VPN,
            a proxy, a mobile carrier that puts many subscribers behind one address (carrier-grade NAT), or a platform's
            own relay. Who held an address is given as of the date of the reference data cited beside each answer.</p>
            </body>
            </html>

            """
        return html
    }

    static func e(_ text: String) -> String { SafeText.html(text) }
}
