import CDSEngine

#if canImport(Glibc)
    import Glibc
#endif

/// The files of `cds module new NAME`.
struct ModuleTemplate {
    var name: String
    var sdkRoot: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `HipSnapping` -> `hip-snapping`.
    var moduleID: String {
        var id = ""
        for (i, c) in name.enumerated() {
            if c.isUppercase && i > 0 { id += "-" }
            id += c.lowercased()
        }
        return id
    }

    /// SwiftPM's identity of a path dependency: its directory name, lowercased.
    var sdkIdentity: String {
        (sdkRoot.split(separator: "/").last.map(String.init) ?? "cds").lowercased()
    }

    var files: [(String, String)] {
        [
            (
                "Package.swift",
                """
                // swift-tools-version:6.0
                import PackageDescription

                let package = Package(
                    name: "\(name)",
                    dependencies: [
                        .package(path: "\(sdkRoot)"),
                    ],
                    targets: [
                        .executableTarget(
                            name: "\(name)",
                            dependencies: [
                                .product(name: "CDSModuleSDK", package: "\(sdkIdentity)"),
                                .product(name: "IliopsoasCondition", package: "\(sdkIdentity)"),
                            ]
                        ),
                    ]
                )

                """
            ),
            (
                "Sources/\(name)/\(name).swift",
                """
                import CDSModuleSDK
                import IliopsoasCondition

                /// Decision logic only: propose Catalog recommendations (ids from `cds catalog check`
                /// or `catalog/list`), citing the case facts you read. Clinical text, dosages and
                /// thresholds stay in the Catalog; read thresholds with `context.catalog.parameter`.
                @main
                struct \(name): ExternalModule, IliopsoasAssessmentModule {
                    init() {}

                    let descriptor = ModuleDescriptor(
                        id: "\(moduleID)",
                        version: SemanticVersion(0, 1, 0),
                        summary: "Describe in one sentence what this module assesses.",
                        reads: ["/symptoms"]
                    )

                    func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
                        // Example rule; replace it with yours.
                        guard c.symptoms.clickingOrSnapping else { return [] }
                        return [
                            Proposal(
                                .recommend, "stretching.iliopsoas", priority: 50,
                                because: Rationale("symptomatic clicking or snapping recorded", facts: ["/symptoms/clickingOrSnapping"]))
                        ]
                    }
                }

                """
            ),
            (
                "module.json",
                """
                {
                  "id": "\(moduleID)",
                  "executable": ".build/debug/\(name)",
                  "arguments": [],
                  "timeoutMilliseconds": 2000
                }

                """
            ),
            (".gitignore", ".build/\nPackage.resolved\n"),
        ]
    }

    func write(to directory: String) throws(Failure) {
        if access(directory, F_OK) == 0 { throw Failure(description: "\(directory) already exists") }
        for (path, text) in files {
            let full = directory + "/" + path
            var dir = ""
            for component in full.split(separator: "/").dropLast() {
                dir += (dir.isEmpty && !full.hasPrefix("/") ? "" : "/") + component
                mkdir(dir, 0o755)
            }
            do {
                try FileSystem.writeAtomically(Array(text.utf8), to: full)
            } catch {
                throw Failure(description: "cannot write \(full): \(error.reason)")
            }
        }
    }
}
