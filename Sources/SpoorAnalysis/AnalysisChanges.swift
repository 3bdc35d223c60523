import Foundation
import SpoorCore
import SpoorEnrichment

/// A dated reference file the analysis read from the reference store: a registry snapshot
/// (RPSL, iptoasn, pfx2as, as2org, a Tor exit list) or a passive DNS file, by name, hash and date.
public struct ReferenceSnapshot: Hashable, Sendable, Codable, Comparable {
    /// `registry` or `passive DNS`.
    public var kind: String
    public var format: String
    public var fileName: String
    public var sha256: String
    /// The date the data describes (registry), or when it was imported (passive DNS).
    public var asOf: String

    public init(kind: String, format: String, fileName: String, sha256: String, asOf: String) {
        self.kind = kind
        self.format = format
        self.fileName = fileName
        self.sha256 = sha256
        self.asOf = asOf
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.kind, a.asOf, a.fileName, a.sha256) < (b.kind, b.asOf, b.fileName, b.sha256)
    }

    public var words: String { "\(kind) \(format) \(fileName) as of \(asOf) (SHA-256 \(sha256.prefix(16))…)" }
}

/// What changed between two analyses of a case: findings added, removed or reworded (a finding
/// is the same when its rule and addresses are), and the reference data that changed — why a
/// re-run after a new import says something else. An annex already written is not touched: it
/// is the earlier analysis's, and a new `report` is needed for the new one.
public struct AnalysisChanges: Sendable {
    public var added: [Finding] = []
    public var removed: [Finding] = []
    /// The earlier and the new finding.
    public var changed: [(before: Finding, after: Finding)] = []
    /// Reference data now read that the earlier analysis did not, and the reverse.
    public var referenceAdded: [String] = []
    public var referenceRemoved: [String] = []

    public var isEmpty: Bool {
        added.isEmpty && removed.isEmpty && changed.isEmpty && referenceAdded.isEmpty && referenceRemoved.isEmpty
    }

    public init(from before: AnalysisSummary, to after: AnalysisSummary) {
        func key(_ f: Finding) -> String {
            f.rule.rawValue + " " + f.addresses.map(\.description).sorted().joined(separator: ",")
        }
        var earlier: [String: [Finding]] = [:]
        for f in before.findings { earlier[key(f), default: []].append(f) }
        for f in after.findings {
            if var list = earlier[key(f)], !list.isEmpty {
                let previous = list.removeFirst()
                earlier[key(f)] = list
                if previous.statement != f.statement || previous.severity != f.severity { changed.append((previous, f)) }
            } else {
                added.append(f)
            }
        }
        removed = before.findings.filter { f in earlier[key(f)]?.contains(f) == true }
        func references(_ s: AnalysisSummary) -> Set<String> {
            var all = Set(
                s.databases.map {
                    "database \($0.databaseType) \($0.fileName) built \($0.buildDate) (SHA-256 \($0.sha256.prefix(16))…)"
                })
            all.formUnion((s.referenceSnapshots ?? []).map(\.words))
            if let intel = s.intel {
                all.insert("indicator set version \(intel.contentHash.prefix(16))… (\(intel.indicators) indicators)")
            }
            if let book = s.casebook, book.cases > 0 {
                all.insert("casebook version \(book.contentHash.prefix(16))… (\(book.cases) cases)")
            }
            return all
        }
        let was = references(before)
        let now = references(after)
        referenceAdded = now.subtracting(was).sorted()
        referenceRemoved = was.subtracting(now).sorted()
    }

    /// Lines for the terminal.
    public var lines: [String] {
        guard !isEmpty else { return ["Since the previous analysis: the same findings, from the same reference data."] }
        var out = [
            "Since the previous analysis: \(added.count) finding(s) added, \(removed.count) removed, \(changed.count) reworded or regraded."
        ]
        for f in added { out.append("  added \(f.id) [\(f.severity.rawValue)] \(f.rule.rawValue) \(Self.addresses(f))") }
        for f in removed {
            out.append("  removed (was \(f.id)) [\(f.severity.rawValue)] \(f.rule.rawValue) \(Self.addresses(f))")
        }
        for (a, b) in changed {
            out.append(
                "  changed \(b.id) (was \(a.id)) \(b.rule.rawValue) \(Self.addresses(b))"
                    + (a.severity != b.severity ? ": \(a.severity.rawValue) → \(b.severity.rawValue)" : ": its statement"))
        }
        for r in referenceAdded { out.append("  reference data now read: \(r)") }
        for r in referenceRemoved { out.append("  reference data no longer read: \(r)") }
        out.append("  An annex written before is unchanged; write a new one with 'spoor report'.")
        return out
    }

    static func addresses(_ f: Finding) -> String {
        let list = f.addresses.prefix(3).map(\.description).joined(separator: ", ")
        return f.addresses.count > 3 ? list + " and \(f.addresses.count - 3) more" : list
    }
}
