import ArgumentParser
import Foundation
import SpoorCase
import SpoorStore
import SpoorCore
import SpoorLogs

struct Formats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the evidence formats Spoor reads.")

    func run() {
        for parser in ParserRegistry.all {
            print("\(parser.formatID)  —  \(parser.displayName) (parser v\(parser.version))")
            print("    reads: \(parser.reads)")
        }
        print(
            "Archives: zip (also zips inside zips), read in place. Packet captures (pcap, pcapng, any link type libpcap reads): flows, DNS answers, TLS server names and HTTP hosts; see 'spoor flows'."
        )
    }
}
