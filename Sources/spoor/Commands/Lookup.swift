import ArgumentParser
import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntake
import SpoorIntel

struct Lookup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tell what is known about addresses: class, MaxMind-format answers, registry holder, indicator matches.",
        discussion: "Give addresses as arguments, or '-' (or none) to read them from standard input, one per line.")

    @Argument(help: ArgumentHelp("Addresses to look up.", valueName: "ip")) var addresses: [String] = []
    @Option(help: ArgumentHelp("A MaxMind-format database to consult; repeat for several.", valueName: "file"))
    var mmdb: [String] = []
    @Flag(help: "Print one JSON object per address.") var json = false
    @Flag(help: "Print only how many addresses were looked up and answered (for measuring).") var summaryOnly = false
    @OptionGroup var intel: IntelStoreOption

    struct Answer: Encodable {
        var input: String
        var ip: String?
        var error: String?
        var addressClass: String?
        var specialPurpose: String?
        var enrichment: [EnrichmentAnswer]
        var registry: [RegistryAnswer] = []
        var warninglists: [WarninglistHit] = []
        var indicators: [IndicatorRecord]
    }

    func run() throws {
        var inputs = addresses.filter { $0 != "-" }
        if addresses.isEmpty || addresses.contains("-") {
            while let line = readLine() {
                let text = line.trimming(" \t\r")
                if !text.isEmpty && !text.hasPrefix("#") { inputs.append(text) }
            }
        }
        let enricher = Enricher()
        defer { enricher.close() }
        var store: IndicatorStore? = nil
        var matcher: IndicatorMatcher? = nil
        var warnings: WarninglistMatcher? = nil
        do {
            for path in mmdb { try enricher.add(path: path, sha256: try FileHasher.sha256(path: path).sha256) }
            let (path, explicit) = intel.resolved
            if explicit || FileManager.default.fileExists(atPath: path) {
                store = try IndicatorStore(path: path)
                matcher = try store?.matcher()
                warnings = try store?.warninglistMatcher()
            }
        } catch {
            throw fail(error)
        }
        var unreadable = false
        var answered = 0
        var enrichment = 0.0
        let started = Date()
        for input in inputs {
            var answer = Answer(input: input, enrichment: [], indicators: [])
            if let endpoint = IPAddress.parseEndpoint(input) {
                let address = endpoint.address
                answer.ip = address.description
                let block = address.specialPurposeBlock
                answer.addressClass = (block?.addressClass ?? .global).rawValue
                answer.specialPurpose = block.map { "\($0.name), \($0.reference)" }
                do {
                    answer.enrichment = try enricher.answers(for: address)
                    if let store { answer.registry = try store.registryAnswers(for: address) }
                    answer.warninglists = warnings?.hits(address) ?? []
                    if let matcher, let store {
                        var ids = matcher.matches(address)
                        for asn in Set(answer.enrichment.compactMap(\.asn) + answer.registry.compactMap(\.originASN)) {
                            ids += matcher.matches(asn: asn)
                        }
                        answer.indicators = ids.isEmpty ? [] : try store.records(ids: ids)
                    }
                } catch {
                    answer.error = String(describing: error)
                }
            } else {
                answer.error = "not an IP address"
                unreadable = true
            }
            if !answer.enrichment.isEmpty || !answer.registry.isEmpty { answered += 1 }
            if summaryOnly { continue }
            if json {
                print(try JSONOutput.string(answer))
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
                for path in mmdb { try fresh.add(path: path, sha256: "") }
                let before = Date()
                for address in parsed { _ = try fresh.answers(for: address) }
                enrichment = Date().timeIntervalSince(before)
            } catch {
                throw fail(error)
            }
            print("\(inputs.count) addresses, \(answered) answered, \(String(format: "%.3f", seconds)) s looking up"
                + "; the enrichment alone, again with fresh databases: \(String(format: "%.3f", enrichment)) s")
        }
        if unreadable { throw ExitStatus.someRecordsUnreadable }
    }

    func printText(_ a: Answer) {
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
        for w in a.warninglists {
            print("  warninglist: \(SafeText.terminal(w.name)) (version \(w.version), entry \(w.entry)) — context, not a verdict")
        }
        if a.indicators.isEmpty {
            print("  indicators: none")
        }
        for record in a.indicators {
            print("  INDICATOR   \(record.indicator.type.rawValue) \(SafeText.terminal(record.indicator.value))")
            for p in record.provenance {
                print("              ← " + SafeText.terminal([p.source, p.reference, p.firstSeen].compactMap { $0 }.joined(separator: ", ")))
            }
        }
        if let error = a.error { print("  error: \(SafeText.terminal(error))") }
        print("")
    }
}
