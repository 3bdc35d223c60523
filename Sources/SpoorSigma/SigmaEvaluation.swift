import Foundation

/// One record as Sigma rules test it: its values by Spoor key (see ``SigmaFields``), each also
/// lower-cased once, and its text for keywords (the source's words, user agent, referrer and
/// every other value, space-separated).
public struct SigmaEvent {
    var values: [String: String]
    /// The values lower-cased, as bytes (what most matchers compare).
    var lowered: [String: [UInt8]]
    var text: [UInt8]

    public init(values: [String: String]) {
        var values = values.filter { !$0.value.isEmpty }
        // A request's path before `?` (`cs-uri-stem`).
        if let path = values["path"] { values["uri_stem"] = path.firstIndex(of: "?").map { String(path[..<$0]) } ?? path }
        if let application = values["application"], values["format"] == "google_workspace_audit" {
            values["service"] = application.lowercased() + ".googleapis.com"
        }
        self.values = values
        let lowered = values.mapValues { SigmaEvent.fold($0) }
        self.lowered = lowered
        var text: [UInt8] = []
        for key in ["raw_action", "user_agent", "referer"] {
            guard let value = lowered[key] else { continue }
            if !text.isEmpty { text.append(0x20) }
            text += value
        }
        for (key, value) in lowered.sorted(by: { $0.key < $1.key }) where !["raw_action", "user_agent", "referer"].contains(key) {
            if !text.isEmpty { text.append(0x20) }
            text += value
        }
        self.text = text
    }
}

extension SigmaEvent {
    /// The text's bytes with ASCII capitals lower-cased, and other letters lower-cased as Swift
    /// does when any byte is not ASCII.
    static func fold(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        if bytes.contains(where: { $0 >= 0x80 }) { return Array(text.lowercased().utf8) }
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] |= 0x20 }
        return bytes
    }
}

extension SigmaRule {
    /// Whether the record is one the rule detects.
    public func matches(_ event: SigmaEvent) -> Bool { program.matches(event) }
}

extension SigmaProgram {
    /// Whether the record is one the rule detects.
    public func matches(_ event: SigmaEvent) -> Bool { condition.holds(self, event) }

    func holds(_ index: Int, _ event: SigmaEvent) -> Bool {
        switch selections[index] {
        case .keywords(let words): return words.contains { $0.matches(nil, lowered: event.text) }
        case .fields(let alternatives):
            return alternatives.contains { tests in
                tests.allSatisfy { test in
                    let lowered = event.lowered[test.key]
                    let value = test.needsOriginal ? event.values[test.key] : nil
                    return test.all
                        ? test.matchers.allSatisfy { $0.matches(value, lowered: lowered) }
                        : test.matchers.contains { $0.matches(value, lowered: lowered) }
                }
            }
        }
    }
}

extension SigmaCondition {
    func holds(_ rule: SigmaProgram, _ event: SigmaEvent) -> Bool {
        switch self {
        case .selection(let index): return rule.holds(index, event)
        case .and(let parts): return parts.allSatisfy { $0.holds(rule, event) }
        case .or(let parts): return parts.contains { $0.holds(rule, event) }
        case .not(let inner): return !inner.holds(rule, event)
        case .oneOf(let indices): return indices.contains { rule.holds($0, event) }
        case .allOf(let indices): return indices.allSatisfy { rule.holds($0, event) }
        }
    }
}
