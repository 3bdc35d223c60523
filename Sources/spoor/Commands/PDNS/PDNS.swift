import ArgumentParser
import Foundation
import SpoorAnalysis
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorStore

struct PDNS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pdns",
        abstract: "Keep passive DNS (which names an address carried, and when) in the reference store.",
        discussion: """
            Passive DNS lives in the same store as indicators and registry data (--intel-db, $SPOOR_INTEL_DB). \
            'spoor analyze' shows, for each address, the names passive DNS gives it within \(SubjectIP.passiveDNSMargin / 86_400) days of its records; \
            'spoor lookup ADDR --at DATE' within as many days of the date. A name an address carried says what was \
            hosted there, not who used the address.
            """,
        subcommands: [Import.self, List.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import passive DNS in the common output format (JSON lines).",
            discussion: """
                One JSON object per line with rrname, rrtype, rdata (a string or a list), time_first, time_last \
                (seconds since 1970 or ISO 8601) and count, as passive DNS services and CIRCL's pdns-cof export \
                write them. A and AAAA records tie rrname to the address in rdata; PTR records tie the address of \
                the reverse name to rdata. Other types are counted and not kept; unreadable lines are listed with \
                their line number and the rest kept.
                """)

        @Argument(help: ArgumentHelp("The passive DNS file, or - for standard input.", valueName: "file")) var file: String
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let store = try Intel.open(intel)
            do {
                let fileSource: FileByteSource
                var sha256 = ""
                if file == "-" {
                    fileSource = try FileByteSource(path: "/dev/stdin", hashing: true)
                } else {
                    sha256 = try FileHasher.sha256(path: file).sha256
                    fileSource = try FileByteSource(path: file)
                }
                defer { fileSource.close() }
                let name = file == "-" ? "(standard input)" : URL(fileURLWithPath: file).lastPathComponent
                let report = try store.importPassiveDNS(fileSource, fileName: name, sha256: sha256)
                if file == "-", let hash = fileSource.finalHash() { try store.setPassiveDNSSHA256(hash, forLatestNamed: name) }
                let others = report.otherTypes.sorted { $0.key < $1.key }.map { "\($0.value) \(SafeText.terminal($0.key))" }
                print(
                    "\(SafeText.terminal(file)): \(report.kept) address record(s) kept"
                        + (others.isEmpty ? "" : "; not kept (no address): \(others.joined(separator: ", "))"))
                for item in report.unreadable.prefix(50) { print("  line \(item.line): \(SafeText.terminal(item.reason))") }
                if report.unreadable.count > 50 { print("  … \(report.unreadable.count - 50) more unreadable lines") }
                if !report.unreadable.isEmpty { throw ExitStatus.someRecordsUnreadable }
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail(error)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the passive DNS imports: file, hash, records.")
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let store = try Intel.open(intel)
            do {
                for i in try store.passiveDNSImports() {
                    print("\(i.importedAt)  \(SafeText.terminal(i.fileName))  \(i.records) record(s)  sha256 \(i.sha256)")
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
