// swift-tools-version:6.1
import PackageDescription

// Layers, each with one job; dependencies point one way:
//   cds (executable) -> CDSServer | CDSRepl -> CDSInterop (FHIR R4, CDS Hooks) -> CDSEngine -> CDSModuleAPI
//     -> CDSJSON -> CJSONC (json-c)
//   cds-hooks (executable, run by `cds hooks serve`) -> CDSHooksService (HTTP) -> CDSServer
//   both executables -> CDSCommandLine (options, exit statuses, logging) -> CDSInterop, CDSModuleHost
// CDSModuleAPI is condition-agnostic (modules read the case as facts). IliopsoasCondition,
// the typed iliopsoas case, depends on CDSModuleAPI only; the engine never imports it.
// Assessment modules under Plugins/ depend on CDSModuleAPI and IliopsoasCondition. Only CDSJSON imports
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

// The CDS Hooks HTTP service (`cds hooks serve`: Hummingbird, jwt-kit) is a large dependency
// tree, built into an executable of its own, `cds-hooks`, which `cds hooks serve` runs: `cds`
// starts without it. Builds that do not need it (AddressSanitizer, ThreadSanitizer, fuzzing)
// set CDS_WITHOUT_HTTP=1, which leaves the targets and their packages out; `cds hooks serve`
// then says that `cds-hooks` is not installed.
let withHTTP = Context.environment["CDS_WITHOUT_HTTP"].map { $0.isEmpty || $0 == "0" } ?? true

let httpPackages: [Package.Dependency] = withHTTP ? [
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
] : []

let httpTargets: [Target] = withHTTP ? [
    .target(
        name: "CDSHooksService",
        dependencies: [
            "CDSEngine",
            "CDSInterop",
            "CDSServer",
            "CDSJSON",
            "CDSModuleAPI",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    // `cds hooks serve` runs this executable, so that `cds` starts without the HTTP stack.
    .executableTarget(
        name: "cds-hooks",
        dependencies: [
            "CDSCommandLine",
            "CDSHooksService",
            "CDSEngine",
            "CDSServer",
            "CDSJSON",
            "CDSModuleAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .testTarget(
        name: "CDSHooksServiceTests",
        dependencies: ["CDSHooksService", "CDSTestSupport", "CDSEngine", "CDSInterop", "CDSJSON", .product(name: "JWTKit", package: "jwt-kit")]
    ),
] : []

let package = Package(
    name: "ClinicalDecisionSupport",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cds", targets: ["cds"]),
        .library(name: "CDSModuleAPI", targets: ["CDSModuleAPI"]),
        .library(name: "CDSModuleSDK", targets: ["CDSModuleSDK"]),
        .library(name: "IliopsoasCondition", targets: ["IliopsoasCondition"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),  // LogHandler.log(event:)
    ] + httpPackages,
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
        .systemLibrary(name: "CProcessSpawn", path: "Sources/CProcessSpawn"),
        .target(name: "CDSRepl", dependencies: ["CDSEngine", "CDSJSON", "CDSModuleAPI", "IliopsoasCondition", "CLibedit"]),
        .target(name: "CDSModuleAPI", dependencies: ["CDSJSON"]),
        .target(name: "IliopsoasCondition", dependencies: ["CDSModuleAPI", "CDSJSON"]),
        .target(name: "CDSModuleProtocol", dependencies: ["CDSModuleAPI", "CDSJSON"]),
        .target(name: "CDSModuleSDK", dependencies: ["CDSModuleAPI", "CDSModuleProtocol", "CDSJSON"]),
        .target(
            name: "CDSModuleHost",
            dependencies: [
                "CDSEngine",
                "CProcessSpawn",
                "CDSModuleProtocol",
                "CDSModuleAPI",
                "CDSJSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // SHA-256 blocks by the x86 SHA extensions, for CDSEngine's SHA256 (the Catalog's digest).
        .target(name: "CSHA256", path: "Sources/CSHA256"),
        .target(
            name: "CDSEngine",
            dependencies: [
                "CSHA256",
                "CDSModuleAPI",
                "CDSJSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // FHIR R4 in, CDS Hooks cards, feedback and session out: the adapters above the engine.
        .target(
            name: "CDSInterop",
            dependencies: [
                "CDSEngine",
                "CDSModuleAPI",
                "CDSJSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CDSServer",
            dependencies: [
                "CDSEngine",
                "CDSInterop",
                "CDSJSON",
                "CDSModuleAPI",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // FHIR Bulk Data in (`cds evaluate --bulk`): grouping an export by patient in bounded memory.
        .target(
            name: "CDSBulkData",
            dependencies: ["CDSServer", "CDSEngine", "CDSInterop", "CDSJSON", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "CDSBuiltins",
            dependencies: ["CDSModuleAPI"] + builtinModules.map { .target(name: $0) }
        ),
        // What every command shares: the Catalog's and the modules' options, the exit
        // statuses, logging to standard error (`cds` and `cds-hooks`).
        .target(
            name: "CDSCommandLine",
            dependencies: [
                "CDSEngine",
                "CDSInterop",
                "CDSModuleHost",
                "CDSBuiltins",
                "CDSJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "cds",
            dependencies: [
                "CDSCommandLine",
                "CDSEngine",
                "CDSInterop",
                "CDSServer",
                "CDSBulkData",
                "CDSRepl",
                "CDSModuleHost",
                "CDSModuleSDK",
                "CDSBuiltins",
                "CSystemTuning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The release link's function order (Makefile, `make link-order`), not a source.
            exclude: ["link-order.txt"]
        ),
        .target(name: "CDSTestSupport", dependencies: ["CDSEngine", "CDSInterop", "CDSBuiltins", "CDSModuleAPI"], path: "Tests/CDSTestSupport"),
        .testTarget(name: "CDSJSONTests", dependencies: ["CDSJSON"]),
        .testTarget(name: "CDSModuleAPITests", dependencies: ["CDSModuleAPI", "IliopsoasCondition", "CDSJSON"]),
        .testTarget(
            name: "CDSEngineTests",
            dependencies: ["CDSTestSupport", "CDSEngine", "CDSInterop", "CDSModuleAPI", "IliopsoasCondition", "CDSJSON", "CDSBuiltins"]),
        .testTarget(name: "CDSServerTests", dependencies: ["CDSTestSupport", "CDSServer", "CDSEngine", "CDSInterop", "CDSJSON", "CDSBuiltins"]),
        .testTarget(name: "CDSReplTests", dependencies: ["CDSTestSupport", "CDSRepl", "CDSEngine", "CDSInterop", "CDSJSON", "CDSBuiltins"]),
        .testTarget(name: "CDSBulkDataTests", dependencies: ["CDSBulkData", "CDSJSON"]),
        .testTarget(name: "CDSVignetteTests", dependencies: ["CDSTestSupport", "CDSEngine", "CDSInterop", "CDSBuiltins", "CDSJSON"]),
        .testTarget(name: "CDSEndToEndTests", dependencies: ["CDSTestSupport", "cds", "CDSCommandLine", "CDSInterop", "CDSJSON"]),
        // Fuzz targets (docs/reliability.md): libFuzzer when built with -sanitize=fuzzer,
        // corpus replayers otherwise.
        .target(name: "CDSFuzzSupport", path: "Tests/Fuzz/Support"),
        .executableTarget(name: "FuzzJSONRPC", dependencies: ["CDSFuzzSupport", "CDSInterop", "CDSServer", "CDSEngine", "CDSBuiltins", "CDSJSON", "CDSModuleAPI"], path: "Tests/Fuzz/FuzzJSONRPC"),
        .executableTarget(name: "FuzzCase", dependencies: ["CDSFuzzSupport", "CDSInterop", "CDSEngine", "CDSBuiltins", "CDSJSON", "CDSModuleAPI"], path: "Tests/Fuzz/FuzzCase"),
        .executableTarget(name: "FuzzFHIR", dependencies: ["CDSFuzzSupport", "CDSInterop", "CDSEngine", "CDSBuiltins", "CDSJSON", "CDSModuleAPI"], path: "Tests/Fuzz/FuzzFHIR"),
        // An example external module built on the SDK (docs/modules.md).
        .executableTarget(name: "SnappingHipExample", dependencies: ["CDSModuleSDK", "IliopsoasCondition"], path: "Plugins/Examples/SnappingHipExample"),
        .testTarget(name: "CDSModuleHostTests", dependencies: ["CDSTestSupport", "CDSModuleHost", "CDSEngine", "CDSInterop", "CDSJSON", "CDSBuiltins", "CDSModuleProtocol"]),
    ] + httpTargets + builtinModules.map { name in
        .target(name: name, dependencies: ["CDSModuleAPI", "IliopsoasCondition"], path: "Plugins/\(name)")
    }
)
