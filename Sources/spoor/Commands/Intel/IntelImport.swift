import ArgumentParser
import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntake
import SpoorIntel
import SpoorStore

extension Intel {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import indicators from files.",
            usage:
                "spoor intel import <file> ... [--format <format>] [--source <name>]\n"
                + "[--as-of <YYYY-MM-DD>] [--intel-db <path>]",
            discussion: """
                Recognised by content unless --format says: stix (STIX 2.1 bundles: indicator patterns on addresses, \
                CIDR, domains, URLs, AS numbers; what they indicate and the report that holds them kept as provenance), \
                misp (MISP event JSON, bare or in a REST response, and MISP CSV exports: infrastructure attribute types), \
                zeek (Zeek intel files), warninglist (MISP warninglists: kept as context, not indicators; a list \
                versioned by a date, as MISP's cloud, VPN and relay lists are, is kept beside its other dated \
                versions and an address is judged by the version for the day of its records; --as-of dates a list \
                whose version is not a date). \
                csv: a header row naming the columns, at least a value column; recognised names include value, type, \
                source, reference, first_seen, confidence, last_seen, tlp, tags, campaign, description. \
                list (or text): one value per line, # starts a comment. misp-feed: a MISP feed folder (manifest.json \
                and one JSON file per event; a folder given as FILE is read as one). mmdb: a MaxMind DB, each network \
                holding a record becomes a network indicator (the provenance in Spoor's own exports is read back). \
                Every skipped row is listed with its reason.
                """)

        enum FormatChoice: String, ExpressibleByArgument, CaseIterable {
            case auto, stix, misp, mispFeed = "misp-feed", zeek, csv, list, text, warninglist, mmdb
        }

        @Argument(help: ArgumentHelp("Indicator files, or MISP feed folders.", valueName: "file")) var files: [String]
        @Option(help: "The format: auto, stix, misp, misp-feed, zeek, csv, list (text), warninglist or mmdb.") var format:
            FormatChoice = .auto
        @Option(help: ArgumentHelp("Who published these indicators, for rows that do not say.", valueName: "name"))
        var source: String?
        @Option(
            help: ArgumentHelp(
                "For warninglists: the day the list describes, when its version is not a date.", valueName: "YYYY-MM-DD"))
        var asOf: String?
        @OptionGroup var intel: IntelStoreOption

        func validate() throws {
            if let asOf, CivilTime.days(isoDate: asOf) == nil || asOf.count != 10 {
                throw ValidationError("--as-of must be a date YYYY-MM-DD")
            }
        }

        func run() throws {
            let store = try Intel.open(intel)
            var failed = false
            var skipped = false
            for file in files {
                do {
                    var isFolder: ObjCBool = false
                    _ = FileManager.default.fileExists(atPath: file, isDirectory: &isFolder)
                    if isFolder.boolValue || format == .mispFeed {
                        skipped =
                            try importFeed(isFolder.boolValue ? file : (file as NSString).deletingLastPathComponent, store)
                            || skipped
                    } else if format == .mmdb || (format == .auto && Self.isMMDB(file)) {
                        skipped = try importMMDB(file, store) || skipped
                    } else {
                        skipped = try importFile(file, store) || skipped
                    }
                } catch {
                    Console.error("spoor: \(SafeText.terminal(String(describing: error)))")
                    failed = true
                }
            }
            if failed { throw ExitStatus.someInputsFailed }
            if skipped { throw ExitStatus.someRecordsUnreadable }
        }

        /// Imports one file; true when something in it was skipped.
        func importFile(_ file: String, _ store: IndicatorStore, as forced: IndicatorFormat? = nil, name shown: String? = nil)
            throws -> Bool
        {
            let (sha256, _) = try FileHasher.sha256(path: file)
            let name = shown ?? URL(fileURLWithPath: file).lastPathComponent
            let head = try FileHasher.head(path: file, count: 65_536)
            // A JSON object is recognised from its whole outline, not from its first bytes: a
            // warninglist's name and type come after its entries.
            let opensObject = head.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) } == UInt8(ascii: "{")
            let document = opensObject ? try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped) : nil
            if forced == nil && (format == .warninglist || (format == .auto && document.map(Warninglist.looksLike) == true)) {
                // A warninglist is context, not indicators: it is kept apart.
                var list = try Warninglist.read(json: try document ?? Data(contentsOf: URL(fileURLWithPath: file)))
                if let asOf { list.asOf = asOf }
                let (kept, unreadable) = try store.importWarninglist(list, sha256: sha256)
                let dated = list.asOf.map { ", as of \($0)" } ?? " (undated: replaces any earlier version)"
                Swift.print(
                    "\(SafeText.terminal(file)) (warninglist): \(SafeText.terminal(list.name)) version \(SafeText.terminal(list.version))\(dated), \(list.type), \(kept) entries; hits are shown as context, never used to drop an address"
                )
                for entry in unreadable { print("  skipped \(SafeText.terminal(entry)): not an address or network") }
                return !unreadable.isEmpty
            }
            let chosen: IndicatorFormat
            var guessed = false
            if let forced {
                chosen = forced
            } else if let explicit = IndicatorFormat(rawValue: format == .text ? "list" : format.rawValue) {
                chosen = explicit
            } else if let detected = IndicatorFormat.detect(
                fileName: name, head: Array(head.prefix(4096)), outline: document.flatMap { JSONOutline.read($0) })
            {
                chosen = detected
                guessed = true
            } else {
                throw IntelError.unknownFormat(path: file)
            }
            let reader = try FileByteSource(path: file)
            defer { reader.close() }
            let report = try store.importIndicators(
                reader, format: chosen, fileName: name, sha256: sha256, defaultSource: source, refuseMostlyUnreadable: guessed)
            return Self.show(report, file: file)
        }

        /// Prints what an import did; true when something was skipped.
        static func show(_ report: ImportReport, file: String) -> Bool {
            let added = report.added.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            Swift.print(
                "\(SafeText.terminal(file)) (\(report.format)): \(report.addedTotal) added\(added.isEmpty ? "" : " (\(added))"), \(report.alreadyPresent) already present, \(report.skipped.count) skipped"
            )
            for (note, n) in report.notes.sorted(by: { $0.key < $1.key }) { Swift.print("  \(n) × \(note)") }
            for item in report.skipped {
                Swift.print("  skipped \(SafeText.terminal(item.location)): \(SafeText.terminal(item.reason))")
            }
            return !report.skipped.isEmpty
        }

        /// A MISP feed folder: the events its `manifest.json` lists (else every `*.json` in
        /// it), each imported as a MISP event with its own hash. Listed events whose file is
        /// missing are reported.
        func importFeed(_ folder: String, _ store: IndicatorStore) throws -> Bool {
            let manifestPath = (folder as NSString).appendingPathComponent("manifest.json")
            var events: [String]
            var skipped = false
            if let data = FileManager.default.contents(atPath: manifestPath) {
                guard let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw IntelError.cannotRead(
                        path: manifestPath, reason: "not a MISP feed manifest (a JSON object keyed by event UUID)")
                }
                events = manifest.keys.sorted().map { $0 + ".json" }
            } else {
                events = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                    .filter { $0.hasSuffix(".json") && $0 != "manifest.json" }.sorted()
                guard !events.isEmpty else {
                    throw IntelError.cannotRead(
                        path: folder, reason: "no manifest.json and no event files: not a MISP feed folder")
                }
            }
            Swift.print("\(SafeText.terminal(folder)) (misp-feed): \(events.count) event(s)")
            for event in events {
                let path = (folder as NSString).appendingPathComponent(event)
                guard FileManager.default.fileExists(atPath: path) else {
                    Swift.print("  skipped \(SafeText.terminal(event)): listed in manifest.json but not in the folder")
                    skipped = true
                    continue
                }
                skipped =
                    try importFile(path, store, as: .misp, name: (folder as NSString).lastPathComponent + "/" + event) || skipped
            }
            return skipped
        }

        /// MaxMind DB files end their data with this marker before the metadata.
        static func isMMDB(_ file: String) -> Bool {
            guard let handle = FileHandle(forReadingAtPath: file) else { return false }
            defer { try? handle.close() }
            let size = (try? handle.seekToEnd()) ?? 0
            try? handle.seek(toOffset: size > 131_072 ? size - 131_072 : 0)
            let tail = handle.readDataToEndOfFile()
            return tail.range(of: Data([0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8))) != nil
        }

        /// A MaxMind DB: each network holding a record becomes a network indicator. A record
        /// written by `spoor intel export --format mmdb` gives back its provenance; any other
        /// record is attributed to --source (else the database type) with the file's build date.
        func importMMDB(_ file: String, _ store: IndicatorStore) throws -> Bool {
            let (sha256, _) = try FileHasher.sha256(path: file)
            let database: MaxMindDatabase
            do { database = try MaxMindDatabase(path: file) } catch {
                throw IntelError.cannotRead(path: file, reason: error.description)
            }
            defer { database.close() }
            let built = Timestamp.unixSeconds(Int64(database.metadata.buildEpoch)).rfc3339UTC.map { String($0.prefix(10)) }
            var values: [StatedValue] = []
            try database.forEachNetwork { network, record in
                let location = "\(URL(fileURLWithPath: file).lastPathComponent) network \(network)"
                let stated =
                    record.value(at: ["provenance"]).flatMap { value -> [Provenance]? in
                        guard case .array(let items) = value else { return nil }
                        return items.compactMap { item -> Provenance? in
                            guard case .string(let source)? = item.value(at: ["source"]) else { return nil }
                            func text(_ key: String) -> String? {
                                if case .string(let s)? = item.value(at: [key]) { return s } else { return nil }
                            }
                            var confidence: Int? = nil
                            if case .unsigned(let n)? = item.value(at: ["confidence"]), n <= 100 { confidence = Int(n) }
                            return Provenance(
                                source: source, title: text("title"), reference: text("reference"), firstSeen: text("first_seen"),
                                confidence: confidence, tlp: text("tlp"), origin: location)
                        }
                    } ?? []
                let provenance =
                    stated.isEmpty
                    ? [
                        Provenance(
                            source: source ?? database.metadata.databaseType, title: database.metadata.databaseType,
                            published: built, origin: location)
                    ]
                    : stated
                for p in provenance {
                    values.append(StatedValue(raw: network.description, type: nil, provenance: p, location: location))
                }
            }
            let report = try store.importStated(
                values, skipped: [], format: "mmdb", fileName: URL(fileURLWithPath: file).lastPathComponent, sha256: sha256)
            return Self.show(report, file: file)
        }
    }
}
