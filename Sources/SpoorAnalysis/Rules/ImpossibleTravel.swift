import Foundation
import SpoorCore

extension RuleID {
    public static let impossibleTravel = RuleID("impossible_travel")
}

/// `impossible_travel`: two consecutive logins of one account whose places, as the databases give
/// them, are further apart than a traveller could go in the time between. The distance is taken
/// between the coordinates less both accuracy radii, so two imprecise places are not called far
/// apart. When either address is flagged as anonymising, a VPN, Tor or hosting, the finding is low
/// and says that the place is the service's, not the person's.
public final class ImpossibleTravel: Rule {
    public static let id = RuleID.impossibleTravel
    public static let summary =
        "Two consecutive logins of one account came from places further apart than a traveller could go in the time between them."
    public static let reads =
        "Each account's dated logins in time order, with the coordinates and accuracy radius the databases give for each address, and whether a database or warninglist flags the address."
    public static let doesNotShow =
        "Geolocation of an address is an estimate, often of the provider's office or a country's centre, and a VPN, a proxy or a mobile carrier moves it: check both places with a second database and ask the holder how they connect."
    public let scope = RuleScope.account
    /// The fastest a traveller goes, in km/h.
    public var speedKmPerHour = 900.0
    /// Places closer than this (after the accuracy radii) are never reported.
    public var minimumKm = 100.0

    public var tunables: [Tunable] {
        [
            Tunable(
                "speed", .text("\(Int(speedKmPerHour)) km/h"),
                "Two logins further apart than this speed covers in the time between them are reported."),
            Tunable(
                "minimum_distance", .text("\(Int(minimumKm)) km"),
                "Places closer than this, once both accuracy radii are taken off, are never reported."),
        ]
    }

    static let loginActions: Set<Action> = [.login, .sessionStart]

    private var account = ""
    private var previous: AccountEvent?
    private var reported: Set<String> = []
    private var found: [Finding] = []

    public init() {}

    public func begin(account: String) {
        self.account = account
        previous = nil
        reported = []
        found = []
    }

    public func consume(_ event: AccountEvent) throws {
        guard Self.loginActions.contains(event.action), let ip = event.ip, let place = event.location else { return }
        defer { previous = event }
        guard let before = previous, let beforeIP = before.ip, let beforePlace = before.location, beforeIP != ip else { return }
        let radii = Double((place.radiusKm ?? 0) + (beforePlace.radiusKm ?? 0))
        let distance = beforePlace.kilometres(to: place)
        let apart = max(0, distance - radii)
        guard apart >= minimumKm else { return }
        let hours = Double(event.timeKey - before.timeKey) / 3_600_000_000_000
        let speed = hours > 0 ? apart / hours : .infinity
        guard speed > speedKmPerHour, reported.insert([beforeIP, ip].sorted().joined(separator: " ")).inserted else { return }
        func placed(_ e: AccountEvent, _ p: GeoPoint) -> String {
            let radius = p.radiusKm.map { " within \($0) km" } ?? ""
            return "from \(e.ip ?? "?") at \(e.shownTime), placed at \(Self.degrees(p))\(radius) by \(p.source)"
        }
        let minutes = (event.timeKey - before.timeKey) / 60_000_000_000
        let pace = speed.isFinite ? "about \(Int(speed.rounded())) km/h" : "no time at all"
        let radiiNote = radii > 0 ? " (\(Int(distance.rounded())) km less both accuracy radii)" : ""
        var statement =
            "On \(account), a login \(placed(before, beforePlace)) and the next, \(placed(event, place)), are \(Int(apart.rounded())) km apart\(radiiNote) and \(minutes) minute(s) apart: \(pace), faster than the \(Int(speedKmPerHour)) km/h a traveller could go."
        let flagged = [before, event].filter(\.flagged).compactMap(\.ip)
        if !flagged.isEmpty {
            statement +=
                " A database or warninglist calls \(flagged.joined(separator: " and ")) anonymising, a VPN, Tor or hosting: its place is the service's, not the person's."
        }
        found.append(
            finding(
                flagged.isEmpty ? .medium : .low, statement, addresses: [beforeIP, ip], locators: [before.locator, event.locator])
        )
    }

    /// `51.51° N, 0.13° W`.
    static func degrees(_ p: GeoPoint) -> String {
        func one(_ value: Double, _ positive: String, _ negative: String) -> String {
            String(format: "%.2f", abs(value)) + "° " + (value < 0 ? negative : positive)
        }
        return one(p.latitude, "N", "S") + ", " + one(p.longitude, "E", "W")
    }

    public func finishAccount() throws -> [Finding] { found }
}
