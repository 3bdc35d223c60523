import Foundation
import SpoorCore

/// How an account's events are grouped into sessions and what counts as new for the account.
/// The case store's sessions pass marks each event by these settings before the rules run; the
/// account rules rely on them (a session idle for longer than ``gap`` has ended).
public enum Sessioning {
    /// An event joins the account's latest session that saw the same address, cookie or device
    /// at most this long before (nanoseconds).
    public static let gap: Int64 = 30 * 60 * 1_000_000_000
    /// The network around an address that counts as one for novelty: /24 for IPv4, /48 for IPv6.
    public static let networkPrefixV4 = 24
    public static let networkPrefixV6 = 48

    public static var tunables: [Tunable] {
        [
            Tunable(
                "gap", .seconds(gap / 1_000_000_000),
                "An event joins the account's latest session that saw the same address, cookie or device at most this long before; otherwise it opens a new session."
            ),
            Tunable(
                "network", .text("/\(networkPrefixV4) (IPv4), /\(networkPrefixV6) (IPv6)"),
                "The network around an address that counts as one when deciding what is new for the account."),
        ]
    }

    /// The network that counts for novelty around an address.
    public static func network(around address: IPAddress) -> IPNetwork? {
        IPNetwork(containing: address, prefixLength: address.family == .v4 ? networkPrefixV4 : networkPrefixV6)
    }
}
