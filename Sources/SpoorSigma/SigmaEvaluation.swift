import Foundation

/// One record as Sigma rules test it: its values by Spoor key (see ``SigmaFields``), each also
/// lower-cased once, and its text for keywords (the source's words, user agent, referrer and
/// every other value, space-separated).
public struct SigmaEvent {
    var values: [String: String]
    var lowered: [String: String]
    var text: String

    public init(values: [String: String]) {
        var values = values.filter { !$0.value.isEmpty }
        // A request's path before and after `?`, as web-server rules name them.
        if let path = values["path"] {
            if let question = path.firstIndex(of: "?") {
                values["uri_stem"] = String(path[..<question])
                values["uri_query"] = String(path[path.index(after: question)...])
            } else {
                values["uri_stem"] = path
            }
        }
        if let application = values["application"], values["format"] == "google_workspace_audit" {
            values["service"] = application.lowercased() + ".googleapis.com"
        }
        self.values = values
        let lowered = values.mapValues { $0.lowercased() }
        self.lowered = lowered
        let first = ["raw_action", "user_agent", "referer"].compactMap { lowered[$0] }
        let rest = lowered.filter { !["raw_action", "user_agent", "referer"].contains($0.key) }.sorted { $0.key < $1.key }
        text = (first + rest.map(\.value)).joined(separator: " ")
    }
}

extension SigmaRule {
    /// Whether the record is one the rule detects.
    public func matches(_ event: SigmaEvent) -> Bool { condition.holds(self, event) }

    func holds(_ name: String, _ event: SigmaEvent) -> Bool {
        guard let selection = selections[name] else { return false }
        switch selection {
        case .keywords(let words): return words.contains { $0.matches(event.text, lowered: event.text) }
        case .allKeywords(let words): return words.allSatisfy { $0.matches(event.text, lowered: event.text) }
        case .fields(let alternatives):
            return alternatives.contains { tests in
                tests.allSatisfy { test in
                    let value = event.values[test.key]
                    let lowered = event.lowered[test.key]
                    return test.all
                        ? test.matchers.allSatisfy { $0.matches(value, lowered: lowered) }
                        : test.matchers.contains { $0.matches(value, lowered: lowered) }
                }
            }
        }
    }
}

extension SigmaCondition {
    func holds(_ rule: SigmaRule, _ event: SigmaEvent) -> Bool {
        switch self {
        case .selection(let name): return rule.holds(name, event)
        case .and(let parts): return parts.allSatisfy { $0.holds(rule, event) }
        case .or(let parts): return parts.contains { $0.holds(rule, event) }
        case .not(let inner): return !inner.holds(rule, event)
        case .oneOf(let names): return names.contains { rule.holds($0, event) }
        case .allOf(let names): return names.allSatisfy { rule.holds($0, event) }
        }
    }
}
