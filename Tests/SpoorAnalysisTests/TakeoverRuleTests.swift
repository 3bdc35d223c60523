import Foundation
import SpoorAnalysis
import SpoorCore
import Testing

/// The account's baseline session from 192.0.2.10, then a login from a new network in session S2.
private func intrusion(_ e: inout Events) -> [AccountEvent] {
    [
        e.make(0, .login, session: "S1", ip: "192.0.2.10", novel: [.address, .network]),
        e.make(3000, .login, session: "S2", ip: "203.0.113.45", novel: [.address, .network]),
    ]
}

private func with(_ event: AccountEvent, raw: String?, target: String?) -> AccountEvent {
    var event = event
    event.rawAction = raw
    event.target = target
    return event
}

@Suite struct TakeoverRuleTests {
    @Test func forwardingAfterALoginFromANewNetworkIsHighAndNamesWhereMailGoes() throws {
        var e = Events()
        let events =
            intrusion(&e) + [
                with(
                    e.make(3004, .mailForwarding, session: "S2", ip: "203.0.113.45"), raw: "New-InboxRule",
                    target: "collector@example.net")
            ]
        let found = try run(MailForwarding(), events)
        #expect(found.map(\.severity) == [.high])
        let statement = try #require(found.first?.statement)
        #expect(statement.contains("\"New-InboxRule\" (collector@example.net) from 203.0.113.45"), "\(statement)")
        #expect(statement.contains("It came 4 minute(s) after a login from 203.0.113.45"))
        #expect(statement.contains("Both are in the same session."))
        #expect(found.first?.locators.map(\.line) == [2, 3], "the login and the rule")
    }

    @Test func forwardingInTheBaselineSessionIsMediumAndSaysNothingSuspiciousPrecedesIt() throws {
        var e = Events()
        let events = [
            e.make(0, .login, session: "S1", ip: "192.0.2.10", novel: [.address, .network]),
            with(e.make(5, .mailForwarding, session: "S1", ip: "192.0.2.10"), raw: "Set-Mailbox", target: nil),
        ]
        let found = try run(MailForwarding(), events)
        #expect(found.map(\.severity) == [.medium])
        #expect(found.first?.statement.contains("does not say where mail goes") == true)
        #expect(found.first?.statement.contains("No login from a network new to the account precedes it") == true)
    }

    @Test func aDataExportIsHighAfterTheIntrusionAndLowFromTheHoldersOwnNetwork() throws {
        var e = Events()
        var events = intrusion(&e)
        events.append(with(e.make(3010, .dataExport, session: "S2", ip: "203.0.113.45"), raw: "takeout_start", target: nil))
        // The holder's own export, days later from the baseline network.
        events.append(e.make(9000, .login, session: "S3", ip: "192.0.2.10"))
        events.append(
            with(e.make(9001, .dataExport, session: "S3", ip: "192.0.2.10"), raw: "Download your information", target: nil))
        let found = try run(DataExport(), events)
        #expect(found.map(\.severity) == [.high, .low])
    }

    @Test func aRecordNamingNoAddressIsSetAgainstTheLatestSuspiciousLoginByTimeOnlyWithinTheWindow() throws {
        var e = Events()
        var events = intrusion(&e)
        events.append(e.make(3020, .recoveryChange, session: nil, ip: nil))
        // 25 hours after the login: beyond the window.
        events.append(e.make(3000 + 25 * 60, .twoFactorChange, session: nil, ip: nil))
        let found = try run(RecoveryChange(), events)
        #expect(found.map(\.severity) == [.high, .medium])
        #expect(found[0].statement.contains("set against that login by time only"))
        let wide = RecoveryChange()
        #expect(wide.tunables.map(\.name) == ["window"])
        #expect(wide.tunables.first?.value.description == "24 hours")
    }

    @Test func anActionOfAnotherOrdinarySessionIsNotSetAgainstTheIntrusion() throws {
        var e = Events()
        var events = intrusion(&e)
        events.append(e.make(3030, .login, session: "S3", ip: "192.0.2.10"))
        events.append(with(e.make(3031, .deletion, session: "S3", ip: "192.0.2.10"), raw: "Page deleted", target: "Newsroom"))
        events.append(with(e.make(3032, .deletion, session: "S2", ip: "203.0.113.45"), raw: "Page deleted", target: "Archive"))
        let found = try run(Destruction(), events)
        #expect(found.map(\.severity) == [.low, .high])
        #expect(found[1].statement.contains("\"Page deleted\" (Archive)"))
    }

    @Test func anActionFromANewNetworkIsHighWithoutALoginBeforeIt() throws {
        var e = Events()
        let events = [
            e.make(0, .login, session: "S1", ip: "192.0.2.10", novel: [.address, .network]),
            with(
                e.make(3000, .appAccess, session: "S2", ip: "198.51.100.9", novel: [.address, .network]), raw: "authorize",
                target: "Mail Backup Tool"),
        ]
        let found = try run(ConsentOrAppAccess(), events)
        #expect(found.map(\.severity) == [.high])
        #expect(found.first?.statement.contains("It came from a network the account had not used before") == true)
    }

    @Test func oneActionInTwoFilesIsOneFinding() throws {
        var e = Events()
        var events = intrusion(&e)
        let forward = with(
            e.make(3004, .mailForwarding, session: "S2", ip: "203.0.113.45"), raw: "New-InboxRule", target: "x@example.net")
        events.append(forward)
        events.append(
            with(e.make(3004, .mailForwarding, session: "S2", ip: "203.0.113.45"), raw: "New-InboxRule", target: "x@example.net"))
        let found = try run(MailForwarding(), events)
        #expect(found.count == 1)
        #expect(found.first?.statement.contains("recorded in 2 places") == true)
    }

    @Test func aGovernmentBackedWarningIsAlwaysHighAndOtherWarningsAreNot() throws {
        var e = Events()
        let events = [
            with(e.make(0, .attackWarning, session: "S1", ip: "192.0.2.10"), raw: "suspicious_login", target: nil),
            with(e.make(10, .attackWarning, session: "S1", ip: "192.0.2.10"), raw: "gov_attack_warning", target: nil),
            with(e.make(10, .attackWarning, session: "S1", ip: "192.0.2.10"), raw: "gov_attack_warning", target: nil),
        ]
        let found = try run(GovernmentBackedAttackWarning(), events)
        #expect(found.map(\.severity) == [.high], "one warning, recorded twice; the suspicious-login warning is not it")
        #expect(found.first?.statement.contains("government-backed attack warning") == true)
    }

    @Test func theWarningLeadsTheFindings() throws {
        var e = Events()
        var events = intrusion(&e)
        events.append(
            with(e.make(3004, .mailForwarding, session: "S2", ip: "203.0.113.45"), raw: "New-InboxRule", target: "x@example.net"))
        events.append(with(e.make(4000, .attackWarning, session: "S2", ip: nil), raw: "gov_attack_warning", target: nil))
        let run = RuleRun(rules: RuleRegistry.standard())
        for event in events { try run.consume(event, account: "google_workspace_audit: ada@example.org") }
        let found = try run.findings()
        #expect(found.first?.rule == .governmentBackedAttackWarning)
        #expect(found.first?.id == "F1")
        #expect(found.contains { $0.rule == .mailForwarding && $0.severity == .high })
    }
}

@Suite struct ImpossibleTravelTests {
    static let amsterdam = GeoPoint(latitude: 52.37, longitude: 4.90, radiusKm: 20, source: "city.mmdb")
    static let sydney = GeoPoint(latitude: -33.87, longitude: 151.21, radiusKm: 50, source: "city.mmdb")
    static let rotterdam = GeoPoint(latitude: 51.92, longitude: 4.48, radiusKm: 20, source: "city.mmdb")

    static func login(_ e: inout Events, _ minute: Int64, _ ip: String, _ place: GeoPoint?, flagged: Bool = false) -> AccountEvent
    {
        var event = e.make(minute, .login, session: "S\(minute)", ip: ip)
        event.location = place
        event.flagged = flagged
        return event
    }

    @Test func amsterdamThenSydneyAnHourLaterIsImpossible() throws {
        var e = Events()
        let events = [Self.login(&e, 0, "192.0.2.10", Self.amsterdam), Self.login(&e, 60, "203.0.113.45", Self.sydney)]
        let found = try run(ImpossibleTravel(), events)
        #expect(found.map(\.severity) == [.medium])
        let text = try #require(found.first?.statement)
        #expect(text.contains("placed at 52.37° N, 4.90° E within 20 km by city.mmdb"), "\(text)")
        #expect(text.contains("33.87° S, 151.21° E"))
        #expect(text.contains("60 minute(s) apart"))
        // 16,640 km between the two, less 70 km of radii.
        let distance = Self.amsterdam.kilometres(to: Self.sydney)
        #expect(abs(distance - 16_640) < 40, "\(distance)")
        #expect(text.contains("\(Int((distance - 70).rounded())) km apart"))
    }

    @Test func aFlightsWorthOfTimeOrANeighbouringCityIsNot() throws {
        var e = Events()
        // Amsterdam to Sydney in 20 hours: about 830 km/h.
        #expect(
            try run(
                ImpossibleTravel(),
                [Self.login(&e, 0, "192.0.2.10", Self.amsterdam), Self.login(&e, 1200, "203.0.113.45", Self.sydney)]
            ).isEmpty)
        // Rotterdam a minute later: 57 km apart, 17 km once the radii are taken off.
        #expect(
            try run(
                ImpossibleTravel(),
                [Self.login(&e, 0, "192.0.2.10", Self.amsterdam), Self.login(&e, 1, "192.0.2.99", Self.rotterdam)]
            ).isEmpty)
        // No coordinates for one of them: nothing to compare.
        #expect(
            try run(
                ImpossibleTravel(), [Self.login(&e, 0, "192.0.2.10", Self.amsterdam), Self.login(&e, 5, "203.0.113.45", nil)]
            ).isEmpty)
    }

    @Test func aVPNAddressIsNamedNotAccused() throws {
        var e = Events()
        let events = [
            Self.login(&e, 0, "192.0.2.10", Self.amsterdam), Self.login(&e, 30, "203.0.113.45", Self.sydney, flagged: true),
        ]
        let found = try run(ImpossibleTravel(), events)
        #expect(found.map(\.severity) == [.low])
        #expect(
            found.first?.statement.contains("calls 203.0.113.45 anonymising, a VPN, Tor or hosting: its place is the service's")
                == true)
    }
}
