import CDSBuiltins
@testable import CDSEngine
import CDSInterop
import CDSJSON
import CDSModuleAPI
import CDSTestSupport
import Foundation
import Testing

/// A second knowledge pack (the test-only synthetic pack under Tests/Packs, never shipped)
/// loaded beside the iliopsoas pack, with a module that uses it.
@Suite("Knowledge packs side by side")
struct KnowledgePackTests {
    static let syntheticX = Repository.root + "/Tests/Packs/synthetic-x"

    static func twoPacks() throws -> Catalog {
        try Interop.loadCatalog(directory: Repository.catalogDirectory, extraPacks: [syntheticX])
    }

    static func engine(_ catalog: Catalog) -> Engine {
        Engine(catalog: catalog, modules: BuiltinModules.all + [SyntheticXModule()], clock: FixedClock(TestRepository.today))
    }

    static func markers(alpha: Bool?, beta: Bool?) -> [UInt8] {
        Cases.minimal { c in
            var markers: [String: Any] = [:]
            if let alpha { markers["alpha"] = alpha }
            if let beta { markers["beta"] = beta }
            c["extensions"] = ["synthetic-x": ["markers": markers]]
        }
    }

    @Test func bothPacksLoadInOrderEachWithItsVersionAndDigest() throws {
        let catalog = try Self.twoPacks()
        #expect(catalog.packs.map(\.id) == ["iliopsoas", "synthetic-x"])
        #expect(catalog.packs.map(\.version) == ["1.0.0", "0.1.0"])
        let synthetic = try #require(catalog.pack("synthetic-x"))
        #expect(synthetic.sha256.count == 64 && synthetic.sha256 != catalog.packs[0].sha256)
        // The iliopsoas pack's digest does not depend on what is loaded beside it.
        #expect(catalog.packs[0].sha256 == Repository.catalog.packs[0].sha256)
        #expect(catalog.digest != Repository.catalog.digest)
        #expect(catalog.view.recommendations(inPack: "synthetic-x").map(\.id) == ["synthx.step-alpha", "synthx.step-beta"])
        #expect(catalog.recommendation("synthx.step-beta")?.pack == "synthetic-x")
        #expect(catalog.recommendation("initial.cryotherapy")?.pack == "iliopsoas")
    }

    @Test func bothPacksContributeToOnePlanThroughOneResolver() throws {
        let engine = Self.engine(try Self.twoPacks())
        #expect(engine.startupProblems.isEmpty, "\(engine.startupProblems)")
        let plan = engine.evaluate(try engine.caseReader.read(Self.markers(alpha: true, beta: true)))
        let items = Dictionary(uniqueKeysWithValues: plan.resolution.recommendations.map { ($0.id, $0) })
        // The synthetic pack's conflict group keeps one step: beta, proposed above alpha.
        #expect(items["synthx.step-beta"]?.action == .recommend)
        #expect(items["synthx.step-alpha"] == nil)
        let lost = try #require(plan.resolution.superseded.first { $0.loser.proposal.recommendation == "synthx.step-alpha" })
        #expect(lost.loser.module == "synthetic-x" && lost.winnerRecommendation == "synthx.step-beta")
        // A recommendation of the iliopsoas pack proposed by modules of both packs is merged.
        let nprs = try #require(items["monitoring.nprs"])
        #expect(Set(nprs.sources.map(\.module)) == ["monitoring", "synthetic-x"])
        // The iliopsoas content is what the iliopsoas pack alone gives for the same case.
        let alone = TestRepository.engine.evaluate(try TestRepository.engine.caseReader.read(Cases.minimal()))
        let iliopsoas = plan.resolution.recommendations.filter { !$0.id.rawValue.hasPrefix("synthx.") }
        #expect(iliopsoas.map(\.id) == alone.resolution.recommendations.map(\.id))
        #expect(iliopsoas.map(\.action) == alone.resolution.recommendations.map(\.action))
        // The second pack's phase comes after the first pack's phases in plan order.
        #expect(plan.resolution.recommendations.last?.id == "synthx.step-beta")
        // Provenance lists both packs.
        let json = plan.json(catalog: engine.catalog)
        let packs = json["provenance"]?["packs"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        #expect(packs == ["iliopsoas", "synthetic-x"])
    }

    @Test func thePacksFactsAreValidatedByItsSchemaFragment() throws {
        let engine = Self.engine(try Self.twoPacks())
        let bad = Cases.minimal { c in c["extensions"] = ["synthetic-x": ["markers": ["alpha": "yes"]]] }
        #expect(throws: CaseValidationError.self) { try engine.caseReader.read(bad) }
        let unknown = Cases.minimal { c in c["extensions"] = ["synthetic-x": ["colour": "blue"]] }
        #expect(throws: CaseValidationError.self) { try engine.caseReader.read(unknown) }
        // Without the synthetic pack its facts are not part of the case format.
        #expect(!Repository.catalog.caseSchema.declares(JSONPointer(tokens: ["extensions", "synthetic-x"])))
        #expect(engine.catalog.caseSchema.declares(JSONPointer(tokens: ["extensions", "synthetic-x", "markers", "alpha"])))
        // An absent marker is unknown, not "no": the module proposes nothing for it.
        let plan = engine.evaluate(try engine.caseReader.read(Self.markers(alpha: nil, beta: false)))
        #expect(!plan.resolution.recommendations.contains { $0.id.rawValue.hasPrefix("synthx.") })
    }

    @Test func oneTraceabilityReportCoversBothPacks() throws {
        let catalog = try Self.twoPacks()
        #expect(catalog.traceability.map(\.pack) == ["iliopsoas", "synthetic-x"])
        let report = TraceabilityReport.markdown(for: catalog)
        #expect(report.contains("## Pack `iliopsoas`: Treatment of iliopsoas syndrome"))
        #expect(report.contains("## Pack `synthetic-x`: Synthetic condition X (test fixture, never shipped)"))
        #expect(report.contains("| 2 | Marker alpha present: apply synthetic step alpha. | `synthx.step-alpha` |"))
        #expect(report.contains("`synthx-x1-beta`"))
        let one = TraceabilityReport.markdown(for: catalog, pack: "synthetic-x")
        #expect(!one.contains("## Pack `iliopsoas`") && one.contains("## Pack `synthetic-x`"))
    }

    // MARK: conflicts between packs stop the load

    /// A scratch copy of the synthetic pack with `file` edited, loaded beside the Catalog.
    static func issues(editing file: String, _ edit: (String) -> String) throws -> [String] {
        let directory = NSTemporaryDirectory() + "cds-pack-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: syntheticX, toPath: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + file
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""  // a file the pack leaves out: written whole
        let edited = edit(text)
        #expect(edited != text, "the edit changed nothing in \(file)")
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try CatalogLoader.load(directory: Repository.catalogDirectory, extraPacks: [directory])
            return []
        } catch {
            return error.issues.map { $0.description.replacingOccurrences(of: directory, with: "X") }
        }
    }

    static let conflicts: [(file: String, from: String, to: String, expected: String)] = [
        (
            "pack.json", "\"id\": \"synthetic-x\"", "\"id\": \"iliopsoas\"",
            "X/pack.json: /id: pack id \"iliopsoas\" is already defined by pack \"iliopsoas\" (packs/iliopsoas/pack.json)"
        ),
        (
            "pack.json", "[\"synthx\"]", "[\"synthx\", \"initial\"]",
            "X/pack.json: /namespaces/1: namespace \"initial\" is already claimed by pack \"iliopsoas\""
        ),
        (
            "recommendations.json", "\"synthx.step-alpha\"", "\"initial.cryotherapy\"",
            "X/recommendations.json: /recommendations/0: recommendation id \"initial.cryotherapy\" is already defined by pack \"iliopsoas\" (packs/iliopsoas/recommendations.json)"
        ),
        (
            "recommendations.json", "\"synthx.step-alpha\"", "\"other.step-alpha\"",
            "X/recommendations.json: /recommendations/0/id: \"other.step-alpha\" is outside the namespaces of pack \"synthetic-x\" (expected one of synthx. followed by a name)"
        ),
        (
            "recommendations.json", "{ \"source\": \"synthx-source\", \"quote\": \"Marker alpha",
            "{ \"source\": \"seed\", \"quote\": \"Marker alpha",
            "X/recommendations.json: /recommendations/0/sources/0/source: unknown source \"seed\" (not in sources.json)"
        ),
        (
            "evidence.json", "\"synthx-study-x1\"", "\"seed-ref-1\"",
            "X/evidence.json: /evidence/0: evidence id \"seed-ref-1\" is already defined by pack \"iliopsoas\" (packs/iliopsoas/evidence.json)"
        ),
        (
            "policy.json", "\"members\": [\"synthx.step-alpha\", \"synthx.step-beta\"]",
            "\"members\": [\"synthx.step-alpha\", \"synthx.step-gamma\"]",
            "X/policy.json: /resolver/conflictGroups/0/members/1: unknown recommendation \"synthx.step-gamma\" (defined by no loaded pack)"
        ),
        (
            "policy.json", "{ \"synthetic-x\": 40 }", "{ \"synthetic-x\": 40, \"symptoms\": 5 }",
            "X/policy.json: /resolver/modulePriorities/symptoms: module priority \"symptoms\" is already defined by pack \"iliopsoas\" (packs/iliopsoas/policy.json)"
        ),
        (
            "policy.json", "\"conflictGroups\": [",
            "\"conflictGroups\": [{ \"id\": \"strengthening-tier\", \"description\": \"d\", \"members\": [\"synthx.step-alpha\", \"synthx.step-beta\"] },",
            "X/policy.json: /resolver/conflictGroups/0: conflict group \"strengthening-tier\" is already defined by pack \"iliopsoas\" (packs/iliopsoas/policy.json)"
        ),
        (
            "terminology.json", "", "{ \"strengths\": [{ \"code\": \"not-stated\", \"display\": \"Not stated\" }] }",
            "X/terminology.json: /strengths/0: terminology strengths code \"not-stated\" is already defined by pack \"iliopsoas\" (packs/iliopsoas/terminology.json)"
        ),
        (
            "schema.json", "\"extension\": {", "\"properties\": { \"symptoms\": { \"type\": \"object\" } },\n  \"extension\": {",
            "X/schema.json: /properties/symptoms: the case member \"symptoms\" is already declared by pack \"iliopsoas\""
        ),
        (
            "schema.json", "\"extension\": {", "\"properties\": { \"patient\": { \"type\": \"object\" } },\n  \"extension\": {",
            "X/schema.json: /properties/patient: the case member \"patient\" is the core schema's (schema/case.schema.json); a pack cannot redeclare it"
        ),
        (
            "traceability.json",
            "\"nonClaims\": [{ \"line\": \"Synthetic Condition X (test fixture, not clinical content)\", \"reason\": \"title\" }]",
            "\"nonClaims\": []",
            "X/traceability.json: /: line 1 of source \"synthx-source\" is quoted by no Catalog entry and is not a non-claim: \"Synthetic Condition X (test fixture, not clinical content)\""
        ),
    ]

    @Test(arguments: 0..<conflicts.count)
    func aConflictBetweenPacksStopsTheLoad(index: Int) throws {
        let c = Self.conflicts[index]
        let issues = try Self.issues(editing: c.file) { c.from.isEmpty ? c.to : $0.replacingOccurrences(of: c.from, with: c.to) }
        #expect(issues.contains(c.expected), "\(issues)")
    }

    @Test func theSamePackTwiceIsRefused() throws {
        #expect(throws: CatalogLoadError.self) {
            try CatalogLoader.load(directory: Repository.catalogDirectory, extraPacks: [Self.syntheticX, Self.syntheticX])
        }
        #expect(throws: CatalogLoadError.self) {
            try CatalogLoader.load(directory: Repository.catalogDirectory, extraPacks: [Repository.catalogDirectory + "/packs/iliopsoas"])
        }
    }

    // MARK: modules checked against the packs at start

    @Test func modulesAreCheckedAgainstThePacksAtStart() throws {
        let catalog = try Self.twoPacks()
        func problems(_ descriptor: ModuleDescriptor, priority: Int? = 20) -> [String] {
            let module = FixedModule(descriptor: descriptor)
            return Engine(
                catalog: catalog, modules: BuiltinModules.all + [module],
                fallbackPriorities: priority.map { [descriptor.id: $0] } ?? [:]
            ).startupProblems
        }
        func descriptor(
            reads: [FactPath] = ["/extensions/synthetic-x"], pack: String? = "synthetic-x",
            proposes: [RecommendationPattern] = [.everyRecommendationOfPack]
        ) -> ModuleDescriptor {
            ModuleDescriptor(id: "probe", version: SemanticVersion(1, 0, 0), summary: "probe", reads: reads, pack: pack, proposes: proposes)
        }
        #expect(problems(descriptor()) == [])
        #expect(problems(descriptor(), priority: nil).first?.hasPrefix("module \"probe\" has no priority") == true)
        #expect(
            problems(descriptor(pack: "synthetic-z")).first?.hasPrefix("module \"probe\" names pack \"synthetic-z\", which is not loaded")
                == true)
        #expect(
            problems(descriptor(reads: ["/extensions/synthetic-x/markers/gamma"]))
                == [
                    "module \"probe\" reads /extensions/synthetic-x/markers/gamma, which the case schema does not declare (a pack's schema.json declares the facts its modules read)"
                ])
        #expect(
            problems(descriptor(proposes: ["synthx.step-alpha", "synthx.step-omega", "monitoring.*"]))
                == ["module \"probe\" proposes synthx.step-omega, which matches no recommendation of the loaded packs"])
        // Every built-in module passes against the shipped Catalog.
        #expect(TestRepository.engine.startupProblems == [])
    }
}

/// A module that proposes nothing, with the descriptor a test gives it.
struct FixedModule: AssessmentModule {
    var descriptor: ModuleDescriptor
    func assess(_ facts: CaseFacts, context: AssessmentContext) throws -> [Proposal] { [] }
}
