import ArgumentParser
import Foundation
import SpoorCase
import SpoorCore

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

    struct JSONLine: Encodable {
        var time: String?
        var timeRaw: String?
        var timeRule: String?
        var timeZone: String?
        var timeAssumption: String?
        var ip: String?
        var ipRaw: String?
        var port: Int?
        var action: String
        var rawAction: String?
        var account: String?
        var userAgent: String?
        var userAgentSummary: String?
        var accountKey: String?
        var session: String?
        var novel: [String]
        var count: Int
        var format: String
        var evidenceSha256: String
        var locator: Locator
        var fields: [String: String]

        enum CodingKeys: String, CodingKey {
            case time, timeRaw = "time_raw", timeRule = "time_rule", timeZone = "time_zone",
                timeAssumption = "time_assumption", ip, ipRaw = "ip_raw", port, action, rawAction = "raw_action",
                account, userAgent = "user_agent", userAgentSummary = "user_agent_summary", accountKey = "account_key",
                session, novel, count, format, evidenceSha256 = "evidence_sha256", locator, fields
        }

        // Absent values are written as null so every line has the same keys.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(time, forKey: .time)
            try c.encode(timeRaw, forKey: .timeRaw)
            try c.encode(timeRule, forKey: .timeRule)
            try c.encode(timeZone, forKey: .timeZone)
            try c.encode(timeAssumption, forKey: .timeAssumption)
            try c.encode(ip, forKey: .ip)
            try c.encode(ipRaw, forKey: .ipRaw)
            try c.encode(port, forKey: .port)
            try c.encode(action, forKey: .action)
            try c.encode(rawAction, forKey: .rawAction)
            try c.encode(account, forKey: .account)
            try c.encode(userAgent, forKey: .userAgent)
            try c.encode(userAgentSummary, forKey: .userAgentSummary)
            try c.encode(accountKey, forKey: .accountKey)
            try c.encode(session, forKey: .session)
            try c.encode(novel, forKey: .novel)
            try c.encode(count, forKey: .count)
            try c.encode(format, forKey: .format)
            try c.encode(evidenceSha256, forKey: .evidenceSha256)
            try c.encode(locator, forKey: .locator)
            try c.encode(fields, forKey: .fields)
        }
    }

    static let csvColumns = [
        "time", "time_raw", "time_zone", "ip", "port", "action", "raw_action", "account", "user_agent",
        "user_agent_summary", "session", "novel", "count", "format", "evidence_sha256", "path", "position",
    ]

    func run() throws {
        let store: CaseStore
        do { store = try CaseStore(directory: directory) } catch { throw fail(error) }
        let encoder = JSONOutput.encoder(snakeCase: false)
        var output = BufferedOutput()
        switch format {
        case .table:
            output.write(pad("TIME (UTC)", 32) + pad("IP", 40) + pad("PORT", 6) + pad("ACTION", 15) + pad("ACCOUNT", 16) + pad("NEW", 10) + "WHERE\n")
        case .csv:
            output.write(Events.csvColumns.joined(separator: ",") + "\n")
        case .jsonl:
            break
        }
        do {
            try store.forEachEvent { event in
                switch format {
                case .table:
                    output.write(
                        pad(event.displayTime, 32) + pad(event.ip ?? event.ipRaw.map { "?\($0)" } ?? "-", 40)
                            + pad(event.port.map(String.init) ?? "-", 6) + pad(event.action, 15)
                            + pad(event.account ?? "-", 16) + pad(Events.novelty(event.novel), 10)
                            + SafeText.terminal(event.locator.description) + "\n")
                case .jsonl:
                    let line = JSONLine(
                        time: event.timeUTC, timeRaw: event.timeRaw, timeRule: event.timeRule, timeZone: event.timeZone,
                        timeAssumption: event.timeAssumption, ip: event.ip, ipRaw: event.ipRaw, port: event.port,
                        action: event.action, rawAction: event.rawAction, account: event.account, userAgent: event.userAgent,
                        userAgentSummary: event.userAgentSummary, accountKey: event.accountKey, session: event.session,
                        novel: event.novel, count: event.count, format: event.format, evidenceSha256: event.locator.evidenceSHA256,
                        locator: event.locator, fields: event.fields)
                    output.write(String(decoding: try encoder.encode(line), as: UTF8.self) + "\n")
                case .csv:
                    let position = event.locator.positionText.trimmingCharacters(in: CharacterSet(charactersIn: ": "))
                    let values: [String] = [
                        event.timeUTC ?? "", event.timeRaw ?? "", event.timeZone ?? "", event.ip ?? event.ipRaw ?? "",
                        event.port.map(String.init) ?? "", event.action, event.rawAction ?? "", event.account ?? "",
                        event.userAgent ?? "", event.userAgentSummary ?? "", event.session ?? "", event.novel.joined(separator: " "),
                        String(event.count), event.format, event.locator.evidenceSHA256,
                        event.locator.member.map { "\(event.locator.path)!\($0)" } ?? event.locator.path, position,
                    ]
                    output.write(values.map { SafeText.csvField($0) }.joined(separator: ",") + "\n")
                }
            }
        } catch {
            output.flush()
            throw fail(error)
        }
        output.flush()
    }

    /// `A N D U` for a new address, network, device, user agent.
    static func novelty(_ novel: [String]) -> String {
        let letters = ["address": "A", "network": "N", "device": "D", "user_agent": "U"]
        let text = novel.compactMap { letters[$0] }.joined(separator: " ")
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

    mutating func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
