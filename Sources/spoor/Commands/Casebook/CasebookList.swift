import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

extension Casebook {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the cases the casebook holds.")

        @Flag(help: "Write JSON.") var json = false
        @OptionGroup var intel: IntelStoreOption

        struct Listed: Encodable {
            var `case`: CasebookCase
            var sightings: Int
        }

        func run() throws {
            let book = try Intel.open(intel)
            let cases: [(entry: CasebookCase, sightings: Int)]
            do { cases = try book.casebookCases() } catch { throw fail(error) }
            if json {
                print(try JSONOutput.string(cases.map { Listed(case: $0.entry, sightings: $0.sightings) }, pretty: true))
                return
            }
            if cases.isEmpty { print("the casebook holds no case") }
            for (entry, sightings) in cases {
                let who = [entry.examiner, entry.organisation].compactMap { $0 }.joined(separator: ", ")
                print(
                    SafeText.terminal(
                        "\(entry.name)  \(sightings) address(es)  recorded \(entry.recordedAt)"
                            + (who.isEmpty ? "" : "  by \(who)")
                            + (entry.source == CasebookCase.localSource ? "" : "  from \(entry.source)")))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what the casebook recorded of one case.")

        @Argument(help: "The case's reference or pseudonym.") var name: String
        @Flag(help: "Write JSON.") var json = false
        @OptionGroup var intel: IntelStoreOption

        struct Shown: Encodable {
            var `case`: CasebookCase
            var sightings: [CasebookSighting]
        }

        func run() throws {
            let book = try Intel.open(intel)
            let found: (entry: CasebookCase, sightings: [CasebookSighting])?
            do { found = try book.casebookCase(named: name) } catch { throw fail(error) }
            guard let found else {
                Console.error("spoor: the casebook holds no case \(SafeText.terminal(name))")
                throw ExitCode(1)
            }
            if json {
                print(try JSONOutput.string(Shown(case: found.entry, sightings: found.sightings), pretty: true))
                return
            }
            print(SafeText.terminal("\(found.entry.name), recorded \(found.entry.recordedAt)"))
            for sighting in found.sightings {
                print("  " + Casebook.line(sighting))
                for agent in sighting.userAgents { print("      user agent: " + SafeText.excerpt(agent, limit: 160)) }
                for device in sighting.devices { print("      device: " + SafeText.excerpt(device, limit: 160)) }
            }
        }
    }

    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find the cases that saw an address, its /24 or /48, or an AS.")

        @Argument(help: "An IP address, a network (192.0.2.0/24) or an AS number (AS64500).") var value: String
        @Flag(help: "Write JSON.") var json = false
        @OptionGroup var intel: IntelStoreOption

        struct Found: Encodable {
            var `case`: CasebookCase
            var sighting: CasebookSighting
        }

        func run() throws {
            let book = try Intel.open(intel)
            let found: [(entry: CasebookCase, sighting: CasebookSighting)]
            do {
                if let address = IPAddress(value) {
                    found = try book.casebookSearch(address: address, network: CasebookSighting.network(of: address))
                } else if let network = IPNetwork(value) {
                    found = try book.casebookSearch(network: network.description)
                } else if let asn = UInt32(value.uppercased().replacingOccurrences(of: "AS", with: "")) {
                    found = try book.casebookSearch(asn: asn)
                } else {
                    Console.error("spoor: error: \(SafeText.terminal(value)): not an address, a network or an AS number")
                    throw ExitCode.validationFailure
                }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw fail(error)
            }
            if json {
                print(try JSONOutput.string(found.map { Found(case: $0.entry, sighting: $0.sighting) }, pretty: true))
                return
            }
            if found.isEmpty { print("no case in the casebook saw \(SafeText.terminal(value))") }
            for (entry, sighting) in found { print(SafeText.terminal(entry.name) + ": " + Casebook.line(sighting)) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw a case from the casebook: its record and every address it recorded are deleted.",
            discussion: "Exit status 1 when the casebook holds no such case.")

        @Argument(help: "The case's reference or pseudonym.") var name: String
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let book = try Intel.open(intel)
            let removed: Int
            do { removed = try book.removeCasebookCase(named: name) } catch { throw fail(error) }
            guard removed > 0 else {
                Console.error("spoor: the casebook holds no case \(SafeText.terminal(name))")
                throw ExitCode(1)
            }
            print("\(SafeText.terminal(name)): removed from the casebook")
        }
    }
}
