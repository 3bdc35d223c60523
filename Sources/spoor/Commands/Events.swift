import ArgumentParser
import Foundation
import SpoorCase
import SpoorStore
import SpoorCore
import SpoorReport

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every observation in a case, in time order.",
        discussion: """
            jsonl prints one JSON object per observation with time (RFC 3339 UTC, or null when the source \
            gave no zone — then time_raw holds the text), ip, port, action, format, evidence_sha256 and locator.

            After 'spoor analyze', each event also has its account's session and what it brought that the \
            account had not shown before; in the table's NEW column: A address, N network (/24 or /48), \
            D device or cookie, U user agent.
            """)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, jsonl, csv }

    @Argument(help: ArgumentHelp("The case folder.", valueName: "case-dir")) var directory: String
    @Option(help: "Output format: table, jsonl or csv.") var format: OutputFormat = .table

    static let csvColumns = EventRows.columns

    func run() throws {
        let store: CaseStore
        do { store = try CaseStore(directory: directory) } catch { throw fail(error) }
        let encoder = JSONOutput.encoder(snakeCase: false)
        var output = BufferedOutput()
        switch format {
        case .table:
            output.write(
                pad("TIME (UTC)", 32) + pad("IP", 40) + pad("PORT", 6) + pad("ACTION", 26) + pad("ACCOUNT", 16) + pad("NEW", 10)
                    + "WHERE\n")
        case .csv:
            output.write(Events.csvColumns.joined(separator: ",") + "\n")
        case .jsonl:
            break
        }
        do {
            // Only JSON lines show a record's fields.
            try store.forEachEvent(withFields: format == .jsonl) { event in
                switch format {
                case .table:
                    output.write(
                        pad(event.displayTime, 32) + pad(event.ip ?? event.ipRaw.map { "?\($0)" } ?? "-", 40)
                            + pad(event.port.map(String.init) ?? "-", 6) + pad(Events.actionText(event), 26)
                            + pad(event.account ?? "-", 16) + pad(Events.novelty(event.novel), 10)
                            + SafeText.terminal(event.locator.description) + "\n")
                case .jsonl:
                    output.write(String(decoding: try encoder.encode(event), as: UTF8.self) + "\n")
                case .csv:
                    output.write(EventRows.csvLine(event))
                }
            }
        } catch {
            output.flush()
            throw fail(error)
        }
        output.flush()
    }

    /// The action, with the source's own name for one Spoor does not map (`other: Set-Mailbox`).
    static func actionText(_ event: StoredEvent) -> String {
        guard event.action == .access(.other), let raw = event.rawAction, !raw.isEmpty else { return event.action.rawValue }
        return "other: " + raw
    }

    /// `A N D U` for a new address, network, device, user agent.
    static func novelty(_ novel: [Novelty]) -> String {
        let text = novel.map { novelty -> String in
            switch novelty {
            case .address: "A"
            case .network: "N"
            case .device: "D"
            case .userAgent: "U"
            }
        }.joined(separator: " ")
        return text.isEmpty ? "-" : text
    }

    /// A terminal-safe cell padded to `width` (or cut with an ellipsis).
    func pad(_ text: String, _ width: Int) -> String {
        var cell = SafeText.terminal(text)
        if cell.count >= width { cell = String(cell.prefix(width - 2)) + "…" }
        return cell.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}

/// Standard output in 64 KiB writes rather than one write per line.
struct BufferedOutput {
    private var buffer = Data()

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func write(bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
