import ArgumentParser
import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntel
import SpoorStore

extension Intel {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the indicators, with their provenance, for other tools and peers.",
            usage:
                "spoor intel export --format <format> [--out <path>] [--organisation <name>] [--title <title>]\n[--source <source>] [--tag <tag>] [--tlp <tlp>] [--since <YYYY-MM-DD>] [--type <type>]\n[--generated-at <time>] [--intel-db <path>]",
            discussion: """
                Formats: stix (STIX 2.1 bundle: an identity per source, an indicator per source statement), misp (one \
                MISP event), misp-feed (a MISP feed folder: manifest.json, the event, hashes.csv; needs --out), csv (the \
                layout 'spoor intel import' reads), text (values one per line; --type to pick one type), zeek (Zeek intel \
                TSV), mmdb (a MaxMind DB whose networks carry the indicators' sources; needs --out). Filters keep \
                the provenance records that pass (an indicator with none is left out). Identifiers are derived from \
                the content, and times from --generated-at (or SOURCE_DATE_EPOCH), so an export can be reproduced. \
                Every format keeps each statement's TLP: STIX as its TLP marking definition, MISP as a tlp: tag, \
                CSV in its column, MMDB in the record, Zeek and text in a comment or the description. A MISP \
                event is shared by an organisation: name yours with --organisation.
                """)

        enum FormatChoice: String, ExpressibleByArgument, CaseIterable {
            case stix, misp, mispFeed = "misp-feed", csv, text, zeek, mmdb
        }

        @Option(help: "stix, misp, misp-feed, csv, text, zeek or mmdb.") var format: FormatChoice
        @Option(help: ArgumentHelp("Write here instead of standard output (a folder for misp-feed).", valueName: "path")) var out:
            String?
        @Option(help: "Only provenance from this source.") var source: String?
        @Option(help: "Only provenance with this tag.") var tag: String?
        @Option(help: "Only provenance with this TLP (clear, green, amber, red).") var tlp: String?
        @Option(help: ArgumentHelp("Only provenance first seen (else published) on or after this date.", valueName: "YYYY-MM-DD"))
        var since: String?
        @Option(help: "For text: only this type (ipv4, ipv6, cidr, asn, domain, url).") var type: String?
        @Option(help: ArgumentHelp("The export's time (RFC 3339); default SOURCE_DATE_EPOCH, else now.", valueName: "time"))
        var generatedAt: String?
        @Option(help: "The title of a MISP event.") var title = "Indicators exported by Spoor"
        @Option(
            help: ArgumentHelp(
                "For misp and misp-feed: the organisation sharing the event (MISP's Orgc); required.", valueName: "name"))
        var organisation: String?
        @OptionGroup var intel: IntelStoreOption

        func validate() throws {
            if (format == .mispFeed || format == .mmdb) && out == nil {
                throw ValidationError("--format \(format.rawValue) needs --out")
            }
            if (format == .misp || format == .mispFeed) && (organisation ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError(
                    "--format \(format.rawValue) needs --organisation: the organisation that shares the event (yours)")
            }
            if let type, IndicatorType(rawValue: type) == nil { throw ValidationError("unknown type '\(type)'") }
            if let generatedAt, Timestamp.parseISO8601(generatedAt) == nil {
                throw ValidationError("--generated-at must be RFC 3339")
            }
        }

        var exportTime: String {
            if let generatedAt { return Timestamp.parseISO8601(generatedAt)?.rfc3339UTC ?? generatedAt }
            return SpoorClock.reproducible().rfc3339()
        }

        func run() throws {
            let store = try Intel.open(intel)
            do {
                let records = ExportFilter(source: source, tag: tag, tlp: tlp, since: since).apply(try store.records())
                let text: String
                switch format {
                case .stix: text = try IndicatorExporter.stix(records, generatedAt: exportTime)
                case .misp:
                    let event = try IndicatorExporter.mispEvent(
                        records, generatedAt: exportTime, title: title, organisation: organisation ?? "")
                    text =
                        String(
                            decoding: try JSONSerialization.data(
                                withJSONObject: event, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]),
                            as: UTF8.self) + "\n"
                case .mispFeed:
                    try IndicatorExporter.mispFeed(
                        records, generatedAt: exportTime, title: title, organisation: organisation ?? "",
                        into: URL(fileURLWithPath: out ?? "."))
                    Console.error("wrote a MISP feed of \(records.count) indicator(s) to \(SafeText.terminal(out ?? "."))")
                    return
                case .csv: text = IndicatorExporter.csv(records)
                case .text: text = IndicatorExporter.text(records, type: type.flatMap(IndicatorType.init(rawValue:)))
                case .zeek: text = IndicatorExporter.zeek(records)
                case .mmdb:
                    try writeMMDB(records)
                    return
                }
                if let out {
                    try text.write(toFile: out, atomically: true, encoding: .utf8)
                    Console.error("wrote \(records.count) indicator(s) as \(format.rawValue) to \(SafeText.terminal(out))")
                } else {
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail(error)
            }
        }

        /// Address and CIDR indicators as a MaxMind DB: each network's record names the
        /// indicator and every source that reported it.
        func writeMMDB(_ records: [IndicatorRecord]) throws {
            let epoch = UInt64(max(1, Timestamp.parseISO8601(exportTime)?.seconds ?? 1))
            var writer = MMDBWriter(databaseType: "Spoor-Indicators", ipVersion: 6, buildEpoch: epoch)
            writer.languages = ["en"]
            writer.descriptions = ["en": "Indicators exported by Spoor"]
            var count = 0
            for record in records {
                guard let network = record.indicator.network else { continue }
                let sources: [MMDBValue] = record.provenance.map { p in
                    var map: [String: MMDBValue] = ["source": .string(p.source)]
                    if let title = p.title { map["title"] = .string(title) }
                    if let reference = p.reference { map["reference"] = .string(reference) }
                    if let first = p.firstSeen { map["first_seen"] = .string(first) }
                    if let confidence = p.confidence { map["confidence"] = .unsigned(UInt64(confidence)) }
                    if let tlp = p.tlp { map["tlp"] = .string(tlp) }
                    return .map(map)
                }
                try writer.insert(
                    network,
                    .map([
                        "indicator": .string(record.indicator.value), "type": .string(record.indicator.type.rawValue),
                        "provenance": .array(sources),
                    ]))
                count += 1
            }
            let bytes = try writer.serialize()
            try Data(bytes).write(to: URL(fileURLWithPath: out ?? "indicators.mmdb"))
            let check = try MaxMindDatabase(path: out ?? "indicators.mmdb")
            check.close()
            Console.error("wrote \(count) network indicator(s) as a MaxMind DB to \(SafeText.terminal(out ?? ""))")
        }
    }
}
