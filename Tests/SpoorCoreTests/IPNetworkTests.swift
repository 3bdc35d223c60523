import SpoorCore
import Testing

@Suite struct IPNetworkTests {
    @Test func readsCIDRAndSaysWhenHostBitsWereCleared() throws {
        let exact = try #require(IPNetwork.parse("203.0.113.0/24"))
        #expect(exact.network.description == "203.0.113.0/24")
        #expect(!exact.clearedHostBits)
        let sloppy = try #require(IPNetwork.parse("203.0.113.77/24"))
        #expect(sloppy.network.description == "203.0.113.0/24")
        #expect(sloppy.clearedHostBits)
        let v6 = try #require(IPNetwork.parse("2001:DB8:0:0:8::/33"))
        #expect(v6.network.description == "2001:db8::/33")
        #expect(v6.clearedHostBits)
    }

    @Test func readsABareAddressAsOneHost() {
        #expect(IPNetwork("192.0.2.9")?.description == "192.0.2.9/32")
        #expect(IPNetwork("2001:db8::9")?.description == "2001:db8::9/128")
    }

    @Test(arguments: ["192.0.2.0/33", "2001:db8::/129", "192.0.2.0/", "/24", "192.0.2.0/-1", "192.0.2.0/2a", "x/8"])
    func rejectsMalformedNetworks(_ text: String) {
        #expect(IPNetwork.parse(text) == nil)
    }

    @Test func containsAddressesAndNetworks() throws {
        let net = try #require(IPNetwork("198.51.100.0/24"))
        #expect(net.contains(try #require(IPAddress("198.51.100.0"))))
        #expect(net.contains(try #require(IPAddress("198.51.100.255"))))
        #expect(!net.contains(try #require(IPAddress("198.51.101.0"))))
        #expect(!net.contains(try #require(IPAddress("::ffff:198.51.100.1"))), "families are not mixed")
        #expect(net.contains(try #require(IPNetwork("198.51.100.128/25"))))
        #expect(!net.contains(try #require(IPNetwork("198.51.100.0/23"))))
        #expect(net.lastAddress.description == "198.51.100.255")
        #expect(IPNetwork("::/0")?.lastAddress.description == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
        #expect(IPNetwork("0.0.0.0/0")?.contains(try #require(IPAddress("203.0.113.1"))) == true)
    }
}

@Suite struct AddressClassTests {
    @Test(arguments: [
        ("10.1.2.3", AddressClass.private), ("172.31.255.255", .private), ("192.168.0.1", .private),
        ("172.32.0.1", .global), ("100.64.0.1", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace),
        ("127.0.0.1", .loopback), ("169.254.10.10", .linkLocal), ("192.0.2.1", .documentation),
        ("198.51.100.1", .documentation), ("203.0.113.1", .documentation), ("224.0.0.251", .multicast),
        ("240.0.0.1", .reserved), ("255.255.255.255", .reserved), ("0.0.0.0", .unspecified), ("0.1.2.3", .reserved),
        ("198.18.0.1", .reserved), ("192.0.0.9", .global), ("8.8.8.8", .global),
        ("::", .unspecified), ("::1", .loopback), ("fe80::1", .linkLocal), ("fd00::1", .private),
        ("ff02::1", .multicast), ("2001:db8::1", .documentation), ("3fff::1", .documentation),
        ("2001:4860::8888", .global), ("::ffff:10.0.0.1", .private), ("::ffff:8.8.4.4", .global),
        ("4000::1", .reserved), ("2001:2::1", .reserved), ("2002::1", .global),
    ])
    func classifiesFromTheIANARegistries(_ text: String, _ expected: AddressClass) throws {
        #expect(try #require(IPAddress(text)).addressClass == expected)
    }

    @Test func namesTheRegistryBlock() throws {
        let block = try #require(IPAddress("100.64.0.9")?.specialPurposeBlock)
        #expect(block.name == "Shared Address Space")
        #expect(block.reference == "RFC 6598")
        #expect(IPAddress("8.8.8.8")?.specialPurposeBlock == nil)
    }
}
