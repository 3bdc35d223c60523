import Foundation
import SpoorCore

/// The rules, in report order. Adding a rule: a file under `Rules/` and a line here.
public enum RuleRegistry {
    /// Fresh instances of every rule, with their default settings.
    /// `forgetEvery`: how many events the account rules take between looks for sessions they
    /// can forget (memory, not results: a test sets it to 1 and expects the same findings).
    public static func standard(forgetEvery: Int = 4096) -> [any Rule] {
        [
            // First, so that its findings lead the annex whatever else the case holds.
            GovernmentBackedAttackWarning(),
            IndicatorMatch(),
            CasebookMatch(),
            ChangeAfterLogin(forgetEvery: forgetEvery),
            RecoveryChange(),
            MailForwarding(),
            ConsentOrAppAccess(),
            DataExport(),
            Destruction(),
            NewAccess(),
            ImpossibleTravel(),
            SimultaneousSessions(forgetEvery: forgetEvery),
            AnonymisingInfrastructure(),
            BruteForce(),
            AccountAndCapture(),
        ]
    }
}

/// One analysis's run of the rules: feeds each rule what its scope asks for and puts the
/// findings in report order — rule by rule as the registry lists them, except that rules of
/// account scope listed together report account by account (an account's findings stay
/// together); a rule of address scope reports in address order. Findings are numbered F1, F2, …
/// in that order.
public final class RuleRun {
    public let rules: [any Rule]
    /// Per rule of address scope: its findings with the address they concern.
    private var byAddress: [[(IPAddress?, Finding)]]
    /// Per run of consecutive account rules (keyed by the first one's index): findings in account order.
    private var byAccount: [Int: [Finding]] = [:]
    private var account: String?

    public init(rules: [any Rule]) {
        self.rules = rules
        byAddress = Array(repeating: [], count: rules.count)
    }

    /// What ran and with which settings, for the analysis summary and the annex.
    public var stated: [RuleDescription] { rules.map(\.stated) }

    /// Gives an attributed subject to every rule of address scope.
    public func consume(_ subject: SubjectContext) throws {
        let address = IPAddress(subject.subject.ip)
        for (index, rule) in rules.enumerated() where rule.scope == .address {
            byAddress[index] += try rule.consume(subject).map { (address, $0) }
        }
    }

    /// Gives an account's next event to every rule of account scope; a new account name
    /// finishes the previous account first.
    public func consume(_ event: AccountEvent, account name: String) throws {
        if account != name {
            try finishAccount()
            account = name
            for rule in rules where rule.scope == .account { rule.begin(account: name) }
        }
        for rule in rules where rule.scope == .account { try rule.consume(event) }
    }

    /// Finishes the account being read, if any.
    public func finishAccount() throws {
        guard account != nil else { return }
        account = nil
        var groupStart = 0
        for (index, rule) in rules.enumerated() where rule.scope == .account {
            if index == 0 || rules[index - 1].scope != .account { groupStart = index }
            byAccount[groupStart, default: []] += try rule.finishAccount()
        }
    }

    /// Every finding, in report order and numbered from F1. Finishes the last account.
    public func findings() throws -> [Finding] {
        try finishAccount()
        for (index, rule) in rules.enumerated() where rule.scope == .address {
            byAddress[index] += try rule.finish().map { (nil, $0) }
        }
        var all: [Finding] = []
        for (index, rule) in rules.enumerated() {
            switch rule.scope {
            case .address:
                // Stable: one address's findings keep the order the rule gave them.
                let sorted = byAddress[index].enumerated().sorted { a, b in
                    switch (a.element.0, b.element.0) {
                    case let (x?, y?) where x != y: return x < y
                    case (nil, _?): return false
                    case (_?, nil): return true
                    default: return a.offset < b.offset
                    }
                }
                all += sorted.map(\.element.1)
            case .account:
                all += byAccount[index] ?? []
            }
        }
        for i in all.indices { all[i].id = "F\(i + 1)" }
        return all
    }
}
