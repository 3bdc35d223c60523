// swift-tools-version: 6.1
//
// libFuzzer harnesses for Spoor's readers of hostile input: the export parsers, the packet
// decoders and the indicator importers. Built and run by Scripts/fuzz (-sanitize=fuzzer); each
// target is an executable whose main is libFuzzer's.

import PackageDescription

let package = Package(
    name: "SpoorFuzz",
    dependencies: [.package(name: "Spoor", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzExports", dependencies: ["FuzzDriver", .product(name: "SpoorLogs", package: "Spoor"), .product(name: "SpoorCore", package: "Spoor")]),
        .executableTarget(name: "FuzzCaptures", dependencies: ["FuzzDriver", .product(name: "SpoorCapture", package: "Spoor"), .product(name: "SpoorCore", package: "Spoor")]),
        .executableTarget(name: "FuzzIndicators", dependencies: ["FuzzDriver", .product(name: "SpoorIntel", package: "Spoor"), .product(name: "SpoorCore", package: "Spoor")]),
    ],
    swiftLanguageModes: [.v6]
)
