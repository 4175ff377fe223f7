import CDSEngine

#if canImport(Glibc)
    import Glibc
#endif

/// The files of `cds module new NAME`: a Swift package with the module, its manifest, a
/// knowledge-pack skeleton (`pack/`) and a golden-vignette test.
///
/// The pack is loadable as written: its one recommendation quotes the placeholder source
/// text, whose SHA-256 is computed here, and traceability accounts for every line. The
/// recommendation's id ends in ``placeholderSuffix``, so `cds module check module.json`
/// refuses the pack until the author replaces it with real content.
struct ModuleTemplate {
    var name: String
    var sdkRoot: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The end of the id of the skeleton's recommendation, which `cds module check` refuses.
    static let placeholderSuffix = ".placeholder-replace-me"

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

    /// The placeholder recommendation's id.
    var placeholderID: String { moduleID + Self.placeholderSuffix }

    /// The module's example fact, under its pack's extension member.
    var factPath: String { "/extensions/\(moduleID)/findingPresent" }

    /// The lines of the placeholder source text (`pack/sources/source.txt`).
    var sourceTitle: String { "\(name): placeholder source text" }
    var sourceInstruction: String {
        "Replace this file with the clinical source the \(moduleID) module follows, then quote it in recommendations.json."
    }
    var sourceStatement: String {
        "Placeholder statement: replace this sentence with a recommendation quoted from the real source."
    }
    var sourceText: String { [sourceTitle, sourceInstruction, sourceStatement].joined(separator: "\n") + "\n" }

    var files: [(String, String)] {
        [
            ("Package.swift", packageManifest),
            ("Sources/\(name)/\(name).swift", moduleSource),
            ("Tests/\(name)Tests/\(name)Tests.swift", testSource),
            ("Tests/vignettes/\(name).case.json", vignetteCase(present: true)),
            ("Tests/vignettes/\(name).expected.json", expectedProposals(present: true)),
            ("Tests/vignettes/\(name)-not-recorded.case.json", vignetteCase(present: false)),
            ("Tests/vignettes/\(name)-not-recorded.expected.json", expectedProposals(present: false)),
            (
                "module.json",
                """
                {
                  "id": "\(moduleID)",
                  "executable": ".build/debug/\(name)",
                  "arguments": [],
                  "timeoutMilliseconds": 2000,
                  "pack": "pack"
                }

                """
            ),
            ("pack/pack.json", packJSON),
            ("pack/sources/source.txt", sourceText),
            ("pack/sources.json", sourcesJSON),
            ("pack/recommendations.json", recommendationsJSON),
            ("pack/traceability.json", traceabilityJSON),
            ("pack/policy.json", policyJSON),
            ("pack/schema.json", schemaJSON),
            (".gitignore", ".build/\nPackage.resolved\n"),
        ]
    }

    var packageManifest: String {
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
                    ]
                ),
                // The golden vignettes (Tests/vignettes): `swift test`.
                .testTarget(
                    name: "\(name)Tests",
                    dependencies: ["\(name)"]
                ),
            ]
        )

        """
    }

    var moduleSource: String {
        """
        import CDSModuleSDK

        /// Decision logic only: read the facts your pack declares (pack/schema.json,
        /// `/extensions/\(moduleID)`) and propose the recommendations of your pack
        /// (pack/recommendations.json), citing the facts you read. Clinical text, dosages and
        /// thresholds stay in the pack; read thresholds with `context.catalog.parameter`.
        @main
        struct \(name): ExternalModule {
            init() {}

            let descriptor = ModuleDescriptor(
                id: "\(moduleID)",
                version: SemanticVersion(0, 1, 0),
                summary: "Describe in one sentence what this module assesses.",
                reads: ["/extensions/\(moduleID)"],
                pack: "\(moduleID)"
            )

            /// The example fact of pack/schema.json; rename it there and here.
            static let finding: FactPath = "\(factPath)"

            func assess(_ facts: CaseFacts, context: AssessmentContext) throws -> [Proposal] {
                // Example rule; replace it with yours. A fact not recorded reads as nil (unknown).
                guard try facts.bool(Self.finding) == true else { return [] }
                return [
                    Proposal(
                        .recommend, "\(placeholderID)", priority: 50,
                        because: Rationale("the finding is recorded present", facts: [Self.finding]))
                ]
            }
        }

        """
    }

    var testSource: String {
        """
        import CDSJSON
        import CDSModuleSDK
        import Foundation
        import Testing

        @testable import \(name)

        /// The golden vignettes: each Tests/vignettes/NAME.case.json, assessed by the module,
        /// gives exactly the proposals of NAME.expected.json. `cds module check module.json`
        /// runs the same vignettes through the host, with the Catalog and this pack loaded.
        struct \(name)VignetteTests {
            static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()

            static func json(_ url: URL) throws -> JSONValue {
                try JSONParser().parse(Array(try Data(contentsOf: url)))
            }

            static var vignettes: [String] {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Tests/vignettes").path)) ?? []
                return names.filter { $0.hasSuffix(".case.json") }.map { String($0.dropLast(".case.json".count)) }.sorted()
            }

            /// The pack's recommendations, as the host's Catalog shows them to the module.
            static func catalog() throws -> CatalogView {
                let document = try json(root.appendingPathComponent("pack/recommendations.json"))
                let recommendations = (document["recommendations"]?.arrayValue ?? []).compactMap { r -> CatalogRecommendation? in
                    guard let id = r["id"]?.stringValue, let phase = r["phase"]?.stringValue, let title = r["title"]?.stringValue else {
                        return nil
                    }
                    return CatalogRecommendation(
                        id: RecommendationID(rawValue: id), phase: Phase(rawValue: phase), title: title, pack: "\(moduleID)")
                }
                var phases: [Phase] = []
                for r in recommendations where !phases.contains(r.phase) { phases.append(r.phase) }
                return CatalogView(version: "test", phases: phases, recommendations: recommendations)
            }

            @Test(arguments: vignettes)
            func vignette(_ name: String) throws {
                let folder = Self.root.appendingPathComponent("Tests/vignettes")
                let document = try Self.json(folder.appendingPathComponent(name + ".case.json"))
                let expected = try Self.json(folder.appendingPathComponent(name + ".expected.json"))
                let module = \(name)()
                let facts = CaseFacts(document: document, reads: module.descriptor.reads)
                let asOf = facts.assessmentDate ?? CalendarDate(year: 2026, month: 1, day: 1)!
                let proposals = try module.assess(facts, context: AssessmentContext(asOf: asOf, catalog: try Self.catalog()))
                let got = proposals.map { "\\($0.recommendation) \\($0.action)" }.sorted()
                let want = (expected["proposals"]?.arrayValue ?? []).map {
                    "\\($0["recommendation"]?.stringValue ?? "?") \\($0["action"]?.stringValue ?? "?")"
                }.sorted()
                #expect(got == want, "vignette \\(name)")
                let catalog = try Self.catalog()
                for p in proposals {
                    #expect(catalog.recommendation(p.recommendation) != nil, "\\(p.recommendation) is not in pack/recommendations.json")
                    #expect(p.rationale.facts.allSatisfy(facts.isDeclared), "\\(p.recommendation) cites a fact outside `reads`")
                }
            }
        }

        """
    }

    /// A valid case for the host (the iliopsoas pack requires `symptoms`), with or without
    /// the module's fact.
    func vignetteCase(present: Bool) -> String {
        let caseID = present ? moduleID : moduleID + "-not-recorded"
        let extensions =
            present
            ? """
            ,
              "extensions": {
                "\(moduleID)": {
                  "findingPresent": true
                }
              }
            """ : ""
        return """
            {
              "schemaVersion": 1,
              "caseId": "\(caseID)",
              "assessmentDate": "2026-03-02",
              "patient": {
                "age": 34,
                "sex": "female"
              },
              "symptoms": {
                "anteriorHipOrGroinPain": true,
                "weaknessResistedHipFlexionInAbduction": false,
                "clickingOrSnapping": true,
                "painWithHipFlexionActivities": true
              }\(extensions)
            }

            """
    }

    /// What the module must propose for that case: its recommendation when the fact is
    /// recorded present, nothing when it is not recorded.
    func expectedProposals(present: Bool) -> String {
        present
            ? """
            {
              "proposals": [
                { "recommendation": "\(placeholderID)", "action": "recommend" }
              ]
            }

            """
            : """
            {
              "proposals": []
            }

            """
    }

    var packJSON: String {
        """
        {
          "id": "\(moduleID)",
          "version": "0.1.0",
          "title": "\(name) knowledge pack",
          "description": "The recommendations, source, case facts and resolver policy of the \(moduleID) module. Replace the placeholder content with your source's.",
          "namespaces": ["\(moduleID)"]
        }

        """
    }

    var sourcesJSON: String {
        """
        {
          "sources": [
            {
              "id": "\(moduleID)-source",
              "kind": "source-document",
              "title": "Placeholder source text (replace it)",
              "file": "sources/source.txt",
              "sha256": "\(SHA256.hex(Array(sourceText.utf8)))",
              "note": "Replace sources/source.txt with your clinical source and set sha256 to its SHA-256 (sha256sum pack/sources/source.txt); every quote must be found verbatim in it."
            }
          ]
        }

        """
    }

    var recommendationsJSON: String {
        """
        {
          "recommendations": [
            {
              "id": "\(placeholderID)",
              "phase": "\(moduleID)",
              "title": "PLACEHOLDER: replace this recommendation",
              "text": "PLACEHOLDER, not clinical content: replace this recommendation (id, title, text and quote) with one quoted from your source. cds module check refuses the pack while an id ends in \(Self.placeholderSuffix).",
              "strength": "not-stated",
              "evidence": [],
              "sources": [
                { "source": "\(moduleID)-source", "quote": "\(sourceStatement)" }
              ]
            }
          ]
        }

        """
    }

    var traceabilityJSON: String {
        """
        {
          "source": "\(moduleID)-source",
          "note": "Every sentence of sources/source.txt is quoted by a recommendation or listed here as carrying no clinical claim.",
          "nonClaims": [
            { "line": "\(sourceTitle)", "reason": "title" },
            { "line": "\(sourceInstruction)", "reason": "instructions for the module author" }
          ]
        }

        """
    }

    var policyJSON: String {
        """
        {
          "phases": [
            { "id": "\(moduleID)", "title": "\(name)" }
          ],
          "resolver": {
            "modulePriorities": { "\(moduleID)": 50 }
          }
        }

        """
    }

    var schemaJSON: String {
        """
        {
          "description": "The \(moduleID) pack's case facts, kept under /extensions/\(moduleID).",
          "extension": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
              "findingPresent": {
                "type": "boolean",
                "description": "Example fact: whether the finding this module looks for is recorded present; left out, it is unknown. Rename and describe it."
              }
            }
          }
        }

        """
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
