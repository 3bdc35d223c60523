import Foundation
import SpoorCore

/// Reads one sshd or passwd message into an access event.
///
/// User names and disconnect reasons are chosen by the client, so they may contain text that
/// looks like `from 192.0.2.1 port 22`. Where a user name comes before the address, the address
/// is taken from the last ` from `; where the address comes first, from the start.
enum OpenSSHMessage {
    static let format = OpenSSHParser.formatID

    /// `message repeated <n> times: [ <inner>]`.
    static func repeated(_ message: Substring) -> (Int, Substring)? {
        guard let rest = message.dropPrefix("message repeated "),
            let timesEnd = rest.utf8Range(of: " times: [")
        else { return nil }
        guard let n = Int(rest[..<timesEnd.lowerBound]), n > 0 else { return nil }
        var inner = rest[timesEnd.upperBound...]
        if inner.first == " " { inner = inner.dropFirst() }
        if inner.last == "]" { inner = inner.dropLast() }
        return (n, inner)
    }

    static func event(_ message: Substring, context: MessageContext) -> AccessEvent? {
        if context.process == "passwd" {
            guard let user = message.after("password changed for ") else { return nil }
            return make(.passwordChange, "password changed", user: user, endpoint: nil, context)
        }
        if let rest = message.dropPrefix("Accepted ") {
            return authentication(.login, verb: "Accepted", rest, context)
        }
        if let rest = message.dropPrefix("Failed ") {
            return authentication(.loginFailed, verb: "Failed", rest, context)
        }
        if let rest = message.dropPrefix("Invalid user ") {
            // `Invalid user <user> from <ip>{ port <port>}`; older versions give no port.
            guard let from = rest.utf8Range(of: " from ", backwards: true) else { return nil }
            let user = rest[..<from.lowerBound]
            var event = make(.loginFailed, "Invalid user", user: user, endpoint: rest[from.upperBound...], context)
            event.fields["invalid_user"] = "true"
            return event
        }
        if let rest = message.dropPrefix("pam_unix(sshd:auth): authentication failure;") {
            let values = keyValues(rest)
            guard let host = values["rhost"] else { return nil }
            var event = make(
                .loginFailed, "PAM authentication failure", user: values["user"].map { Substring($0) }, endpoint: nil, context)
            setAddress(&event, Substring(host))
            return event
        }
        if let rest = message.dropPrefix("pam_unix(sshd:session): session opened for user ") {
            return make(.sessionStart, "session opened", user: userName(rest), endpoint: nil, context)
        }
        if let rest = message.dropPrefix("pam_unix(sshd:session): session closed for user ") {
            return make(.sessionEnd, "session closed", user: userName(rest), endpoint: nil, context)
        }
        if let rest = message.dropPrefix("Disconnected from user ") {
            // `Disconnected from user <user> <ip> port <port>`: the address is the last token
            // before the final ` port `.
            guard let (user, endpoint) = userThenEndpoint(rest) else { return nil }
            return make(.logout, "Disconnected from user", user: user, endpoint: endpoint, context)
        }
        for verb in ["Disconnected from ", "Connection closed by "] {
            guard let rest = message.dropPrefix(verb) else { continue }
            var user: Substring? = nil
            var endpoint = rest
            for qualifier in ["invalid user ", "authenticating user "] {
                if let named = rest.dropPrefix(qualifier), let (u, e) = userThenEndpoint(named) {
                    user = u
                    endpoint = e
                }
            }
            var event = make(.disconnect, String(verb.dropLast()), user: user, endpoint: endpoint, context)
            if rest.hasSuffix("[preauth]") { event.fields["preauth"] = "true" }
            return event
        }
        if let rest = message.dropPrefix("Received disconnect from ") {
            // The reason after the code is the client's own text: read the address from the start.
            var event = make(.disconnect, "Received disconnect", user: nil, endpoint: rest, context)
            if let colon = rest.utf8Range(of: ": ") { event.fields["reason"] = String(rest[colon.upperBound...]) }
            return event
        }
        if let rest = message.dropPrefix("Connection from ") {
            var event = make(.connect, "Connection from", user: nil, endpoint: rest, context)
            if let on = rest.utf8Range(of: " on ") {
                event.fields["local_address"] = String(rest[on.upperBound...])
            }
            return event
        }
        if let rest = message.dropPrefix("Did not receive identification string from ") {
            // A client that connected and sent nothing (a scanner); older sshd gives no port.
            guard let endpoint = leadingEndpoint(rest) else { return nil }
            var event = make(.disconnect, "Did not receive identification string", user: nil, endpoint: nil, context)
            event.ip = endpoint.address
            event.port = endpoint.port
            return event
        }
        if message.hasPrefix("reverse mapping checking") { return nil }
        // Any other sshd message naming a client (`Did not receive identification string from
        // <ip> port <p>`, `Unable to negotiate with <ip> port <p>: …`, `Timeout before
        // authentication for <ip> port <p>`): kept, so no address that reached the server is lost.
        for marker in [" from ", " with ", " for ", " by "] {
            if let range = message.utf8Range(of: marker, backwards: true),
                let endpoint = leadingEndpoint(message[range.upperBound...]), endpoint.port != nil
            {
                let words = message[..<range.lowerBound]
                var event = make(.other, String(words.prefix(80)), user: nil, endpoint: nil, context)
                event.ip = endpoint.address
                event.port = endpoint.port
                return event
            }
        }
        return nil
    }

    /// `<method> for {invalid user }<user> from <ip> port <port>{ ssh2}{: <key type> <fingerprint>}`.
    static func authentication(_ action: Action, verb: String, _ rest: Substring, _ context: MessageContext) -> AccessEvent? {
        guard let forRange = rest.utf8Range(of: " for "),
            let fromRange = rest.utf8Range(of: " from ", backwards: true),
            forRange.upperBound <= fromRange.lowerBound
        else { return nil }
        let method = rest[..<forRange.lowerBound]
        var user = rest[forRange.upperBound..<fromRange.lowerBound]
        var invalid = false
        if let named = user.dropPrefix("invalid user ") {
            user = named
            invalid = true
        }
        let endpointText = rest[fromRange.upperBound...]
        var event = make(action, "\(verb) \(method)", user: user, endpoint: endpointText, context)
        event.fields["method"] = String(method)
        if invalid { event.fields["invalid_user"] = "true" }
        if let keyStart = endpointText.utf8Range(of: ": ") {
            event.fields["key"] = String(endpointText[keyStart.upperBound...])
        }
        return event
    }

    static func make(
        _ action: Action, _ rawAction: String, user: Substring?, endpoint: Substring?, _ context: MessageContext
    ) -> AccessEvent {
        var fields: [String: String] = ["host": String(context.host), "process": String(context.process)]
        if let pid = context.pid { fields["pid"] = String(pid) }
        var event = AccessEvent(
            format: format, time: context.time, action: action, rawAction: rawAction,
            account: user.map(String.init), count: context.count, fields: fields, locator: context.locator)
        if let endpoint { setAddress(&event, endpoint) }
        return event
    }

    /// Reads `<ip>{ port <port>}…` at the start of `text` into the event; an unreadable address
    /// is kept as raw text.
    static func setAddress(_ event: inout AccessEvent, _ text: Substring) {
        if let endpoint = leadingEndpoint(text) {
            event.ip = endpoint.address
            event.port = endpoint.port
        } else {
            event.ipRaw = String(text.prefix { $0 != " " }.prefix(64))
        }
    }

    /// `<ip>` or `<ip> port <port>` at the start of `text`, followed by anything.
    static func leadingEndpoint(_ text: Substring) -> Endpoint? {
        let token = text[..<(text.utf8.firstIndex(of: 0x20) ?? text.endIndex)]
        var ipText = token
        // `Received disconnect from <ip>:<code>:` (no port) and `<ip>:` before a reason.
        if IPAddress(ipText) == nil, let colon = ipText.lastIndex(of: ":") {
            ipText = ipText[..<colon]
        }
        guard let address = IPAddress(ipText) else { return nil }
        var port: UInt16? = nil
        if let afterPort = text[token.endIndex...].dropPrefix(" port ") {
            port = UInt16(afterPort.prefix { $0.isASCII && $0.isNumber })
        }
        return Endpoint(address: address.normalized, port: port)
    }

    /// `<user> <ip> port <port>…` where the user may contain spaces.
    static func userThenEndpoint(_ text: Substring) -> (Substring, Substring)? {
        guard let portRange = text.utf8Range(of: " port ", backwards: true) else { return nil }
        let beforePort = text[..<portRange.lowerBound]
        guard let space = beforePort.lastIndex(of: " ") else { return nil }
        return (text[..<space], text[text.index(after: space)...])
    }

    /// The user name in `root(uid=0) by (uid=0)` or `root by (uid=0)`.
    static func userName(_ text: Substring) -> Substring {
        var name = text
        if let by = name.utf8Range(of: " by ") { name = name[..<by.lowerBound] }
        if let paren = name.firstIndex(of: "(") { name = name[..<paren] }
        return name
    }

    /// `key=value` pairs separated by spaces, as PAM writes them.
    static func keyValues(_ text: Substring) -> [String: String] {
        var values: [String: String] = [:]
        for part in text.split(separator: " ") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let value = part[part.index(after: eq)...]
            if !value.isEmpty { values[String(part[..<eq])] = String(value) }
        }
        return values
    }
}

extension Substring {
    /// The rest after `prefix`, compared byte for byte (much cheaper than `hasPrefix` on
    /// characters, per line).
    func dropPrefix(_ prefix: String) -> Substring? {
        guard utf8.starts(with: prefix.utf8) else { return nil }
        return self[utf8.index(startIndex, offsetBy: prefix.utf8.count)...]
    }

    func after(_ marker: String) -> Substring? {
        utf8Range(of: marker).map { self[$0.upperBound...] }
    }
}
