import Foundation
import SpoorCore

/// OpenSSH server messages from `auth.log`, `secure` or journal text.
///
/// Reads BSD syslog prefixes (`Dec 10 06:55:46 host sshd[123]: …`, no year and no zone) and
/// RFC 3339 prefixes (Debian 12 rsyslog). The process may be `sshd`, `sshd-session` (OpenSSH 9.8+)
/// or `sshd-auth`; `passwd` password changes are read too. Lines of other programs are counted
/// as ignored. See `shared/reference/login-exports.md` §9.2 for the message table.
public struct OpenSSHParser: LogParser {
    public static let formatID = "openssh"
    public static let accountScope = AccountScope.namedAccounts
    public static let displayName = "OpenSSH server log"
    public static let version = "2"
    public static let reads = "auth.log, secure, or journal text holding sshd, sshd-session or passwd lines"

    static let sshdProcesses: Set<Substring> = ["sshd", "sshd-session", "sshd-auth"]

    let options: ParseOptions

    public init(options: ParseOptions) { self.options = options }

    public static func recognize(_ sample: FormatSample) -> Int {
        let lines = sample.lines(limit: 200)
        guard !lines.isEmpty else { return 0 }
        var year = SyslogDateReader(startYear: 2000, yearSource: "")
        var prefixed = 0
        var sshd = 0
        for line in lines {
            guard let prefix = SyslogPrefix.read(line, syslogDates: &year) else { continue }
            prefixed += 1
            if sshdProcesses.contains(prefix.process) { sshd += 1 }
        }
        guard sshd > 0 else { return 0 }
        let name = sample.fileName.lowercased()
        let nameHint = name.hasPrefix("auth.log") || name.hasPrefix("secure") || name.contains("sshd")
        return prefixed * 2 >= lines.count ? (nameHint ? 95 : 85) : 40
    }

    public func parse(
        _ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink
    ) throws -> ParseSummary {
        var reader = LineReader(source)
        var summary = ParseSummary()
        var dates: SyslogDateReader? = options.year.map {
            SyslogDateReader(startYear: $0, yearSource: "given by the examiner")
        }
        // Accepted logins by process id, so that PAM session lines (which name no address)
        // can point back to the line that did.
        var loginsByPID: [Substring: (endpoint: Endpoint, line: Int)] = [:]
        // One attempt, one failure: `Invalid user` and PAM `authentication failure` lines come
        // before the `Failed …` line of the same attempt and are held, by process, until it
        // comes (then they are its supporting lines) or the process moves on (then the attempt
        // had no `Failed` line, and one of them is the failure).
        var attempts = FailedAttempts()

        while let line = try reader.next() {
            let locator = Locator(evidence: evidence, position: .line(line.number))
            if line.text.allSatisfy(\.isWhitespace) { continue }
            summary.records += 1
            if line.truncated {
                sink.warn(ParseWarning(locator: locator, message: "line longer than 1 MiB, cut", excerpt: line.text))
            }
            if dates == nil, let first = line.text.first, first.isLetter {
                let year = startYear(firstLine: line.text, modified: evidence.modified)
                dates = SyslogDateReader(
                    startYear: year,
                    yearSource: evidence.modified == nil
                        ? "assumed (no modification time)" : "inferred from the file's modification time")
                let modified = evidence.modified.flatMap { Timestamp.unixSeconds(Int64($0.timeIntervalSince1970)).rfc3339UTC }
                summary.notes.append(
                    "The log's dates have no year; \(year) was taken for its first line from "
                        + (modified.map { "the file's modification time (\($0))" }
                            ?? "nothing (the file has no modification time)")
                        + ", which a copy may have changed. If that is wrong, read it again with --replace --year YYYY.")
            }
            // RFC 3339 lines need no year; the reader is only kept once a BSD date created it.
            var yearReader = dates ?? SyslogDateReader(startYear: 1970, yearSource: "unused")
            let prefix = SyslogPrefix.read(Substring(line.text), syslogDates: &yearReader)
            if dates != nil { dates = yearReader }
            guard let prefix else {
                summary.malformed += 1
                sink.warn(ParseWarning(locator: locator, message: "not a syslog line", excerpt: line.text))
                continue
            }

            let isSSHD = OpenSSHParser.sshdProcesses.contains(prefix.process)
            guard isSSHD || prefix.process == "passwd" else {
                summary.ignored += 1
                continue
            }
            var context = MessageContext(
                time: prefix.time, locator: locator, pid: prefix.pid, host: prefix.host, process: prefix.process)
            var message = prefix.message
            if let (n, inner) = OpenSSHMessage.repeated(message) {
                context.count = n
                message = inner
            }
            guard var event = OpenSSHMessage.event(message, context: context) else {
                summary.ignored += 1
                continue
            }
            if event.ip == nil, let raw = event.ipRaw {
                sink.warn(ParseWarning(locator: locator, message: "address not readable", excerpt: raw))
            }
            if let pid = prefix.pid, isSSHD {
                if FailedAttempts.isSupporting(event) {
                    attempts.hold(event, pid: pid)
                    continue
                }
                for held in attempts.settle(pid: pid, with: event, line: line.number) { try sink.accept(.access(held)) }
                if event.action == .loginFailed { event.fields.merge(attempts.lastSupport) { a, _ in a } }
            }
            if event.action == .login, let ip = event.ip, let pid = prefix.pid {
                loginsByPID[pid] = (Endpoint(address: ip, port: event.port), line.number)
            } else if event.action == .sessionStart || event.action == .sessionEnd, event.ip == nil,
                let pid = prefix.pid, let login = loginsByPID[pid]
            {
                event.ip = login.endpoint.address
                event.port = login.endpoint.port
                event.fields["address_from"] = "line \(login.line) (same sshd process \(pid))"
                if event.action == .sessionEnd { loginsByPID[pid] = nil }
            }
            try sink.accept(.access(event))
        }
        for held in attempts.settleAll() { try sink.accept(.access(held)) }
        return summary
    }

    /// The year of the first line when only the file's modification time is known: the log
    /// ends at that time, so a first month later than the modification month is the year before.
    func startYear(firstLine: String, modified: Date?) -> Int {
        let end = modified ?? Date(timeIntervalSince1970: 0)
        let endTime = Timestamp.unixSeconds(Int64(end.timeIntervalSince1970))
        let parts = (endTime.rfc3339UTC ?? "1970-01").split(separator: "-")
        let endYear = Int(parts[0]) ?? 1970
        let endMonth = parts.count > 1 ? Int(parts[1]) ?? 12 : 12
        guard let firstMonth = SyslogDateReader.month(of: firstLine) else { return endYear }
        return SyslogDateReader.startYear(firstMonth: firstMonth, endYear: endYear, endMonth: endMonth)
    }
}

/// The parts of a syslog line before the message.
struct SyslogPrefix {
    var time: Timestamp
    var host: Substring
    var process: Substring
    var pid: Substring?
    var message: Substring

    /// Reads `<time> <host> <process>[<pid>]: <message>` with a BSD or RFC 3339 time.
    static func read(_ line: Substring, syslogDates: inout SyslogDateReader) -> SyslogPrefix? {
        var rest: Substring
        let time: Timestamp
        if let first = line.utf8.first, first >= 0x30 && first <= 0x39 {
            guard let space = line.utf8.firstIndex(of: 0x20),
                let t = Timestamp.parseISO8601(String(line[..<space]))
            else { return nil }
            time = t
            rest = line[line.index(after: space)...]
        } else {
            guard line.count > 16, let t = syslogDates.read(line) else { return nil }
            time = t
            rest = line.dropFirst(15)
            guard rest.first == " " else { return nil }
            rest = rest.dropFirst()
        }
        guard let hostEnd = rest.utf8.firstIndex(of: 0x20) else { return nil }
        let host = rest[..<hostEnd]
        rest = rest[rest.index(after: hostEnd)...]
        guard let colon = rest.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        var tag = rest[..<colon]
        guard !tag.isEmpty, !tag.utf8.contains(0x20) else { return nil }
        var pid: Substring? = nil
        if tag.utf8.last == UInt8(ascii: "]"), let open = tag.utf8.firstIndex(of: UInt8(ascii: "[")) {
            pid = tag[tag.index(after: open)..<tag.index(before: tag.endIndex)]
            tag = tag[..<open]
        }
        var message = rest[rest.utf8.index(after: colon)...]
        if message.utf8.first == 0x20 { message = message.dropFirst() }
        return SyslogPrefix(time: time, host: host, process: tag, pid: pid, message: message)
    }
}

struct MessageContext {
    var time: Timestamp
    var locator: Locator
    var pid: Substring?
    var host: Substring
    var process: Substring
    var count = 1
}
