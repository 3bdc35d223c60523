import SpoorCore

/// Every parser Spoor has, in one list. Format detection asks each in turn.
public enum ParserRegistry {
    public static let all: [any LogParser.Type] = [
        OpenSSHParser.self,
        WebAccessLogParser.self,
        FacebookParser.self,
        InstagramParser.self,
        GoogleAccessLogParser.self,
        GoogleSubscriberInfoParser.self,
        GoogleDevicesParser.self,
        XArchiveParser.self,
        TelegramExportParser.self,
        AppleAccountParser.self,
        ProtonLogsParser.self,
        LinkedInLoginsParser.self,
        WPActivityLogParser.self,
        CPanelLogParser.self,
        EntraSignInParser.self,
        UnifiedAuditLogParser.self,
        GoogleWorkspaceAuditParser.self,
        GenericCSVParser.self,
        GenericJSONLinesParser.self,
    ]

    /// The parser with this format identifier.
    public static func parser(named formatID: String) -> (any LogParser.Type)? {
        all.first { $0.formatID == formatID }
    }

    /// The parser most sure of the sample, when one is at least fairly sure (score ≥ 50).
    public static func recognize(_ sample: FormatSample) -> (any LogParser.Type)? {
        guard !sample.looksBinary else { return nil }
        let scored = all.map { ($0, $0.recognize(sample)) }.filter { $0.1 >= 50 }
        return scored.max { $0.1 < $1.1 }?.0
    }
}
