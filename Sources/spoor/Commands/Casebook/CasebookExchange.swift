import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

extension Casebook {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the casebook's sightings for other helplines: STIX 2.1, MISP sightings or CSV.",
            usage:
                "spoor casebook export --format <format> [--out <file>] [--case <name>] [--source <name>]\n[--tlp <tlp>] [--anonymise] [--intel-db <path>]",
            discussion: """
                Per address: its network, first and last seen, how many records, the roles it was \
                seen in and the case's pseudonym (STIX: an indicator and a sighting of it made at \
                your identity; MISP: type 0 sightings with date_sighting and source). Never the \
                victim's accounts, the case's reference or its records.
                """)

        enum FormatChoice: String, ExpressibleByArgument, CaseIterable {
            case stix, misp, csv
        }

        @Option(help: "stix, misp or csv.") var format: FormatChoice
        @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var out: String?
        @Option(
            name: .customLong("case"),
            help: ArgumentHelp("Only this case (reference or pseudonym); default every local case.", valueName: "name"))
        var caseName: String?
        @Option(
            help: ArgumentHelp("Who saw them, as the file says (default: the cases' organisation).", valueName: "name"))
        var source: String?
        @Option(help: "Traffic Light Protocol of the STIX objects: clear, green, amber, amber+strict, red.") var tlp = "amber"
        @Flag(help: "Do not name the helpline (MISP: no Organisation; STIX: an unnamed identity).") var anonymise = false
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            try Intel.validate(tlp: tlp)
            let book = try Intel.open(intel)
            var cases: [CasebookExchange.Shared] = []
            do {
                var names: [String] = []
                if let caseName {
                    names = [caseName]
                } else {
                    names = try book.casebookCases().filter { $0.entry.source == CasebookCase.localSource }.map(\.entry.pseudonym)
                }
                for name in names {
                    guard let found = try book.casebookCase(named: name) else {
                        Console.error("spoor: the casebook holds no case \(SafeText.terminal(name))")
                        throw ExitCode(1)
                    }
                    cases.append(found)
                }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw fail(error)
            }
            let named = source ?? cases.lazy.compactMap { $0.entry.organisation ?? $0.entry.examiner }.first
            guard anonymise || named != nil else {
                throw ValidationError("the cases name no organisation: say who saw them with --source, or give --anonymise")
            }
            let who = anonymise ? "an unnamed helpline" : named ?? ""
            let text: String
            switch format {
            case .stix:
                text = try CasebookExchange.stix(
                    cases, source: who, tlp: tlp, generatedAt: ISO8601DateFormatter().string(from: Date()))
            case .misp: text = try CasebookExchange.misp(cases, source: who, anonymise: anonymise)
            case .csv: text = CasebookExchange.csv(cases, source: who)
            }
            if let out {
                do { try Data(text.utf8).write(to: URL(fileURLWithPath: out)) } catch {
                    Console.error("spoor: error: \(SafeText.terminal(out)): \(error.localizedDescription)")
                    throw ExitStatus.failure
                }
                Console.error(
                    "\(cases.map(\.sightings.count).reduce(0, +)) sighting(s) of \(cases.count) case(s) written to \(out)")
            } else {
                print(text, terminator: "")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read another helpline's sightings (STIX 2.1, MISP sightings or Spoor's CSV) into the casebook.",
            discussion: """
                Each shared case becomes a case of that helpline, named by the source and the \
                pseudonym the file gives; later analyses recognise its addresses as they do your own \
                cases' and say whose sighting it was. Importing the same file again replaces what it \
                gave before. A case this casebook exported itself (same pseudonym, no address it \
                did not record) is not read in again: the local recording stays.
                """)

        @Argument(help: "Sightings files.") var files: [String]
        @Option(help: ArgumentHelp("Who shared them, when the file does not say.", valueName: "name")) var source: String?
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let book = try Intel.open(intel)
            var failed = false
            for file in files {
                do {
                    let data = try Data(contentsOf: URL(fileURLWithPath: file))
                    let cases = try CasebookExchange.read(
                        data, path: file, recordedAt: ISO8601DateFormatter().string(from: Date()), source: source)
                    var read: [CasebookExchange.Shared] = []
                    for (entry, sightings) in cases {
                        // This casebook's own case coming back: the local recording stays, once.
                        if let own = try book.localOriginal(of: entry, sightings: sightings) {
                            print(
                                SafeText.terminal(
                                    "\(file): \(entry.pseudonym) is this casebook's own case \(own.name); kept the local recording"
                                ))
                            continue
                        }
                        try book.recordCase(entry, sightings: sightings)
                        read.append((entry, sightings))
                    }
                    print(
                        SafeText.terminal(
                            "\(file): \(read.map(\.sightings.count).reduce(0, +)) sighting(s) of \(read.count) case(s)"
                                + (read.isEmpty ? "" : " (" + read.map(\.entry.pseudonym).joined(separator: ", ") + ")")))
                } catch let error as CocoaError {
                    Console.error("spoor: error: \(SafeText.terminal(file)): \(error.localizedDescription)")
                    failed = true
                } catch {
                    _ = fail(error)
                    failed = true
                }
            }
            if failed { throw ExitStatus.someInputsFailed }
        }
    }
}
