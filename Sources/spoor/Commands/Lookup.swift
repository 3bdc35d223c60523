import ArgumentParser
import Foundation
import SpoorAnalysis
import SpoorCore
import SpoorEnrichment
import SpoorIntake
import SpoorIntel
import SpoorStore

struct Lookup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tell what is known about addresses: class, MaxMind-format answers, registry holder, indicator matches.",
        usage: "spoor lookup [<ip> ...] [--mmdb <file> ...] [--at <date>] [--json] [--summary-only]\n[--intel-db <path>]",
        discussion: """
            Give addresses as arguments, or '-' (or none) to read them from standard input, one per line. With \
            --at, the registry snapshots are read as the annex reads them for a record of that day: the one \
            nearest before the day, and the latest, with a sentence saying whether they agree.
            """)

    @Argument(help: ArgumentHelp("Addresses to look up.", valueName: "ip")) var addresses: [String] = []
    @Option(help: ArgumentHelp("A MaxMind-format database to consult, or a folder of them; repeat.", valueName: "file"))
    var mmdb: [String] = []
    @Option(
        help: ArgumentHelp(
            "A day (YYYY-MM-DD): say who the registry snapshots held the address then, and whether the latest one differs.",
            valueName: "date"))
    var at: String?
    @Flag(help: "Print one JSON object per address.") var json = false
    @Flag(help: "Print only how many addresses were looked up and answered (for measuring).") var summaryOnly = false
    @OptionGroup var intel: IntelStoreOption

    func validate() throws {
        if let at, CivilTime.days(isoDate: at) == nil || at.count != 10 {
            throw ValidationError("--at \(SafeText.terminal(at)): not a date (YYYY-MM-DD)")
        }
    }

    func run() throws {
        var inputs = addresses.filter { $0 != "-" }
        if addresses.isEmpty || addresses.contains("-") {
            while let line = readLine() {
                let text = line.trimming(" \t\r")
                if !text.isEmpty && !text.hasPrefix("#") { inputs.append(text) }
            }
        }
        let attributor: Attributor
        do {
            var files: [ReferenceFile] = []
            for path in try MMDBPaths.expand(mmdb) {
                files.append(ReferenceFile(path: path, sha256: try FileHasher.sha256(path: path).sha256))
            }
            let (path, explicit) = intel.resolved
            let store = explicit || FileManager.default.fileExists(atPath: path) ? try IndicatorStore(path: path) : nil
            attributor = try Attributor(databases: files, intel: store)
        } catch {
            throw fail(error)
        }
        var unreadable = false
        var answered = 0
        var enrichment = 0.0
        let started = Date()
        let lines = AddressAnswerJSON(encoder: JSONOutput.encoder())
        for input in inputs {
            let answer = AddressAnswer(input: input, attributor: attributor, at: at)
            if !answer.isAddress { unreadable = true }
            if !answer.enrichment.isEmpty || !answer.registry.isEmpty { answered += 1 }
            if summaryOnly { continue }
            if json {
                print(try lines.line(answer))
            } else {
                printText(answer)
            }
        }
        if summaryOnly {
            let seconds = Date().timeIntervalSince(started)
            // The enrichment alone, measured again with fresh databases (nothing decoded yet):
            // the addresses are parsed first, then looked up in one timed pass.
            let parsed = inputs.compactMap { IPAddress.parseEndpoint($0)?.address }
            let fresh = Enricher()
            defer { fresh.close() }
            do {
                for path in try MMDBPaths.expand(mmdb) { try fresh.add(path: path, sha256: "") }
                let before = Date()
                for address in parsed { _ = try fresh.answers(for: address) }
                enrichment = Date().timeIntervalSince(before)
            } catch {
                throw fail(error)
            }
            print(
                "\(inputs.count) addresses, \(answered) answered, \(String(format: "%.3f", seconds)) s looking up"
                    + "; the enrichment alone, again with fresh databases: \(String(format: "%.3f", enrichment)) s")
        }
        if unreadable { throw ExitStatus.someRecordsUnreadable }
    }

    func printText(_ a: AddressAnswer) {
        guard let ip = a.ip else {
            print("\(SafeText.terminal(a.input)): \(a.error ?? "")\n")
            return
        }
        print(ip)
        print("  class:      \(a.addressClass ?? "")\(a.specialPurpose.map { " (\($0))" } ?? "")")
        for e in a.enrichment {
            print("  \(e.source.databaseType) (\(e.source.buildDate)): \(SafeText.terminal(e.summary)) [\(e.network)]")
        }
        for r in a.registry {
            print("  registry (\(SafeText.terminal(r.source.fileName)), as of \(r.source.asOf)): \(SafeText.terminal(r.summary))")
        }
        if let held = a.heldAt { print("  then/now:   \(SafeText.terminal(held.sentence))") }
        for at in a.databasesAt ?? [] { print("  builds:     \(SafeText.terminal(at.sentence))") }
        if let tor = a.torExit { print("  tor exit:   \(SafeText.terminal(tor.sentence))") }
        for name in a.passiveDNS {
            print("  passive DNS: \(SafeText.terminal(name.words))")
        }
        for w in a.warninglists {
            print("  warninglist: \(SafeText.terminal(w.words(day: at))) — context, not a verdict")
        }
        if a.indicators.isEmpty {
            print("  indicators: none")
        }
        for hit in a.indicators {
            let how = hit.matchedBy == "asn" ? " (by the AS a database or registry names)" : ""
            print("  INDICATOR   \(hit.type) \(SafeText.terminal(hit.value))\(how)")
            for p in hit.provenance {
                print(
                    "              ← "
                        + SafeText.terminal([p.source, p.reference, p.firstSeen].compactMap { $0 }.joined(separator: ", ")))
            }
        }
        if let error = a.error { print("  error: \(SafeText.terminal(error))") }
        print("")
    }
}
