// swift-tools-version: 6.0
// libFuzzer targets for warnd's parsers (`make fuzz`). A package of its own, so that everything it builds — the
// Rules library and Yams included — is instrumented (`-Xswiftc -sanitize=fuzzer,address`, set by the Makefile)
// without touching the main build.
import PackageDescription


let package = Package(
    name: "warnd-fuzz",
    // The Rules library's sources through a symlink (Sources/Rules -> ../../Sources/Rules): a path dependency on
    // the parent package would take its identity from the checkout's directory name.
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .target(name: "Rules", dependencies: [
            .product(name: "Yams", package: "Yams"),
            .product(name: "OrderedCollections", package: "swift-collections"),
        ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzDataParser", dependencies: ["Rules", "FuzzSupport"]),
        .executableTarget(name: "FuzzRulesLoader", dependencies: ["Rules", "FuzzSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
