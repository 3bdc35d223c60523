import Foundation
import SpoorAnalysis
import SpoorCase
import SpoorStore
import SpoorCore

/// Writes one subject of `findings.json` at a time: the subject itself, then its supporting
/// records grouped by evidence item, the positions streamed from the case as they are read.
/// A group is one line of JSON; the keys are in sorted order, as in the rest of the file.
struct SubjectWriter {
    let redaction: Redaction?
    private let encoder: JSONEncoder
    private var written = 0

    init(redaction: Redaction?) {
        self.redaction = redaction
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
    }

    var isEmpty: Bool { written == 0 }

    /// `subject` as shown (redacted when the annex is), and the records of the original.
    mutating func write(
        _ subject: SubjectIP, records: ((SupportingRecord) throws -> Void) throws -> Void, to file: inout HashingFile
    ) throws {
        let body = String(decoding: try encoder.encode(subject), as: UTF8.self)
        file.write((written == 0 ? "\n" : ",\n") + "    {\n      \"subject\" : ")
        // Indented to its place in the file (blank lines, which the encoder writes inside empty
        // lists, stay blank).
        file.write(
            body.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                .map { $0.offset == 0 || $0.element.isEmpty ? String($0.element) : "      " + $0.element }.joined(separator: "\n")
        )
        file.write(",\n      \"supporting_records\" : [")
        written += 1
        var group: (item: String, pointers: Bool, positions: Bool, sha256: String)? = nil
        var groups = 0
        func close(_ file: inout HashingFile) {
            guard let open = group else { return }
            if open.pointers { file.write("]") }
            if !open.positions { file.write((open.pointers ? "," : "") + "\"positions\":[") }
            file.write("],\"sha256\":" + JSONText.quote(open.sha256) + "}")
            group = nil
        }
        try records { record in
            let item = record.sha256 + "\u{0}" + record.path + "\u{0}" + (record.member ?? "")
            if group?.item != item {
                close(&file)
                file.write((groups == 0 ? "\n" : ",\n") + "        {\"kind\":" + JSONText.quote(record.kind))
                if let member = record.member { file.write(",\"member\":" + JSONText.quote(redaction?.text(member) ?? member)) }
                file.write(",\"path\":" + JSONText.quote(redaction?.path(record.path) ?? record.path) + ",")
                group = (item, false, false, record.sha256)
                groups += 1
            }
            if let pointer = record.pointer {
                // Pointers come first in an item (their records have no position number).
                file.write(group?.pointers == true ? "," : "\"pointers\":[")
                file.write(JSONText.quote(pointer))
                group?.pointers = true
            } else if let position = record.position {
                if group?.positions == true {
                    file.write("," + String(position))
                } else {
                    file.write((group?.pointers == true ? "]," : "") + "\"positions\":[" + String(position))
                    group?.pointers = false
                    group?.positions = true
                }
            }
            try file.flushIfFull()
        }
        close(&file)
        file.write(groups == 0 ? "]\n    }" : "\n      ]\n    }")
    }
}

/// What the page needs from the subjects, gathered as they stream past: how many there are,
/// the ones shown in detail, and the reference data and indicators they cite.
struct SubjectOverview {
    /// Every address a finding names, or that an indicator or a warninglist covers, is shown in
    /// detail (up to ``mustShowLimit``), and the most frequent others up to ``othersShown``;
    /// all are in `findings.json` and `subjects.csv`.
    static let mustShowLimit = 300
    static let othersShown = 100

    let named: Set<String>
    var count = 0
    /// Originals, with their place in address order.
    private(set) var mustShow: [(order: Int, subject: SubjectIP)] = []
    private var others: [(order: Int, subject: SubjectIP)] = []
    var registries: [String: RegistryFileView] = [:]
    var warninglists: [String: WarninglistView] = [:]
    var indicators: [String: IndicatorHit] = [:]

    /// `named`: the addresses the findings name, as the case writes them.
    init(named: Set<String>) { self.named = named }

    /// `original` as the case holds it; `shown` as the annex writes it.
    mutating func note(_ original: SubjectIP, shown: SubjectIP) {
        defer { count += 1 }
        for r in shown.registry ?? [] {
            registries[r.source.sha256] = RegistryFileView(
                registryFile: ReportView.shown(SafeText.excerpt(r.source.fileName, limit: 120)),
                registryFormat: ReportView.shown(r.source.format), registryAsOf: ReportView.shown(r.source.asOf),
                registrySHA256: ReportView.shown(r.source.sha256))
        }
        for list in shown.torExit.map({ [$0.used] + $0.otherListings }) ?? [] {
            registries[list.sha256] = RegistryFileView(
                registryFile: ReportView.shown(SafeText.excerpt(list.file, limit: 120)), registryFormat: "tor-exits",
                registryAsOf: ReportView.shown(list.asOf), registrySHA256: ReportView.shown(list.sha256))
        }
        for name in shown.passiveDNS ?? [] {
            registries[name.source.sha256 + name.source.fileName] = RegistryFileView(
                registryFile: ReportView.shown(SafeText.excerpt(name.source.fileName, limit: 120)), registryFormat: "passive DNS",
                registryAsOf: ReportView.shown("imported " + name.source.importedAt.prefix(10)),
                registrySHA256: ReportView.shown(name.source.sha256))
        }
        for w in shown.warninglists ?? [] {
            warninglists[w.name + "\u{0}" + w.version] = WarninglistView(
                listName: ReportView.shown(SafeText.excerpt(w.name, limit: 160)), listVersion: ReportView.shown(w.version),
                listAsOf: w.asOf.map(ReportView.shown), listSHA256: w.sha256.map(ReportView.shown))
        }
        for hit in shown.indicatorHits where indicators[hit.type + " " + hit.value] == nil {
            indicators[hit.type + " " + hit.value] = hit
        }
        if named.contains(original.ip) || !original.indicatorHits.isEmpty || original.warninglists != nil {
            if mustShow.count < Self.mustShowLimit { mustShow.append((count, original)) }
            return
        }
        // The most frequent others: a short list kept in order of occurrences (ties: address order).
        guard others.count < Self.othersShown || original.occurrences > (others.last?.subject.occurrences ?? 0) else { return }
        let index = others.firstIndex { $0.subject.occurrences < original.occurrences } ?? others.endIndex
        others.insert((count, original), at: index)
        if others.count > Self.othersShown { others.removeLast() }
    }

    /// The addresses shown in detail, in address order.
    var detailed: [SubjectIP] { (mustShow + others).sorted { $0.order < $1.order }.map(\.subject) }
    var omitted: Int { count - mustShow.count - others.count }
}
