import ArgumentParser
import Foundation
import SpoorCapture
import SpoorCase
import SpoorStore
import SpoorCore
import SpoorReport

struct Flows: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the flows read from packet captures, with Zeek's conn.log columns.",
        discussion: """
            Reads a case's stored flows, or — given a capture file, or - for standard input — reads the \
            capture directly without storing anything. Columns follow Zeek's conn.log: orig_h/orig_p \
            opened the flow (as Zeek decides), conn_state and history use Zeek's letters, bytes count \
            payload (for TCP from sequence numbers), ip_bytes count whole IP packets. Each flow also has \
            its Community ID, the names it carried (TLS or QUIC server name, HTTP host), and where it starts \
            (capture and packet number).
            """)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, jsonl, csv }

    @Argument(help: ArgumentHelp("A case folder, a pcap/pcapng file, or - for standard input.", valueName: "case-dir|capture"))
    var source: String
    @Option(help: "Output format: table, jsonl or csv.") var format: OutputFormat = .table
    @Flag(help: "Reading a capture: print only the summary line (packets, flows, names), not the flows.")
    var summaryOnly = false

    static let columns = FlowRowWriter.columns

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
        var rows = FlowRowWriter(style: format == .jsonl ? .jsonl : .csv)
        var emit: (StoredFlow) -> Void = { stored in
            guard !self.summaryOnly else { return }
            if self.format == .table {
                output.write(self.tableLine(stored))
                return
            }
            rows.row(stored)
            if rows.bytes.count >= 1 << 16 {
                output.write(bytes: rows.bytes)
                rows.bytes.removeAll(keepingCapacity: true)
            }
        }
        if source == "-"
            || !FileManager.default.fileExists(atPath: (source as NSString).appendingPathComponent(CaseStore.fileName))
        {
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
        output.write(bytes: rows.bytes)
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
        let line =
            "\(SafeText.terminal(source)): link type \(summary.linkType), \(summary.packets) packets, \(summary.flows) flows, \(summary.names) names"
        if summaryOnly { print(line) } else { Console.error(line) }
        if let refusal = summary.libpcapRefusal {
            Console.error("spoor: note: \(SafeText.terminal(refusal.description)); Spoor's own pcapng reader read the rest")
        }
        if let error = summary.error {
            Console.error("spoor: warning: \(SafeText.terminal(error.description)); packets before it were read")
        }
    }

    /// A row of the table (CSV and JSON Lines rows are written by ``FlowRowWriter``).
    func tableLine(_ stored: StoredFlow) -> String {
        let flow = stored.flow
        var clock = FlowRowWriter(style: .csv)
        clock.time(flow.firstTime)
        let time = String(decoding: clock.bytes, as: UTF8.self)
        return pad(time, 28) + pad("\(flow.originator) \(flow.originatorPort)", 42)
            + pad("\(flow.responder) \(flow.responderPort)", 42) + pad(flow.protocolName, 6) + pad(flow.state, 7)
            + pad(flow.history.isEmpty ? "-" : flow.history, 12)
            + pad("\(flow.originatorPackets)/\(flow.responderPackets)", 12)
            + pad(flow.names.isEmpty ? "-" : flow.names.joined(separator: " "), 28)
            + SafeText.terminal(stored.locator.description) + "\n"
    }

    func pad(_ text: String, _ width: Int) -> String {
        var cell = SafeText.terminal(text)
        if cell.count >= width { cell = String(cell.prefix(width - 2)) + "…" }
        return cell.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
