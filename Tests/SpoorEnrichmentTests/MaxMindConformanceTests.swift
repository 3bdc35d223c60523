import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorTestSupport
import Testing

/// Runs against the MaxMind test databases in ../shared/testdata/mmdb when present, comparing
/// every lookup with the oracle recorded from `mmdblookup` (libmaxminddb 1.7.1).
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct MaxMindConformanceTests {
    static var folder: URL { (Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/nonexistent")).appendingPathComponent("mmdb") }

    struct OracleLine: Decodable {
        var db: String
        var ip: String
        var found: Bool?
        var prefixLength: Int?
        var exitStatus: Int
        var stderr: String?
        enum CodingKeys: String, CodingKey {
            case db, ip, found, prefixLength = "prefix_length", exitStatus = "exit_status", stderr
        }
    }

    static func oracle(_ name: String) throws -> [(OracleLine, Any?)] {
        let text = try String(contentsOf: folder.appendingPathComponent("oracles/\(name)"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let data = Data(line.utf8)
            let parsed = try JSONDecoder().decode(OracleLine.self, from: data)
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            return (parsed, object?["record"])
        }
    }

    /// Normalises a JSON-compatible value by a round trip through JSON, for comparison.
    static func normalised(_ value: Any) throws -> NSObject? {
        let data = try JSONSerialization.data(withJSONObject: ["v": value], options: [.sortedKeys])
        return (try JSONSerialization.jsonObject(with: data) as? NSDictionary)?["v"] as? NSObject
    }

    @Test func lookupsAgreeWithMmdblookup() throws {
        var databases: [String: MaxMindDatabase] = [:]
        var agree = 0
        var total = 0
        for (line, expectedRecord) in try Self.oracle("mmdblookup.jsonl") {
            total += 1
            let database: MaxMindDatabase
            if let open = databases[line.db] {
                database = open
            } else {
                database = try MaxMindDatabase(path: Self.folder.appendingPathComponent(line.db).path)
                databases[line.db] = database
            }
            let address = try #require(IPAddress(line.ip))
            let result = try database.lookup(address)
            let found = result != nil
            #expect(found == (line.found ?? false), "\(line.db) \(line.ip)")
            guard let result, let expectedRecord, let expectedPrefix = line.prefixLength else {
                if found == (line.found ?? false) { agree += 1 }
                continue
            }
            // mmdblookup reports IPv4 prefixes in the IPv6 tree (96 + n).
            let ours =
                address.normalized.family == .v4 && database.metadata.ipVersion == 6
                ? result.network.prefixLength + 96 : result.network.prefixLength
            let same = try Self.normalised(result.value.jsonObject) == Self.normalised(expectedRecord)
            #expect(ours == expectedPrefix, "\(line.db) \(line.ip) prefix")
            #expect(same, "\(line.db) \(line.ip) record")
            if same && ours == expectedPrefix { agree += 1 }
        }
        print("MaxMind conformance: \(agree) of \(total) lookups agree with mmdblookup")
        #expect(agree == total)
    }

    @Test func theCityTestDatabasesCoordinatesAreReadAsMmdblookupShowsThem() throws {
        let database = try MaxMindDatabase(path: Self.folder.appendingPathComponent("GeoIP2-City-Test.mmdb").path)
        var compared = 0
        for (line, record) in try Self.oracle("mmdblookup.jsonl") where line.db == "GeoIP2-City-Test.mmdb" {
            guard let location = (record as? [String: Any])?["location"] as? [String: Any],
                let latitude = location["latitude"] as? Double, let longitude = location["longitude"] as? Double,
                let address = IPAddress(line.ip), let found = try database.lookup(address)
            else { continue }
            let identity = DatabaseIdentity(fileName: line.db, sha256: "00", metadata: database.metadata)
            let answer = EnrichmentAnswer(source: identity, network: found.network, record: found.value)
            #expect(answer.latitude == latitude && answer.longitude == longitude, "\(line.ip)")
            #expect(answer.accuracyRadiusKm == location["accuracy_radius"] as? Int, "\(line.ip)")
            compared += 1
        }
        #expect(compared > 0)
    }

    @Test func corruptDatabasesFailWithAnErrorNamingTheFile() throws {
        for (line, _) in try Self.oracle("bad-data.jsonl") {
            let path = Self.folder.appendingPathComponent(line.db).path
            let address = try #require(IPAddress(line.ip))
            switch line.exitStatus {
            case 2:
                #expect(throws: EnrichmentError.self) { _ = try MaxMindDatabase(path: path) }
                do {
                    _ = try MaxMindDatabase(path: path)
                } catch {
                    #expect(error.description.contains(line.db.split(separator: "/").last.map(String.init) ?? line.db))
                }
            case 5:
                let database = try MaxMindDatabase(path: path)
                #expect(throws: EnrichmentError.self) { _ = try database.lookup(address) }
            case 4:
                let database = try MaxMindDatabase(path: path)
                #expect(try database.lookup(address) == nil, "IPv6 in an IPv4-only database finds nothing")
            default:
                let database = try MaxMindDatabase(path: path)
                #expect(try database.lookup(address) != nil)
            }
        }
    }

    @Test func readsMetadataAndAnswersASNQuestions() throws {
        let enricher = Enricher()
        try enricher.add(path: Self.folder.appendingPathComponent("GeoLite2-ASN-Test.mmdb").path, sha256: "x")
        let identity = try #require(enricher.databases.first?.identity)
        #expect(identity.databaseType == "GeoLite2-ASN")
        #expect(identity.buildDate == "2026-02-04")
        for text in ["1.128.0.1", "::ffff:1.128.0.1", "2002:180::1"] {
            let address = try #require(IPAddress(text))
            let answer = try #require(try enricher.answers(for: address).first, "\(text)")
            #expect(answer.asn == 1221, "\(text)")
            #expect(answer.asOrganization == "Telstra Pty Ltd", "\(text)")
        }
        let att = try #require(IPAddress("12.81.96.1"))
        let noOrganisation = try #require(try enricher.answers(for: att).first)
        #expect(noOrganisation.asn == 7018)
        #expect(noOrganisation.asOrganization == nil)
    }

    @Test func openingAMissingFileNamesIt() {
        do {
            _ = try MaxMindDatabase(path: "/nonexistent/GeoLite2-ASN.mmdb")
            Issue.record("opening a missing file succeeded")
        } catch {
            #expect(error.description.contains("/nonexistent/GeoLite2-ASN.mmdb"))
        }
    }
}

@Suite struct EnrichmentAnswerTests {
    let identity = DatabaseIdentity(
        fileName: "test.mmdb", sha256: "00",
        metadata: DatabaseMetadata(
            databaseType: "ipinfo lite.mmdb", buildEpoch: 0, ipVersion: 6, recordSize: 32, nodeCount: 1, languages: [],
            descriptions: [:], binaryFormat: "2.0"))

    @Test func readsIPinfoStyleASNStrings() throws {
        let record = MMDBValue.map([
            "asn": .string("AS64500"), "as_name": .string("Example Transit"), "country_code": .string("NL"),
            "country": .string("Netherlands"),
        ])
        let answer = EnrichmentAnswer(source: identity, network: try #require(IPNetwork("192.0.2.0/24")), record: record)
        #expect(answer.asn == 64500)
        #expect(answer.asOrganization == "Example Transit")
        #expect(answer.countryCode == "NL")
        #expect(answer.countryName == "Netherlands")
    }

    @Test func readsNarrowIntegersAndAnonymityFlags() throws {
        let record = MMDBValue.map([
            "autonomous_system_number": .unsigned(64501), "is_anonymous_vpn": .bool(true), "is_anonymous": .bool(true),
            "is_tor_exit_node": .bool(false),
        ])
        let answer = EnrichmentAnswer(source: identity, network: try #require(IPNetwork("198.51.100.0/24")), record: record)
        #expect(answer.asn == 64501)
        #expect(answer.flags == ["is_anonymous", "is_anonymous_vpn"])
        #expect(answer.summary.contains("AS64501"))
    }

    @Test func readsCoordinatesFromLocationOrIPinfosTopLevelAndRefusesImpossibleOnes() throws {
        let network = try #require(IPNetwork("192.0.2.0/24"))
        let city = MMDBValue.map([
            "location": .map(["latitude": .double(52.37), "longitude": .double(4.9), "accuracy_radius": .unsigned(20)])
        ])
        let answer = EnrichmentAnswer(source: identity, network: network, record: city)
        #expect(answer.latitude == 52.37 && answer.longitude == 4.9 && answer.accuracyRadiusKm == 20)
        let ipinfo = EnrichmentAnswer(
            source: identity, network: network,
            record: .map(["latitude": .string("-33.87"), "longitude": .string("151.21")]))
        #expect(ipinfo.latitude == -33.87 && ipinfo.longitude == 151.21 && ipinfo.accuracyRadiusKm == nil)
        let wrong = EnrichmentAnswer(
            source: identity, network: network,
            record: .map(["location": .map(["latitude": .double(95), "longitude": .double(4)])]))
        #expect(wrong.latitude == nil && wrong.longitude == nil, "a latitude beyond 90° is no place, and half a place is none")
    }
}
