import Crypto
import Foundation
import SpoorCapture
import SpoorAnalysis
import SpoorCase
import SpoorStore
import SpoorCore

/// `spoor report --redact`: an annex that can be shared beyond the case, with the account
/// holder's side replaced by stable pseudonyms and the attacker's side kept.
///
/// Kept as they are: every address that supports a finding (other than `account_and_capture`
/// alone, which can be the holder's own address) or matches an indicator, with its enrichment,
/// registry answers and indicator citations. Replaced: account names and keys, every other
/// address (wherever it is written, in fields or in free text), e-mail addresses in free text,
/// evidence file names, the case's title and reference, and the user agents, device summaries
/// and reached-as names of the holder's own addresses. Flows that touch no kept address (the holder's own traffic) are left
/// out of `flows.csv`; in the rest, the other endpoint is replaced and the Community ID (a hash
/// of both endpoints) is blanked.
///
/// A pseudonym is `kind-` and 8 hex digits of HMAC-SHA256 under the case's redaction key, so the
/// same value has the same pseudonym throughout the case and a guess cannot be tested without
/// the case.
public struct Redaction {
    let key: SymmetricKey
    /// Addresses shown as they are.
    public let kept: Set<String>
    /// Account names and keys, longest first, replaced as whole words in free text.
    let accounts: [String]
    /// `findings`: the analysis's findings, whose addresses (but for `account_and_capture`
    /// alone) are kept; an address an indicator covers always has an `indicator_match` finding.
    public init(key: [UInt8], store: CaseStore, findings: [Finding]) throws {
        self.key = SymmetricKey(data: key)
        var kept: Set<String> = []
        for finding in findings where finding.rule != .accountAndCapture {
            for address in finding.addresses { kept.insert(address.description) }
        }
        self.kept = kept
        self.accounts = try store.accountNames().sorted { ($0.count, $0) > ($1.count, $1) }
    }

    public func pseudonym(_ kind: String, _ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data((kind + "\u{0}" + value).utf8), using: key)
        return kind + "-" + hex(Data(mac).prefix(4))
    }

    /// The address as the redacted annex writes it.
    public func address(_ ip: String) -> String { kept.contains(ip) ? ip : pseudonym("ip", ip) }

    func account(_ name: String) -> String { pseudonym("account", name) }

    /// An evidence path: its file name becomes a pseudonym (keeping the extension, which says
    /// what kind of file it was); the folder is dropped.
    func path(_ path: String) -> String {
        let name = (path as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension
        return pseudonym("file", name) + (ext.isEmpty ? "" : "." + ext)
    }

    /// Free text with every address that is not kept, every account name and every e-mail
    /// address replaced.
    public func text(_ text: String) -> String {
        var out = replaceAddresses(in: text)
        for name in accounts where out.contains(name) { out = Self.replaceWhole(name, in: out, with: account(name)) }
        return replaceEmails(in: out)
    }

    /// Runs of address characters that parse as an address and are not kept are replaced.
    private func replaceAddresses(in text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }) else { return text }
        var out = ""
        var run = ""
        func flush() {
            if !run.isEmpty {
                var candidate = Substring(run)
                while let last = candidate.last, last == "." || last == ":" { candidate = candidate.dropLast() }
                if let ip = IPAddress(candidate), !kept.contains(ip.description) {
                    out += pseudonym("ip", ip.description) + run.dropFirst(candidate.count)
                } else {
                    out += run
                }
                run = ""
            }
        }
        for ch in text {
            if ch.isHexDigit || ch == "." || ch == ":" {
                run.append(ch)
            } else {
                flush()
                out.append(ch)
            }
        }
        flush()
        return out
    }

    private static let emailPattern = try! NSRegularExpression(pattern: "[A-Za-z0-9._%+\\-]+@[A-Za-z0-9.\\-]+\\.[A-Za-z]{2,}")

    private func replaceEmails(in text: String) -> String {
        guard text.contains("@") else { return text }
        let ns = text as NSString
        var out = ""
        var last = 0
        for match in Self.emailPattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            out += ns.substring(with: NSRange(location: last, length: match.range.location - last))
            out += pseudonym("email", ns.substring(with: match.range).lowercased())
            last = match.range.location + match.range.length
        }
        return out + ns.substring(from: last)
    }

    /// Replaces `needle` where it stands as a whole word (not inside a longer name or address).
    static func replaceWhole(_ needle: String, in text: String, with replacement: String) -> String {
        func isWordCharacter(_ c: Character?) -> Bool {
            guard let c else { return false }
            return c.isLetter || c.isNumber || c == "_" || c == "." || c == "@" || c == "-"
        }
        var out = ""
        var rest = Substring(text)
        while let range = rest.range(of: needle) {
            let before = range.lowerBound > rest.startIndex ? rest[rest.index(before: range.lowerBound)] : out.last
            let after = range.upperBound < rest.endIndex ? rest[range.upperBound] : nil
            out += rest[..<range.lowerBound]
            out += isWordCharacter(before) || isWordCharacter(after) ? String(rest[range]) : replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }

    // MARK: Records

    func locator(_ l: Locator) -> Locator {
        Locator(evidenceSHA256: l.evidenceSHA256, path: path(l.path), member: l.member.map(text), position: l.position)
    }

    public func event(_ e: StoredEvent) -> StoredEvent {
        var r = e
        let isKept = e.ip.map(kept.contains) ?? false
        r.ip = e.ip.map(address)
        r.ipRaw = e.ipRaw.map(text)
        r.rawAction = e.rawAction.map(text)
        r.account = e.account.map(account)
        r.accountKey = e.accountKey.map(account)
        r.timeRaw = e.timeRaw.map(text)
        if !isKept {
            r.userAgent = e.userAgent == nil ? nil : pseudonym("device", e.userAgent ?? "")
            r.userAgentSummary = nil
        }
        r.fields = [:]
        r.locator = locator(e.locator)
        return r
    }

    func subject(_ s: SubjectIP) -> SubjectIP {
        var r = s
        r.ip = address(s.ip)
        r.accounts = s.accounts.map(account)
        // Other cases of the casebook are named by pseudonym only.
        r.casebookHits = s.casebookHits?.map { hit in
            var named = hit
            named.caseName = hit.pseudonym
            return named
        }
        if !kept.contains(s.ip) {
            // Where the holder was is private: their addresses keep only their class.
            r.enrichment = []
            r.registry = nil
            r.reachedAs = nil
            // Who held it then, whether it was an exit, and the names it carried say where too.
            r.heldAt = nil
            r.torExit = nil
            r.passiveDNS = nil
            r.databasesAt = nil
        }
        return r
    }

    /// Text with every casebook case named `REFERENCE (C-1234ABCD)` named by its pseudonym only:
    /// a redacted annex does not say which of the helpline's other cases it met.
    static func casebookPseudonyms(_ text: String) -> String {
        guard text.contains("(C-") else { return text }
        return text.replacing(/[^\s()]+ \((C-[0-9A-F]{8})\)/) { match in String(match.output.1) }
    }

    func finding(_ f: Finding) -> Finding {
        var r = f
        r.statement = Self.casebookPseudonyms(text(f.statement))
        r.indicators = f.indicators.map { Self.casebookPseudonyms(text($0)) }
        r.locators = f.locators.map(locator)
        return r
    }

    func evidence(_ e: StoredEvidence) -> StoredEvidence {
        var r = e
        r.path = path(e.path)
        r.member = e.member.map(text)
        r.detail = e.detail.map(text)
        return r
    }

    /// The findings document, redacted (its subjects are redacted one by one as they are written).
    func document(_ d: FindingsDocument) -> FindingsDocument {
        var r = d
        // The case's own words may name the account holder ("Takeover of A. Example's
        // account"): its title and reference become pseudonyms too. The examiner and their
        // organisation, who share the annex, stay.
        r.case.title = "Redacted case " + pseudonym("case", d.case.title)
        r.case.reference = d.case.reference.map { pseudonym("reference", $0) }
        r.evidence = d.evidence.map(evidence)
        r.findings = d.findings.map(finding)
        r.analysis?.findings = r.findings
        r.redacted = true
        return r
    }

    /// Whether a flow goes into the redacted `flows.csv`: only those touching a kept address.
    func keeps(_ flow: Flow) -> Bool {
        kept.contains(flow.originator.description) || kept.contains(flow.responder.description)
    }
}
