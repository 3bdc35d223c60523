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

    static let columns = [
        "ts", "orig_h", "orig_p", "resp_h", "resp_p", "proto", "service", "duration", "orig_bytes", "resp_bytes",
        "conn_state", "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
        "community_id", "names", "vlan", "tunnel", "ended", "evidence_sha256", "path", "first_packet", "last_packet",
    ]

    func run() throws {
        var output = BufferedOutput()
        switch format {
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
            output.write(self.line(stored))
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
    func readCapture(_ emit: (StoredFlow) -> Void) throws {
        let capture: CaptureFile
        do { capture = try CaptureFile(path: source) } catch { throw fail(error) }
        var flows: [Flow] = []
        let analyzer = CaptureAnalyzer(onFlow: { flows.append($0) }, onName: { _ in })
        let summary = analyzer.analyze(capture)
        for flow in flows.sorted(by: { ($0.firstTime, $0.id) < ($1.firstTime, $1.id) }) {
            emit(StoredFlow(flow: flow, evidenceSHA256: "", path: source == "-" ? "(standard input)" : source, member: nil))
        }
        Console.error("\(SafeText.terminal(source)): link type \(summary.linkType), \(summary.packets) packets, \(summary.flows) flows, \(summary.names) names")
        if let error = summary.error {
            Console.error("spoor: warning: \(SafeText.terminal(error.description)); packets before it were read")
        }
    }

    func line(_ stored: StoredFlow) -> String {
        let flow = stored.flow
        let time = Timestamp(sortKey: flow.firstTime, zone: .utc).rfc3339UTC ?? ""
        switch format {
        case .table:
            return pad(time, 28) + pad("\(flow.originator) \(flow.originatorPort)", 42)
                + pad("\(flow.responder) \(flow.responderPort)", 42) + pad(flow.protocolName, 6) + pad(flow.state, 7)
                + pad(flow.history.isEmpty ? "-" : flow.history, 12)
                + pad("\(flow.originatorPackets)/\(flow.responderPackets)", 12)
                + pad(flow.names.isEmpty ? "-" : flow.names.joined(separator: " "), 28)
                + SafeText.terminal(stored.locator.description) + "\n"
        case .jsonl:
            var object = values(stored, time: time)
            object["names"] = nil
            var text = "{"
            for (i, column) in Self.columns.enumerated() {
                if i > 0 { text += "," }
                text += JSONText.quote(column) + ":"
                if column == "names" {
                    text += "[" + flow.names.map { JSONText.quote($0) }.joined(separator: ",") + "]"
                } else if let value = object[column] ?? nil {
                    text += Self.numeric.contains(column) ? value : JSONText.quote(value)
                } else {
                    text += "null"
                }
            }
            return text + "}\n"
        case .csv:
            let object = values(stored, time: time)
            return Self.columns.map { SafeText.csvField((object[$0] ?? nil) ?? "") }.joined(separator: ",") + "\n"
        }
    }

    static let numeric: Set<String> = [
        "orig_p", "resp_p", "orig_bytes", "resp_bytes", "missed_bytes", "orig_pkts", "orig_ip_bytes", "resp_pkts",
        "resp_ip_bytes", "vlan", "first_packet", "last_packet", "duration",
    ]

    func values(_ stored: StoredFlow, time: String) -> [String: String?] {
        let flow = stored.flow
        let seconds = Double(flow.duration) / 1e9
        return [
            "ts": time, "orig_h": flow.originator.description, "orig_p": String(flow.originatorPort),
            "resp_h": flow.responder.description, "resp_p": String(flow.responderPort), "proto": flow.protocolName,
            "service": flow.services.isEmpty ? nil : flow.services.joined(separator: ","),
            "duration": flow.duration > 0 ? String(format: "%.6f", seconds) : nil,
            "orig_bytes": flow.originatorBytes.map(String.init), "resp_bytes": flow.responderBytes.map(String.init),
            "conn_state": flow.state, "missed_bytes": String(flow.missedBytes), "history": flow.history,
            "orig_pkts": String(flow.originatorPackets), "orig_ip_bytes": String(flow.originatorIPBytes),
            "resp_pkts": String(flow.responderPackets), "resp_ip_bytes": String(flow.responderIPBytes),
            "community_id": flow.communityID, "names": flow.names.joined(separator: " "),
            "vlan": flow.vlan.map(String.init), "tunnel": flow.tunnel?.rawValue, "ended": flow.ended,
            "evidence_sha256": stored.evidenceSHA256.isEmpty ? nil : stored.evidenceSHA256,
            "path": stored.member.map { "\(stored.path)!\($0)" } ?? stored.path,
            "first_packet": String(flow.firstPacket), "last_packet": String(flow.lastPacket),
        ]
    }

    func pad(_ text: String, _ width: Int) -> String {
        var cell = SafeText.terminal(text)
        if cell.count >= width { cell = String(cell.prefix(width - 2)) + "…" }
        return cell.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
