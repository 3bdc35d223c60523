import ArgumentParser
import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntake

extension MMDB {
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a MaxMind DB file from JSON or CSV.",
            usage:
                "spoor mmdb build <source> --out <file> --type <name> [--ip-version <ip-version>]\n[--build-date <YYYY-MM-DD>] [--description <text>]",
            discussion: """
                JSON: MaxMind's source-data layout, an array of {"192.0.2.0/24": {...record...}} objects. CSV: a header \
                with a 'network' column; the other columns form the record (dotted names nest, whole numbers are \
                unsigned integers, true/false booleans). More specific networks win over broader ones. The file is \
                read back through libmaxminddb before the command succeeds.
                """)

        @Argument(help: ArgumentHelp("The source (.json or .csv).", valueName: "source")) var source: String
        @Option(help: ArgumentHelp("The file to write.", valueName: "file")) var out: String
        @Option(help: ArgumentHelp("The database_type written in the metadata (e.g. GeoLite2-ASN).", valueName: "name"))
        var type: String
        @Option(help: "4 for an IPv4-only tree, 6 for IPv6 with IPv4 under ::/96 (default).") var ipVersion = 6
        @Option(
            help: ArgumentHelp(
                "The build date written in the metadata (default: the source file's date).", valueName: "YYYY-MM-DD"))
        var buildDate: String?
        @Option(help: ArgumentHelp("A description in English for the metadata.", valueName: "text")) var description: String?

        func validate() throws {
            guard ipVersion == 4 || ipVersion == 6 else { throw ValidationError("--ip-version is 4 or 6") }
            if let buildDate, Self.epoch(buildDate) == nil { throw ValidationError("--build-date must be YYYY-MM-DD") }
        }

        static func epoch(_ date: String) -> UInt64? {
            let parts = date.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, (1970...2200).contains(parts[0]), (1...12).contains(parts[1]), (1...31).contains(parts[2]),
                let time = Timestamp.parseISO8601(date + "T00:00:00Z")
            else { return nil }
            return UInt64(max(1, time.seconds))
        }

        func run() throws {
            do {
                let entries: [MMDBSource.Entry]
                if source.lowercased().hasSuffix(".csv") {
                    let reader = try FileByteSource(path: source)
                    defer { reader.close() }
                    entries = try MMDBSource.entries(csv: reader)
                } else {
                    entries = try MMDBSource.entries(json: try Data(contentsOf: URL(fileURLWithPath: source)))
                }
                var epoch = buildDate.flatMap(Self.epoch)
                if epoch == nil {
                    let modified =
                        (try FileManager.default.attributesOfItem(atPath: source)[.modificationDate] as? Date) ?? Date()
                    epoch = UInt64(max(1, modified.timeIntervalSince1970))
                }
                var writer = MMDBWriter(databaseType: type, ipVersion: ipVersion, buildEpoch: epoch ?? 1)
                if let description { writer.descriptions = ["en": description] }
                writer.languages = ["en"]
                for entry in entries {
                    do { try writer.insert(entry.network, entry.value) } catch {
                        throw MMDBSource.ReadError(location: entry.location, reason: error.description)
                    }
                }
                let bytes = try writer.serialize()
                try Data(bytes).write(to: URL(fileURLWithPath: out))
                // Read back through libmaxminddb: every network answers.
                let check = try MaxMindDatabase(path: out)
                defer { check.close() }
                for entry in entries where try check.lookup(entry.network.address) == nil {
                    throw MMDBSource.ReadError(
                        location: entry.location, reason: "\(entry.network) does not answer in the written file")
                }
                let sha256 = try FileHasher.sha256(path: out).sha256
                print(
                    "\(SafeText.terminal(out)): \(type), \(entries.count) networks, \(bytes.count) bytes, record size \(check.metadata.recordSize), built \(check.metadata.buildDate), SHA-256 \(sha256)"
                )
            } catch {
                throw fail(error)
            }
        }
    }
}
