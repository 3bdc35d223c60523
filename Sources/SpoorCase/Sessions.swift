import Foundation
import SpoorAnalysis
import SpoorCore
import SpoorStore

/// Groups each account's events into sessions and marks what is new for the account.
///
/// The account is the record's account name, or — for exports that belong to one account and
/// do not repeat its name in each record — the exported account of that format. Events are taken
/// in time order (zone-less times by their wall-clock reading). An event joins the latest
/// session of its account that saw the same address, cookie or device within ``gap``; otherwise
/// it opens a new session. It is marked `address`, `network` (the /24 or /48 around it),
/// `device` or `user_agent` when it is the first of the account's events to bring one.
enum Sessions {
    static let gap = Sessioning.gap

    struct Open {
        var id: String
        var last: Int64
        var addresses: Set<String>
        var tokens: Set<String>
    }

    /// One account's state: its open sessions and how many it has had. What it has shown before
    /// (addresses, networks, devices, user agents) is in the store's ``NoveltyLedger``.
    struct Seen {
        var sessions: [Open] = []
        var count = 0
    }

    /// Marks one account's records as they come, in time order: only the account's open
    /// sessions are held.
    struct Marker {
        var seen = Seen()

        mutating func mark(_ row: AccountRecord, ledger: NoveltyLedger, newAccount: Bool) throws -> Mark {
            if newAccount { seen = Seen() }
            let time = row.timeKey
            let ip = row.ip
            let userAgent = row.userAgent
            let deviceField = row.device
            let cookie = row.cookie
            let device = deviceField ?? cookie ?? row.name
            var tokens = Set([cookie, deviceField].compactMap { $0 }.filter { !$0.isEmpty })
            if let userAgent, !userAgent.isEmpty { tokens.insert("ua:" + userAgent) }

            var novel: [Novelty] = []
            if let ip, let address = IPAddress(ip) {
                if try ledger.first("a", ip) { novel.append(.address) }
                if let network = Sessioning.network(around: address), try ledger.first("n", network.description) {
                    novel.append(.network)
                }
            }
            if let device, !device.isEmpty, try ledger.first("d", device) { novel.append(.device) }
            if let userAgent, !userAgent.isEmpty, try ledger.first("u", userAgent) { novel.append(.userAgent) }

            let match = seen.sessions.lastIndex { open in
                time - open.last <= gap && (ip.map(open.addresses.contains) == true || !open.tokens.isDisjoint(with: tokens))
            }
            let session: String
            if let match {
                seen.sessions[match].last = time
                if let ip { seen.sessions[match].addresses.insert(ip) }
                seen.sessions[match].tokens.formUnion(tokens)
                session = seen.sessions[match].id
            } else {
                seen.count += 1
                session = "S\(seen.count)"
                seen.sessions.append(Open(id: session, last: time, addresses: Set([ip].compactMap { $0 }), tokens: tokens))
                // Sessions idle for longer than the gap cannot be joined again.
                seen.sessions.removeAll { time - $0.last > gap }
            }
            return Mark(session: session, novel: novel)
        }
    }
}
