// swift-tools-version: 6.1
//
// Spoor: forensic IP attribution and log analysis for digital-security investigators.
// Module layout and the one-way dependency rule are described in docs/ARCHITECTURE.md.

import PackageDescription

let package = Package(
    name: "Spoor",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "spoor", targets: ["spoor"]),
        .library(name: "SpoorCore", targets: ["SpoorCore"]),
        .library(name: "SpoorCase", targets: ["SpoorCase"]),
        // For the fuzzing harnesses in Fuzz/, a package of their own.
        .library(name: "SpoorLogs", targets: ["SpoorLogs"]),
        .library(name: "SpoorCapture", targets: ["SpoorCapture"]),
        .library(name: "SpoorIntel", targets: ["SpoorIntel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries behind one door each: only SpoorCapture imports CPcap,
        // only SpoorEnrichment imports CMaxMindDB.
        .systemLibrary(
            name: "CPcap",
            path: "Sources/CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CMaxMindDB",
            path: "Sources/CMaxMindDB",
            pkgConfig: "libmaxminddb",
            providers: [.apt(["libmaxminddb-dev"])]
        ),
        // SQLite's process-wide settings (a variadic C function Swift cannot call), for SpoorStore.
        .systemLibrary(
            name: "CSQLiteSetup",
            path: "Sources/CSQLiteSetup",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        .target(name: "SpoorCore", exclude: ["README.md"]),
        .target(
            name: "SpoorLogs",
            dependencies: ["SpoorCore"],
            exclude: ["README.md"],
        ),
        .target(
            name: "SpoorCapture",
            dependencies: [
                "SpoorCore", "CPcap", .product(name: "Crypto", package: "swift-crypto"),
                // AES's block function, for QUIC's header protection.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["README.md"],
            // The packet path mutates flow objects millions of times a second; Swift's dynamic
            // exclusivity checks on class properties would cost more than the work itself.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .target(
            name: "SpoorEnrichment",
            dependencies: ["SpoorCore", "CMaxMindDB"],
            exclude: ["README.md"],
        ),
        .target(
            name: "SpoorIntel",
            dependencies: ["SpoorCore", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["README.md"],
        ),
        // The only module that imports the SQLite library: both stores' schemas, migrations
        // and every SQL statement.
        .target(
            name: "SpoorStore",
            dependencies: [
                "SpoorCore", "SpoorLogs", "SpoorCapture", "SpoorIntel",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's own functions, for the one statement bound without GRDB (a capture's flows).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                "CSQLiteSetup",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"],
        ),
        .target(
            name: "SpoorAnalysis",
            dependencies: ["SpoorCore", "SpoorEnrichment", "SpoorIntel", "SpoorStore"],
            exclude: ["README.md"],
        ),
        .target(
            name: "SpoorIntake",
            dependencies: [
                "SpoorCore", "SpoorLogs", "SpoorCapture", "SpoorStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["README.md"],
        ),
        // Sigma rules: YAML read through Yams, compiled to matchers, tested against stored records.
        .target(
            name: "SpoorSigma",
            dependencies: [
                "SpoorCore", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"],
        ),
        .target(
            name: "SpoorCase",
            dependencies: [
                "SpoorCore", "SpoorLogs", "SpoorIntake", "SpoorEnrichment", "SpoorIntel", "SpoorStore", "SpoorAnalysis",
                "SpoorSigma",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"],
        ),
        .target(
            name: "SpoorReport",
            dependencies: [
                "SpoorCore", "SpoorCase", "SpoorCapture", "SpoorIntel", "SpoorStore", "SpoorAnalysis", "SpoorIntake", "SpoorLogs",
                "SpoorSigma",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            exclude: ["README.md"],
            // The report's words: one folder of Mustache templates per language (English shipped).
            resources: [.copy("Templates")]
        ),
        .executableTarget(
            name: "spoor",
            dependencies: [
                "SpoorCore", "SpoorLogs", "SpoorCapture", "SpoorEnrichment", "SpoorIntel", "SpoorStore",
                "SpoorIntake", "SpoorCase", "SpoorReport", "SpoorAnalysis", "SpoorSigma",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .target(name: "SpoorTestSupport", path: "Tests/SpoorTestSupport"),
        .testTarget(
            name: "SpoorCoreTests",
            dependencies: [
                "SpoorCore", "SpoorTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "SpoorLogsTests", dependencies: ["SpoorLogs", "SpoorTestSupport"]),
        .testTarget(name: "SpoorCaptureTests", dependencies: ["SpoorCapture", "SpoorTestSupport"]),
        .testTarget(name: "SpoorEnrichmentTests", dependencies: ["SpoorEnrichment", "SpoorTestSupport"]),
        .testTarget(
            name: "SpoorIntelTests",
            dependencies: [
                "SpoorIntel", "SpoorStore", "SpoorTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "SpoorAnalysisTests",
            dependencies: ["SpoorAnalysis", "SpoorCore", "SpoorIntel", "SpoorStore", "SpoorSigma", "SpoorTestSupport"]
        ),
        .testTarget(
            name: "SpoorIntakeTests",
            dependencies: [
                "SpoorIntake", "SpoorStore", "SpoorTestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(
            name: "SpoorCaseTests",
            dependencies: [
                "SpoorCase", "SpoorStore", "SpoorIntake", "SpoorReport", "SpoorIntel", "SpoorAnalysis", "SpoorTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "SpoorReportTests",
            dependencies: [
                "SpoorReport", "SpoorCase", "SpoorStore", "SpoorIntake", "SpoorAnalysis", "SpoorCore", "SpoorLogs",
                "SpoorTestSupport",
            ]
        ),
        .testTarget(
            name: "SpoorEndToEndTests",
            dependencies: ["SpoorTestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
