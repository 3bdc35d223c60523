import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorStore

extension Registry {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a RIPE-style RPSL dump or an iptoasn-style table.",
            discussion: """
                rpsl: split dumps (ripe.db.inetnum, inet6num, aut-num, organisation, route, route6; decompress .gz \
                first, or pipe them in with -). inetnum, inet6num, route, route6, aut-num and organisation objects are \
                kept (netname, descr, country, org, status, mnt-by, created, last-modified, origin, as-name, org-name); \
                person, role and other personal objects are skipped unread. \
                iptoasn: tab-separated range start, range end, AS number, country, AS description (iptoasn.com). \
                The date the data describes is --as-of; without it, the file's modification date, and the import says so.
                """)

        enum FormatChoice: String, ExpressibleByArgument, CaseIterable { case auto, rpsl, iptoasn }

        @Argument(help: ArgumentHelp("The registry file, or - for standard input.", valueName: "file")) var file: String
        @Option(help: ArgumentHelp("The date the data describes.", valueName: "YYYY-MM-DD")) var asOf: String?
        @Option(help: "The file format: auto, rpsl or iptoasn.") var format: FormatChoice = .auto
        @OptionGroup var intel: IntelStoreOption

        func validate() throws {
            if let asOf, !Self.isDate(asOf) { throw ValidationError("--as-of must be a date YYYY-MM-DD") }
            if file == "-" && asOf == nil { throw ValidationError("data read from standard input needs --as-of") }
        }

        static func isDate(_ text: String) -> Bool {
            let parts = text.split(separator: "-")
            guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
                let month = Int(parts[1]), let day = Int(parts[2]), Int(parts[0]) != nil
            else { return false }
            return (1...12).contains(month) && (1...31).contains(day)
        }

        func run() throws {
            let store = try Intel.open(intel)
            do {
                // Standard input is hashed as it is read; a file is hashed first.
                let source: any ByteSource
                var sha256 = ""
                var date = asOf
                var basis = "given"
                let fileSource: FileByteSource?
                if file == "-" {
                    fileSource = try FileByteSource(path: "/dev/stdin", hashing: true)
                    source = fileSource!
                } else {
                    sha256 = try FileHasher.sha256(path: file).sha256
                    fileSource = try FileByteSource(path: file)
                    source = fileSource!
                    if date == nil {
                        let attributes = try FileManager.default.attributesOfItem(atPath: file)
                        let modified = (attributes[.modificationDate] as? Date) ?? Date()
                        date = String(ISO8601DateFormatter().string(from: modified).prefix(10))
                        basis = "file modification time"
                    }
                }
                defer { fileSource?.close() }
                let chosen: RegistryFormat
                if let explicit = RegistryFormat(rawValue: format.rawValue) {
                    chosen = explicit
                } else if file != "-", let detected = RegistryFormat.detect(head: try FileHasher.head(path: file, count: 16_384))
                {
                    chosen = detected
                } else {
                    throw ValidationError("\(file): not recognised as RPSL or iptoasn data (use --format)")
                }
                let name = file == "-" ? "(standard input)" : URL(fileURLWithPath: file).lastPathComponent
                let report = try store.importRegistry(
                    source, format: chosen, fileName: name, sha256: sha256, asOf: date ?? "", asOfBasis: basis)
                if file == "-", let hash = fileSource?.finalHash() { try store.setRegistrySHA256(hash, forLatestNamed: name) }
                let kept = report.kept.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }
                print(
                    "\(SafeText.terminal(file)) (\(report.format), as of \(report.asOf)\(basis == "given" ? "" : ", from the \(basis)")): "
                        + "\(report.keptTotal) kept" + (kept.isEmpty ? "" : " (\(kept.joined(separator: ", ")))"))
                for (kind, n) in report.skippedKinds.sorted(by: { $0.key < $1.key }) {
                    let why = RPSLReader.personal.contains(kind) ? "personal data, not kept" : "not used"
                    print("  \(n) × \(SafeText.terminal(kind)) skipped (\(why))")
                }
                for item in report.unreadable.prefix(50) { print("  line \(item.line): \(SafeText.terminal(item.reason))") }
                if report.unreadable.count > 50 { print("  … \(report.unreadable.count - 50) more unreadable objects") }
                if !report.unreadable.isEmpty { throw ExitStatus.someRecordsUnreadable }
            } catch let error as ExitCode {
                throw error
            } catch let error as ValidationError {
                throw error
            } catch {
                throw fail(error)
            }
        }
    }
}
