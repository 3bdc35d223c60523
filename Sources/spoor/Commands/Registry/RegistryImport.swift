import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorStore

extension Registry {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import dated registry data: RPSL, iptoasn, pfx2as, as2org or a Tor exit list.",
            discussion: """
                rpsl: split dumps (ripe.db.inetnum, inet6num, aut-num, organisation, route, route6; decompress .gz \
                first, or pipe them in with -). inetnum, inet6num, route, route6, aut-num and organisation objects are \
                kept (netname, descr, country, org, status, mnt-by, created, last-modified, origin, as-name, org-name); \
                person, role and other personal objects are skipped unread. \
                iptoasn: tab-separated range start, range end, AS number, country, AS description (iptoasn.com). \
                pfx2as: CAIDA/RouteViews prefix, length, origin AS (AS1_AS2 for several origins). \
                as2org: CAIDA AS-to-organisation data, pipe-separated text or JSON lines. \
                tor-exits: Tor's exit-addresses list (ExitNode, Published, LastStatus, ExitAddress). \
                Each import is one snapshot, dated by --as-of; without it, by a date in the file name \
                (routeviews-rv2-20240101-1200.pfx2as, 20240101.as-org2info.txt) or, for a Tor list, its Downloaded \
                line or latest LastStatus. Data with no date is refused. Import one file per date: analysis uses, \
                for each event, the snapshot nearest before it and says what the latest says.
                """)

        enum FormatChoice: String, ExpressibleByArgument, CaseIterable {
            case auto, rpsl, iptoasn, pfx2as, as2org
            case torExits = "tor-exits"
        }

        @Argument(help: ArgumentHelp("The registry file, or - for standard input.", valueName: "file")) var file: String
        @Option(help: ArgumentHelp("The date the data describes.", valueName: "YYYY-MM-DD")) var asOf: String?
        @Option(help: "The file format: auto, rpsl, iptoasn, pfx2as, as2org or tor-exits.") var format: FormatChoice = .auto
        @OptionGroup var intel: IntelStoreOption

        func validate() throws {
            if let asOf, !Self.isDate(asOf) { throw ValidationError("--as-of must be a date YYYY-MM-DD") }
            if file == "-" && asOf == nil && format != .torExits {
                throw ValidationError("data read from standard input needs --as-of")
            }
            if file == "-" && format == .auto { throw ValidationError("data read from standard input needs --format") }
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
                // Hashed as it is read (one pass over a dump of gigabytes), standard input as a file.
                let fileSource = try FileByteSource(path: file == "-" ? "/dev/stdin" : file, hashing: true)
                defer { fileSource.close() }
                let chosen: RegistryFormat
                if let explicit = RegistryFormat(rawValue: format.rawValue) {
                    chosen = explicit
                } else if file != "-", let detected = RegistryFormat.detect(head: try FileHasher.head(path: file, count: 16_384))
                {
                    chosen = detected
                } else {
                    throw ValidationError(
                        "\(file): not recognised as RPSL, iptoasn, pfx2as, as2org or a Tor exit list (use --format)")
                }
                let name = file == "-" ? "(standard input)" : URL(fileURLWithPath: file).lastPathComponent
                let report = try store.importRegistry(
                    fileSource, format: chosen, fileName: name, sha256: "", asOf: asOf,
                    hashedWhileRead: { fileSource.finalHash() })
                let kept = report.kept.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }
                print(
                    "\(SafeText.terminal(file)) (\(report.format), as of \(report.asOf)\(report.asOfBasis == "given" ? "" : ", from the \(SafeText.terminal(report.asOfBasis))")): "
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
