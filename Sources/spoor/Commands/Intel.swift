import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntake
import SpoorIntel

struct Intel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the indicator store: infrastructure seen in earlier attacks, with who reported it.",
        subcommands: [Import.self, Export.self, List.self, Stats.self, Match.self])

    static func open(_ option: IntelStoreOption) throws -> IndicatorStore {
        do { return try IndicatorStore(path: option.resolved.path) } catch { throw fail(error) }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import indicators from files.",
            discussion: """
                Recognised by content unless --format says: stix (STIX 2.1 bundles: indicator patterns on addresses, \
                CIDR, domains, URLs, AS numbers; what they indicate and the report that holds them kept as provenance), \
                misp (MISP event JSON, bare or in a REST response, and MISP CSV exports: infrastructure attribute types), \
                zeek (Zeek intel files), warninglist (MISP warninglists: kept as context, not indicators). \
                csv: a header row naming the columns, at least a value column; recognised names include value, type, \
                source, reference, first_seen, confidence, last_seen, tlp, tags, campaign, description. \
                list (or text): one value per line, # starts a comment. Every skipped row is listed with its reason.
                """)

        enum FormatChoice: String, ExpressibleByArgument, CaseIterable { case auto, stix, misp, zeek, csv, list, text, warninglist }

        @Argument(help: ArgumentHelp("Indicator files.", valueName: "file")) var files: [String]
        @Option(help: "The file format: auto, csv or list.") var format: FormatChoice = .auto
        @Option(help: ArgumentHelp("Who published these indicators, for rows that do not say.", valueName: "name"))
        var source: String?
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let store = try Intel.open(intel)
            var failed = false
            var skipped = false
            for file in files {
                do {
                    let (sha256, _) = try FileHasher.sha256(path: file)
                    let name = URL(fileURLWithPath: file).lastPathComponent
                    let head = try FileHasher.head(path: file, count: 65_536)
                    if format == .warninglist || (format == .auto && Warninglist.looksLike(head)) {
                        // A warninglist is context, not indicators: it is kept apart.
                        let list = try Warninglist.read(json: try Data(contentsOf: URL(fileURLWithPath: file)))
                        let (kept, unreadable) = try store.importWarninglist(list, sha256: sha256)
                        print("\(SafeText.terminal(file)) (warninglist): \(SafeText.terminal(list.name)) version \(list.version), \(list.type), \(kept) entries; hits are shown as context, never used to drop an address")
                        for entry in unreadable { print("  skipped \(SafeText.terminal(entry)): not an address or network") }
                        skipped = skipped || !unreadable.isEmpty
                        continue
                    }
                    let chosen: IndicatorFormat
                    if let explicit = IndicatorFormat(rawValue: format == .text ? "list" : format.rawValue) {
                        chosen = explicit
                    } else if let detected = IndicatorFormat.detect(fileName: name, head: try FileHasher.head(path: file, count: 4096)) {
                        chosen = detected
                    } else {
                        throw IntelError.unknownFormat(path: file)
                    }
                    let reader = try FileByteSource(path: file)
                    defer { reader.close() }
                    let report = try store.importIndicators(reader, format: chosen, fileName: name, sha256: sha256, defaultSource: source)
                    let added = report.added.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                    print("\(SafeText.terminal(file)) (\(report.format)): \(report.addedTotal) added\(added.isEmpty ? "" : " (\(added))"), \(report.alreadyPresent) already present, \(report.skipped.count) skipped")
                    for (note, n) in report.notes.sorted(by: { $0.key < $1.key }) { print("  \(n) × \(note)") }
                    for item in report.skipped { print("  skipped \(SafeText.terminal(item.location)): \(SafeText.terminal(item.reason))") }
                    skipped = skipped || !report.skipped.isEmpty
                } catch {
                    Console.error("spoor: \(SafeText.terminal(String(describing: error)))")
                    failed = true
                }
            }
            if failed { throw ExitStatus.someInputsFailed }
            if skipped { throw ExitStatus.someRecordsUnreadable }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every indicator with its provenance.")

        @Flag(help: "Print JSON instead of text.") var json = false
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let store = try Intel.open(intel)
            let records: [IndicatorRecord]
            do { records = try store.records() } catch { throw fail(error) }
            if json {
                print(try JSONOutput.string(records, pretty: true))
                return
            }
            for record in records {
                print("\(record.indicator.type.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(SafeText.terminal(record.indicator.value))")
                for p in record.provenance {
                    let parts = [p.source, p.reference, p.firstSeen.map { "first seen \($0)" }, p.confidence.map { "confidence \($0)" }]
                    print("        ← " + SafeText.terminal(parts.compactMap { $0 }.joined(separator: ", ")))
                }
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count indicators by type and source, and show the set's version hash.")

        @Flag(help: "Print JSON instead of text.") var json = false
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let store = try Intel.open(intel)
            let stats: IntelStatistics
            do { stats = try store.statistics() } catch { throw fail(error) }
            if json {
                print(try JSONOutput.string(stats, pretty: true))
                return
            }
            print("Store:      \(store.path)")
            print("Indicators: \(stats.indicators)")
            for (type, n) in stats.indicatorsByType.sorted(by: { $0.key < $1.key }) { print("  \(type): \(n)") }
            print("Provenance records: \(stats.provenanceRecords) from \(stats.provenanceBySource.count) source(s)")
            for (source, n) in stats.provenanceBySource.sorted(by: { $0.key < $1.key }) { print("  \(SafeText.terminal(source)): \(n)") }
            print("Imports:    \(stats.imports)")
            do {
                let lists = try store.warninglists()
                print("Warninglists: \(lists.count)")
                for list in lists { print("  \(SafeText.terminal(list.name)) (version \(list.version), \(list.type)): \(list.entries) entries") }
            } catch {
                throw fail(error)
            }
            print("Version (content SHA-256): \(stats.contentHash)")
        }
    }
}
