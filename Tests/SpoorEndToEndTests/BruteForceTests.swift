import Foundation
import SpoorTestSupport
import Testing

/// `brute_force` on logs written for it: sshd and WordPress logins, each with its near misses
/// (19 failures; the same failures spread so no hour holds 20).
@Suite struct BruteForceTests {
    /// sshd lines: `n` failures a minute apart from 08:00, against `users` in turn, then the extra lines.
    static func ssh(
        _ n: Int, users: [String] = ["root"], from address: String = "203.0.113.45", spacing: Int = 60, then extra: String = ""
    )
        -> String
    {
        (0..<n).map { i in
            let t = Date(timeIntervalSince1970: 1_704_096_000 + Double(i * spacing))  // 2024-01-01T08:00:00Z
            let time = ISO8601DateFormatter().string(from: t)
            return
                "\(time) web01 sshd[\(100 + i)]: Failed password for \(users[i % users.count]) from \(address) port \(40000 + i) ssh2"
        }.joined(separator: "\n") + "\n" + extra
    }

    static func findings(_ log: String, file: String = "auth.log") throws -> [[String: Any]] {
        let folder = try Fixtures.temporaryDirectory()
        let path = folder.appendingPathComponent("case").path
        let logFile = folder.appendingPathComponent(file)
        try Data(log.utf8).write(to: logFile)
        for arguments in [["case", "init", path, "--title", "brute force"], ["ingest", path, logFile.path], ["analyze", path]] {
            let run = try runSpoor(arguments)
            #expect(run.status == 0, "\(arguments[0]): \(run.stderr)")
        }
        let out = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", path, "--out", out, "--pdf", "none"]).status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/findings.json")))
        let all = ((json as? [String: Any])?["findings"] as? [[String: Any]]) ?? []
        return all.filter { $0["rule"] as? String == "brute_force" }
    }

    @Test func twentyFailedSSHLoginsWithinAnHourAreABruteForceAndHighWhenALoginFollows() throws {
        let plain = try Self.findings(Self.ssh(20))
        #expect(plain.count == 1)
        #expect(plain.first?["severity"] as? String == "medium")
        let text = plain.first?["statement"] as? String ?? ""
        #expect(
            text.contains("203.0.113.45 failed to log in 20 times from 2024-01-01T08:00:00Z to 2024-01-01T08:19:00Z"), "\(text)")
        #expect(text.contains("No login from the address follows"), "\(text)")
        let success = "2024-01-01T08:30:00Z web01 sshd[999]: Accepted password for root from 203.0.113.45 port 41000 ssh2\n"
        let high = try Self.findings(Self.ssh(20, then: success))
        #expect(high.first?["severity"] as? String == "high")
        #expect((high.first?["statement"] as? String ?? "").contains("then logged in as root at 2024-01-01T08:30:00Z"))
        #expect((high.first?["locators"] as? [Any])?.count == 21, "the twenty failures and the login are cited")
    }

    @Test func nineteenFailuresOrTwentySpreadOverMoreThanAnHourAreNot() throws {
        #expect(try Self.findings(Self.ssh(19)).isEmpty)
        // Twenty failures 4 minutes apart: 76 minutes, at most 16 in any hour.
        #expect(try Self.findings(Self.ssh(20, spacing: 240)).isEmpty)
        // Failures from two addresses are not added together.
        let two = Self.ssh(10) + Self.ssh(10, from: "203.0.113.46")
        #expect(try Self.findings(two).isEmpty)
    }

    @Test func failuresAgainstManyAccountsAreNamedPasswordSpraying() throws {
        let spray = try Self.findings(Self.ssh(24, users: ["alice", "bob", "carol", "dave", "erin", "frank"]))
        let text = spray.first?["statement"] as? String ?? ""
        #expect(text.contains("password spraying") && text.contains("6 accounts"), "\(text)")
        let one = try Self.findings(Self.ssh(24, users: ["alice", "bob"]))
        let two = one.first?["statement"] as? String ?? ""
        #expect(two.contains("failed to log in 24 times") && !two.contains("spraying"), "\(two)")
    }

    static func web(_ n: Int, spacing: Int = 30, then status: Int?) -> String {
        var lines = (0..<n).map { i in
            let t = 1_704_096_000 + i * spacing
            let m = (t / 60) % 60
            let s = t % 60
            return String(
                format:
                    "203.0.113.45 - - [01/Jan/2024:08:%02d:%02d +0000] \"POST /wp-login.php HTTP/1.1\" 200 4211 \"-\" \"python-requests/2.31.0\"",
                m, s)
        }
        if let status {
            lines.append(
                "203.0.113.45 - - [01/Jan/2024:08:59:00 +0000] \"POST /wp-login.php HTTP/1.1\" \(status) 0 \"-\" \"python-requests/2.31.0\""
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func wordPressLoginFormPostsAreCountedByTheirAnswer() throws {
        let found = try Self.findings(Self.web(20, then: 302), file: "access.log")
        #expect(found.count == 1)
        #expect(found.first?["severity"] as? String == "high", "a redirect after the form is a successful login")
        #expect((found.first?["statement"] as? String ?? "").contains("web_access"))
        #expect(try Self.findings(Self.web(19, then: 302), file: "access.log").isEmpty, "the success is not a failure")
    }

    /// sshd failures from `addresses` addresses of 203.0.113.0/24, `each` apiece a minute apart,
    /// analysed with an ASN database naming the /24 AS64511.
    static func spread(addresses: Int, each: Int, then extra: String = "") throws -> [[String: Any]] {
        let folder = try Fixtures.temporaryDirectory()
        let csv = folder.appendingPathComponent("asn.csv")
        try Data(
            "network,autonomous_system_number,autonomous_system_organization\n203.0.113.0/24,64511,Example VPS\n".utf8
        ).write(to: csv)
        let mmdb = folder.appendingPathComponent("asn.mmdb").path
        #expect(try runSpoor(["mmdb", "build", csv.path, "--out", mmdb, "--type", "GeoLite2-ASN"]).status == 0)
        var lines: [String] = []
        for a in 0..<addresses {
            for i in 0..<each {
                let t = Date(timeIntervalSince1970: 1_704_096_000 + Double((a * each + i) * 60))
                lines.append(
                    "\(ISO8601DateFormatter().string(from: t)) web01 sshd[\(100 + i)]: Failed password for root from 203.0.113.\(10 + a) port \(40000 + i) ssh2"
                )
            }
        }
        let log = folder.appendingPathComponent("auth.log")
        try Data((lines.joined(separator: "\n") + "\n" + extra).utf8).write(to: log)
        let path = folder.appendingPathComponent("case").path
        for arguments in [["case", "init", path], ["ingest", path, log.path], ["analyze", path, "--no-intel", "--mmdb", mmdb]] {
            let run = try runSpoor(arguments)
            #expect(run.status == 0, "\(arguments[0]): \(run.stderr)")
        }
        let out = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", path, "--out", out, "--pdf", "none"]).status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/findings.json")))
        return (((json as? [String: Any])?["findings"] as? [[String: Any]]) ?? []).filter {
            $0["rule"] as? String == "brute_force"
        }
    }

    @Test func failuresSpreadOverFiveAddressesOfOneASAreOneBruteForce() throws {
        let found = try Self.spread(addresses: 5, each: 4)
        #expect(found.count == 1)
        let text = found.first?["statement"] as? String ?? ""
        #expect(text.hasPrefix("5 addresses of AS64511 (Example VPS) failed to log in 20 times"), "\(text)")
        #expect(text.contains("none of them a brute force alone"))
        #expect(found.first?["severity"] as? String == "medium")
        // A login from one of them afterwards makes it high.
        let login = "2024-01-01T08:30:00Z web01 sshd[999]: Accepted password for root from 203.0.113.12 port 41000 ssh2\n"
        let high = try Self.spread(addresses: 5, each: 4, then: login)
        #expect(high.first?["severity"] as? String == "high")
        #expect((high.first?["statement"] as? String ?? "").contains("203.0.113.12, of the same AS, then logged in as root"))
    }

    @Test func fourAddressesOrNineteenFailuresOfOneASAreNot() throws {
        #expect(try Self.spread(addresses: 4, each: 5).isEmpty, "four addresses: fewer than as_addresses")
        #expect(try Self.spread(addresses: 5, each: 3).isEmpty, "fifteen failures")
    }
}
