import SpoorCore

/// Folds the lines sshd writes for one failed authentication into one failure.
///
/// For one wrong password sshd may log `Invalid user admin from …`, then PAM's
/// `authentication failure; … rhost=…`, then `Failed password for invalid user admin from …`.
/// Counted separately they would make three failed logins of one attempt. The `Failed …` line is
/// the failure; the lines before it from the same process are kept as its supporting records
/// (action `other`, with `failure_line` naming the line they support). When a process moves on
/// without a `Failed` line (the client gave up, or logged in another way), what was held is
/// one failure: the PAM line if there is one, else the `Invalid user` line.
struct FailedAttempts {
    private var held: [Substring: [AccessEvent]] = [:]
    /// Fields for the failure last settled: the lines that supported it.
    private(set) var lastSupport: [String: String] = [:]

    /// Lines that belong to an attempt whose outcome a later line gives.
    static func isSupporting(_ event: AccessEvent) -> Bool {
        event.action == .loginFailed && (event.rawAction == "Invalid user" || event.rawAction == "PAM authentication failure")
    }

    mutating func hold(_ event: AccessEvent, pid: Substring) {
        held[pid, default: []].append(event)
    }

    /// What was held for `pid`, settled by the line that follows: supporting records of it when
    /// it is a `Failed …` line, else one failure and its supporting records.
    mutating func settle(pid: Substring, with next: AccessEvent, line: Int) -> [AccessEvent] {
        lastSupport = [:]
        guard let events = held.removeValue(forKey: pid) else { return [] }
        if next.action == .loginFailed {
            lastSupport["supporting_lines"] = events.compactMap(Self.lineNumber).map(String.init).joined(separator: ",")
            return events.map { Self.supporting($0, failureLine: "line \(line) (\(next.rawAction ?? "Failed"))") }
        }
        return Self.alone(events)
    }

    /// Everything still held at the end of the file.
    mutating func settleAll() -> [AccessEvent] {
        let all = held.keys.sorted().flatMap { Self.alone(held[$0] ?? []) }
        held = [:]
        return all
    }

    /// An attempt with no `Failed` line: one failure, the others supporting it.
    static func alone(_ events: [AccessEvent]) -> [AccessEvent] {
        guard let failure = events.lastIndex(where: { $0.rawAction == "PAM authentication failure" }) ?? events.indices.first
        else { return [] }
        let failed = events[failure]
        var failureLine = "the same attempt"
        if let line = lineNumber(failed) { failureLine = "line \(line) (\(failed.rawAction ?? ""))" }
        // A plain loop: Swift 6.3's optimiser crashed on this function written as a map (release builds).
        var out: [AccessEvent] = []
        out.reserveCapacity(events.count)
        var others: [String] = []
        for index in events.indices where index != failure {
            out.append(supporting(events[index], failureLine: failureLine))
            if let line = lineNumber(events[index]) { others.append(String(line)) }
        }
        var main = failed
        if events.count > 1 { main.fields["supporting_lines"] = others.joined(separator: ",") }
        out.insert(main, at: failure)
        return out
    }

    static func supporting(_ event: AccessEvent, failureLine: String) -> AccessEvent {
        var event = event
        event.action = .other
        event.fields["failure_line"] = failureLine
        return event
    }

    static func lineNumber(_ event: AccessEvent) -> Int? {
        if case .line(let n) = event.locator.position { return n }
        return nil
    }
}
