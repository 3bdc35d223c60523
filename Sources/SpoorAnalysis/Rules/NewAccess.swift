import Foundation
import SpoorCore

extension RuleID {
    public static let newAccess = RuleID("new_access")
}

/// `new_access`: after the account's first session (its baseline), a login or active session
/// from an address in a network (/24, /48), AS or country the account had not used before. Each
/// address is reported once per account.
public final class NewAccess: Rule {
    public static let id = RuleID.newAccess
    public static let summary =
        "After the account's first session, access came from a network, AS or country that the account had not used before."
    public static let reads =
        "Each account's dated records in time order, with what each brought that the account had not shown, and the countries and AS numbers the databases give for each address."
    public static let doesNotShow =
        "New means new in these records, which may be incomplete or short; travel, a new phone or a VPN also bring new networks and countries."
    public let scope = RuleScope.account
    public var tunables: [Tunable] {
        [
            Tunable(
                "baseline", .text("first session"),
                "What the account is compared with: everything it showed from its first session on.")
        ]
    }

    static let accessActions: Set<Action> = [.login, .sessionStart, .sessionActive]

    private var account = ""
    private var firstSession: String?
    private var asns: Set<UInt32> = []
    private var countries: Set<String> = []
    private var reported: Set<String> = []
    private var found: [Finding] = []

    public init() {}

    public func begin(account: String) {
        self.account = account
        firstSession = nil
        asns = []
        countries = []
        reported = []
        found = []
    }

    public func consume(_ event: AccountEvent) throws {
        if firstSession == nil { firstSession = event.session }
        guard let ip = event.ip else { return }
        let eventASNs = Set(event.asns)
        let eventCountries = Set(event.countries)
        // The first session is the account's baseline; later ones are compared with it.
        if event.session != firstSession, Self.accessActions.contains(event.action), !reported.contains(ip) {
            var new: [String] = []
            if event.novel.contains(.network) { new.append("network (/24 or /48)") }
            let newASNs = eventASNs.subtracting(asns)
            if !asns.isEmpty, !newASNs.isEmpty { new.append(newASNs.sorted().map { "AS\($0)" }.joined(separator: ", ")) }
            let newCountries = eventCountries.subtracting(countries)
            if !countries.isEmpty, !newCountries.isEmpty {
                new.append("country " + newCountries.sorted().joined(separator: ", "))
            }
            if !new.isEmpty {
                reported.insert(ip)
                found.append(
                    finding(
                        .medium,
                        "On \(account), \(event.action.rawValue.replacingOccurrences(of: "_", with: " ")) from \(ip) at \(event.shownTime): new for the account in these records: \(new.joined(separator: ", ")).",
                        addresses: [ip], locators: [event.locator]))
            }
        }
        asns.formUnion(eventASNs)
        countries.formUnion(eventCountries)
    }

    public func finishAccount() throws -> [Finding] { found }
}
