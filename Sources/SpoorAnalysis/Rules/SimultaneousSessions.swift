import Foundation
import SpoorCore

extension RuleID {
    public static let simultaneousSessions = RuleID("simultaneous_sessions")
}

/// `simultaneous_sessions`: two sessions of one account overlapping in time (the later one
/// starting before the earlier one's last event) from addresses in different countries.
///
/// Events arrive in time order, so two sessions overlap exactly when, at an event of one, the
/// other's last event is not before the first's start; every event is checked against the
/// sessions still held. A session is let go once it has ended (idle for longer than the session
/// gap) and no session that started before its last event is still running: nothing that comes
/// later can overlap it. Memory holds the sessions running at once, not the account's history.
public final class SimultaneousSessions: Rule {
    public static let id = RuleID.simultaneousSessions
    public static let summary = "Two sessions of the same account overlapped in time from different countries."
    public static let reads =
        "Each account's sessions in time order, with the countries the databases give for their addresses."
    public static let doesNotShow =
        "Two places at once can be two people, or one person behind a VPN, a relay or a mobile carrier whose addresses geolocate far away."
    public let scope = RuleScope.account
    public var tunables: [Tunable] {
        [Tunable("overlap", .text("any"), "Sessions overlap when the later one starts before the earlier one's last event.")]
    }

    /// A session's events that name an address: the first of them, the time of the last, and
    /// each country with the first address seen there.
    final class Span {
        let session: String
        let first: AccountEvent
        var last: Int64
        var countries: [String: String] = [:]
        init(_ session: String, _ first: AccountEvent) {
            self.session = session
            self.first = first
            last = first.timeKey
        }

        /// Report order: the earlier start first, then the session name.
        func precedes(_ other: Span) -> Bool {
            (first.timeKey, session) < (other.first.timeKey, other.session)
        }
    }

    private let forgetEvery: Int
    private var account = ""
    private var spans: [String: Span] = [:]
    /// The last event of each held session, of any kind (a session idle past the gap has ended).
    private var sessionLast: [String: Int64] = [:]
    /// Overlapping pairs that have shown two countries, earlier session first.
    private var pairs: [(Span, Span)] = []
    private var paired: Set<String> = []
    private var consumed = 0

    public init(forgetEvery: Int = 4096) { self.forgetEvery = max(1, forgetEvery) }

    public func begin(account: String) {
        self.account = account
        spans = [:]
        sessionLast = [:]
        pairs = []
        paired = []
        consumed = 0
    }

    public func consume(_ event: AccountEvent) throws {
        guard let session = event.session else { return }
        let time = event.timeKey
        sessionLast[session] = time
        consumed += 1
        if consumed % forgetEvery == 0 { forget(at: time) }
        guard let ip = event.ip else { return }
        let span = spans[session] ?? Span(session, event)
        spans[session] = span
        span.last = max(span.last, time)
        for country in event.countries where span.countries[country] == nil { span.countries[country] = ip }
        guard !span.countries.isEmpty else { return }
        for other in spans.values where other !== span && !other.countries.isEmpty {
            let (a, b) = span.precedes(other) ? (span, other) : (other, span)
            guard b.first.timeKey <= a.last else { continue }
            // Two countries between them: a candidate (the statement is made from the final countries).
            guard Set(a.countries.keys).union(b.countries.keys).count > 1 else { continue }
            let key = a.session + "\u{0}" + b.session
            if paired.insert(key).inserted { pairs.append((a, b)) }
        }
    }

    /// Lets go of the sessions nothing later can overlap.
    private func forget(at time: Int64) {
        let running = sessionLast.filter { time - $0.value <= Sessioning.gap }.keys
        let earliestRunning = running.compactMap { spans[$0]?.first.timeKey }.min() ?? .max
        for (session, span) in spans where !running.contains(session) && span.last < earliestRunning {
            spans[session] = nil
            sessionLast[session] = nil
        }
        for (session, _) in sessionLast where spans[session] == nil && !running.contains(session) { sessionLast[session] = nil }
    }

    public func finishAccount() throws -> [Finding] {
        let ordered = pairs.sorted { x, y in
            if x.0 !== y.0 { return x.0.precedes(y.0) }
            return x.1.precedes(y.1)
        }
        return ordered.compactMap { a, b in
            // The earlier session's first country (by name), and the later one's first other country.
            guard let countryA = a.countries.keys.min(), let ipA = a.countries[countryA],
                let countryB = b.countries.keys.sorted().first(where: { $0 != countryA }), let ipB = b.countries[countryB]
            else { return nil }
            return finding(
                .medium,
                "On \(account), session \(a.session) from \(ipA) (\(countryA)) and session \(b.session) from \(ipB) (\(countryB)) were active at the same time (from \(b.first.shownTime)). "
                    + "Two places at once can mean two people, or one person behind a VPN or relay.",
                addresses: [ipA, ipB], locators: [a.first.locator, b.first.locator])
        }
    }
}
