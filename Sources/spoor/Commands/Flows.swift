import ArgumentParser
import Foundation
import SpoorCapture
import SpoorCase
import SpoorCore

struct Flows: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the flows read from packet captures, with Zeek's conn.log columns.",
        discussion: """
            Reads a case's stored flows, or — given a capture file, or - for standard input — reads the \
            capture directly without storing anything. Columns follow Zeek's conn.log: orig_h/orig_p \
            opened the flow (as Zeek decides), conn_state and history use Zeek's letters, bytes count \
            payload (for TCP from sequence numbers), ip_bytes count whole IP packets. Each flow also has \
            its Community ID, the names it carried (TLS server name, HTTP host), and where it starts \
            (capture and packet number).
            """)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, jsonl, csv }

    @Argument(help: ArgumentHelp("A case folder, a pcap/pcapng file, or - for standard input.", valueName: "case-dir|capture"))
    var source: String
    @Option(help: "Output format: table, jsonl or csv.") var format: OutputFormat = .table
    @Flag(help: "Reading a capture: print only the summary line (packets, flows, names), not the flows.")
    var summaryOnly = false

    static let columns = [
        "ts", "orig_h", "orig_p", "resp_h", "resp_p", "proto", "service", "duration", "orig_bytes", "resp_bytes",
        "conn_state", "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
        "community_id", "names", "vlan", "tunnel", "ended", "evidence_sha256", "path", "first_packet", "last_packet",
    ]

    func run() throws {
        var output = BufferedOutput()
        switch summaryOnly ? .jsonl : format {
        case .table:
            output.write(
                pad("FIRST PACKET (UTC)", 28) + pad("ORIGINATOR", 42) + pad("RESPONDER", 42) + pad("PROTO", 6)
                    + pad("STATE", 7) + pad("HISTORY", 12) + pad("PKTS", 12) + pad("NAMES", 28) + "WHERE\n")
        case .csv:
            output.write(Self.columns.joined(separator: ",") + "\n")
        case .jsonl:
            break
        }
        var emit: (StoredFlow) -> Void = { stored in
            if !self.summaryOnly { output.write(self.line(stored)) }
        }
        if source == "-" || !FileManager.default.fileExists(atPath: (source as NSString).appendingPathComponent(CaseStore.fileName)) {
            try readCapture { emit($0) }
        } else {
            let store: CaseStore
            do { store = try CaseStore(directory: source) } catch { throw fail(error) }
            do { try store.forEachFlow { emit($0) } } catch {
                output.flush()
                throw fail(error)
            }
        }
        emit = { _ in }
        output.flush()
    }

    /// Reads a capture file (or standard input) directly.
    func readCapture(_ emit: @escaping (StoredFlow) -> Void) throws {
        let capture: CaptureFile
        do { capture = try CaptureFile(path: source) } catch { throw fail(error) }
        // Flows are printed as they end, so memory follows the flows open at once.
        let path = source == "-" ? "(standard input)" : source
        let analyzer = CaptureAnalyzer(
            onFlow: { emit(StoredFlow(flow: $0, evidenceSHA256: "", path: path, member: nil)) }, onName: { _ in })
        let summary = analyzer.analyze(capture)
        let line = "\(SafeText.terminal(source)): link type \(summary.linkType), \(summary.packets) packets, \(summary.flows) flows, \(summary.names) names"
        if summaryOnly { print(line) } else { Console.error(line) }
        if let error = summary.error {
            Console.error("spoor: warning: \(SafeText.terminal(error.description)); packets before it were read")
        }
    }

    func line(_ stored: StoredFlow) -> String {
        let flow = stored.flow
        let time = Self.rfc3339(flow.firstTime)
        switch format {
        case .table:
            return pad(time, 28) + pad("\(flow.originator) \(flow.originatorPort)", 42)
                + pad("\(flow.responder) \(flow.responderPort)", 42) + pad(flow.protocolName, 6) + pad(flow.state, 7)
                + pad(flow.history.isEmpty ? "-" : flow.history, 12)
                + pad("\(flow.originatorPackets)/\(flow.responderPackets)", 12)
                + pad(flow.names.isEmpty ? "-" : flow.names.joined(separator: " "), 28)
                + SafeText.terminal(stored.locator.description) + "\n"
        case .jsonl:
            let row = values(stored, time: time)
            var text = "{"
            for (i, column) in Self.columns.enumerated() {
                if i > 0 { text += "," }
                text += Self.quotedColumns[i] + ":"
                if column == "names" {
                    text += "[" + flow.names.map { JSONText.quote($0) }.joined(separator: ",") + "]"
                } else if let value = row[i] {
                    text += Self.numericColumns[i] ? value : JSONText.quote(value)
                } else {
                    text += "null"
                }
            }
            return text + "}\n"
        case .csv:
            return values(stored, time: time).map { SafeText.csvField($0 ?? "") }.joined(separator: ",") + "\n"
        }
    }

    static let quotedColumns = columns.map { JSONText.quote($0) }
    static let numericColumns = columns.map { numeric.contains($0) }

    static let numeric: Set<String> = [
        "orig_p", "resp_p", "orig_bytes", "resp_bytes", "missed_bytes", "orig_pkts", "orig_ip_bytes", "resp_pkts",
        "resp_ip_bytes", "vlan", "first_packet", "last_packet", "duration",
    ]

    /// The row's values in ``columns`` order; nil when Zeek would write `-`.
    func values(_ stored: StoredFlow, time: String) -> [String?] {
        let flow = stored.flow
        return [
            time, flow.originator.description, String(flow.originatorPort), flow.responder.description,
            String(flow.responderPort), flow.protocolName, flow.services.isEmpty ? nil : flow.services.joined(separator: ","),
            flow.duration > 0 ? Self.seconds(flow.duration) : nil, flow.originatorBytes.map(String.init),
            flow.responderBytes.map(String.init), flow.state, String(flow.missedBytes), flow.history,
            String(flow.originatorPackets), String(flow.originatorIPBytes), String(flow.responderPackets),
            String(flow.responderIPBytes), flow.communityID, flow.names.joined(separator: " "),
            flow.vlan.map(String.init), flow.tunnel?.rawValue, flow.ended,
            stored.evidenceSHA256.isEmpty ? nil : stored.evidenceSHA256,
            stored.member.map { "\(stored.path)!\($0)" } ?? stored.path, String(flow.firstPacket), String(flow.lastPacket),
        ]
    }

    /// RFC 3339 UTC with microseconds, as pcap records most often carry; the civil date is
    /// computed once per second of capture time.
    static func rfc3339(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
        let micro = (nanoseconds - seconds * 1_000_000_000) / 1000
        let whole = Timestamp(sortKey: seconds * 1_000_000_000, zone: .utc).rfc3339UTC ?? ""
        let fraction = String(micro)
        return String(whole.dropLast()) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }

    /// Nanoseconds as seconds with six decimals, as Zeek writes intervals.
    static func seconds(_ nanoseconds: Int64) -> String {
        let micro = (nanoseconds + 500) / 1000
        let fraction = String(micro % 1_000_000)
        return "\(micro / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    func pad(_ text: String, _ width: Int) -> String {
        var cell = SafeText.terminal(text)
        if cell.count >= width { cell = String(cell.prefix(width - 2)) + "…" }
        return cell.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
