// swift-tools-version:6.0
import PackageDescription

// Layers, each with one job; dependencies point one way:
//   cds (executable) -> CDSServer | CDSRepl -> CDSEngine -> CDSModuleAPI -> CDSJSON -> CJSONC (json-c)
// Assessment modules under Plugins/ depend on CDSModuleAPI only. Only CDSJSON imports
// CJSONC, and only CDSRepl imports CLibedit (line editing).

let builtinModules = [
    "SymptomsModule",
    "PopulationModule",
    "PostArthroplastyModule",
    "ExerciseProgressionModule",
    "EscalationModule",
    "MonitoringModule",
    "SafetyScreeningModule",
]

let package = Package(
    name: "ClinicalDecisionSupport",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cds", targets: ["cds"]),
        .library(name: "CDSModuleAPI", targets: ["CDSModuleAPI"]),
        .library(name: "CDSModuleSDK", targets: ["CDSModuleSDK"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),  // LogHandler.log(event:)
    ],
    targets: [
        .systemLibrary(
            name: "CJSONC",
            path: "Sources/CJSONC",
            pkgConfig: "json-c",
            providers: [.apt(["libjson-c-dev"])]
        ),
        .target(name: "CDSJSON", dependencies: ["CJSONC"]),
        .systemLibrary(
            name: "CLibedit",
            path: "Sources/CLibedit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // Linux and glibc tuning (malloc arenas, pipe sizes), for the executable only.
        .systemLibrary(name: "CSystemTuning", path: "Sources/CSystemTuning"),
        .target(name: "CDSRepl", dependencies: ["CDSEngine", "CDSJSON", "CDSModuleAPI", "CLibedit"]),
        .target(name: "CDSModuleAPI", dependencies: ["CDSJSON"]),
        .target(name: "CDSModuleProtocol", dependencies: ["CDSModuleAPI", "CDSJSON"]),
        .target(name: "CDSModuleSDK", dependencies: ["CDSModuleAPI", "CDSModuleProtocol", "CDSJSON"]),
        .target(
            name: "CDSModuleHost",
            dependencies: [
                "CDSEngine",
                "CDSModuleProtocol",
                "CDSModuleAPI",
                "CDSJSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CDSEngine",
            dependencies: [
                "CDSModuleAPI",
                "CDSJSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CDSServer",
            dependencies: [
                "CDSEngine",
                "CDSJSON",
                "CDSModuleAPI",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // FHIR Bulk Data in (`cds evaluate --bulk`): grouping an export by patient in bounded memory.
        .target(
            name: "CDSBulkData",
            dependencies: ["CDSServer", "CDSEngine", "CDSJSON", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "CDSBuiltins",
            dependencies: ["CDSModuleAPI"] + builtinModules.map { .target(name: $0) }
        ),
        .executableTarget(
            name: "cds",
            dependencies: [
                "CDSEngine",
                "CDSServer",
                "CDSBulkData",
                "CDSRepl",
                "CDSModuleHost",
                "CDSModuleSDK",
                "CDSBuiltins",
                "CSystemTuning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "CDSTestSupport", dependencies: ["CDSEngine", "CDSBuiltins", "CDSModuleAPI"], path: "Tests/CDSTestSupport"),
        .testTarget(name: "CDSJSONTests", dependencies: ["CDSJSON"]),
        .testTarget(name: "CDSEngineTests", dependencies: ["CDSTestSupport", "CDSEngine", "CDSModuleAPI", "CDSJSON", "CDSBuiltins"]),
        .testTarget(name: "CDSServerTests", dependencies: ["CDSTestSupport", "CDSServer", "CDSEngine", "CDSJSON", "CDSBuiltins"]),
        .testTarget(name: "CDSReplTests", dependencies: ["CDSTestSupport", "CDSRepl", "CDSEngine", "CDSJSON", "CDSBuiltins"]),
        .testTarget(name: "CDSBulkDataTests", dependencies: ["CDSBulkData", "CDSJSON"]),
        .testTarget(name: "CDSVignetteTests", dependencies: ["CDSTestSupport", "CDSEngine", "CDSBuiltins", "CDSJSON"]),
        .testTarget(name: "CDSEndToEndTests", dependencies: ["CDSTestSupport", "cds", "CDSJSON"]),
        // Fuzz targets (docs/reliability.md): libFuzzer when built with -sanitize=fuzzer,
        // corpus replayers otherwise.
        .target(name: "CDSFuzzSupport", path: "Tests/Fuzz/Support"),
        .executableTarget(name: "FuzzJSONRPC", dependencies: ["CDSFuzzSupport", "CDSServer", "CDSEngine", "CDSBuiltins", "CDSJSON", "CDSModuleAPI"], path: "Tests/Fuzz/FuzzJSONRPC"),
        .executableTarget(name: "FuzzCase", dependencies: ["CDSFuzzSupport", "CDSEngine", "CDSBuiltins", "CDSJSON", "CDSModuleAPI"], path: "Tests/Fuzz/FuzzCase"),
        .executableTarget(name: "FuzzFHIR", dependencies: ["CDSFuzzSupport", "CDSEngine", "CDSBuiltins", "CDSJSON", "CDSModuleAPI"], path: "Tests/Fuzz/FuzzFHIR"),
        // An example external module built on the SDK (docs/modules.md).
        .executableTarget(name: "SnappingHipExample", dependencies: ["CDSModuleSDK"], path: "Plugins/Examples/SnappingHipExample"),
        .testTarget(name: "CDSModuleHostTests", dependencies: ["CDSTestSupport", "CDSModuleHost", "CDSEngine", "CDSJSON", "CDSBuiltins", "CDSModuleProtocol"]),
    ] + builtinModules.map { name in
        .target(name: name, dependencies: ["CDSModuleAPI"], path: "Plugins/\(name)")
    }
)
