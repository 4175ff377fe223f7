import CDSBuiltins
@testable import CDSEngine
import CDSJSON
import CDSModuleAPI
import IliopsoasCondition
import Testing

@Suite("Engine and module registry")
struct EngineTests {
    let catalog = Repository.catalog

    func engine(_ modules: [any AssessmentModule]) -> Engine {
        Engine(catalog: catalog, modules: modules, clock: FixedClock(CalendarDate(year: 2026, month: 3, day: 2)!))
    }

    @Test func incompatibleAPIVersionIsRefusedAndReportedInEveryPlan() throws {
        let future = StubModule(id: "future", apiVersion: ModuleAPIVersion(major: 3, minor: 0)) { _, _ in [] }
        let newer = StubModule(id: "newer-minor", apiVersion: ModuleAPIVersion(major: 2, minor: 9)) { _, _ in [] }
        // An in-process module of API 1.x was compiled against the 1.x protocol requirement,
        // which 2.0 removed: refused (only external 1.x modules still load).
        let old = StubModule(id: "old-major", apiVersion: ModuleAPIVersion(major: 1, minor: 1)) { _, _ in [] }
        let e = engine(BuiltinModules.all + [future, newer, old])
        #expect(e.registry.modules.count == BuiltinModules.all.count)
        #expect(e.registry.refused.map(\.descriptor.id) == ["future", "newer-minor", "old-major"])
        #expect(
            e.registry.refused[0].reason
                == "module \"future\" 1.0.0 was built against module API 3.0; this host speaks 2.0 and loads 2.0 through 2.0")
        let plan = e.evaluate(try Cases.read(Cases.minimal()))
        let refused = plan.modules.filter { $0.status == .refused }.map(\.descriptor.id)
        #expect(refused == ["future", "newer-minor", "old-major"])
    }

    /// A module proposes only what its descriptor declares in `proposes` (module API 2.0);
    /// anything else fails its whole output, like any other contract violation.
    @Test func aProposalOutsideTheDeclaredProposesFailsTheModule() throws {
        let propose: @Sendable (ClinicalCase, AssessmentContext) throws -> [Proposal] = { _, _ in
            [Proposal(.recommend, "stretching.iliopsoas", because: Rationale("test", facts: ["/symptoms"]))]
        }
        let modules = [
            StubModule(id: "exact", proposes: ["stretching.iliopsoas"], behaviour: propose),
            StubModule(id: "prefix", proposes: ["stretching.*"], behaviour: propose),
            StubModule(id: "own-pack", pack: "iliopsoas", behaviour: propose),
            StubModule(id: "other-prefix", proposes: ["initial.*"], behaviour: propose),
            StubModule(id: "other-pack", pack: "synthetic", behaviour: propose),
        ]
        let plan = engine(modules).evaluate(try Cases.read(Cases.minimal()))
        let status = Dictionary(uniqueKeysWithValues: plan.modules.map { ($0.descriptor.id, $0.status.rawValue) })
        #expect(
            status == [
                "exact": "contributed", "prefix": "contributed", "own-pack": "contributed", "other-prefix": "failed",
                "other-pack": "failed",
            ])
        let failed = try #require(plan.modules.first { $0.descriptor.id == "other-pack" })
        #expect(failed.error == "proposal 1 ('stretching.iliopsoas'): not among the recommendations the module declares in `proposes`")
    }

    @Test func theCatalogViewKnowsItsPacks() {
        let view = catalog.view
        #expect(view.packs == [PackSummary(id: "iliopsoas", version: catalog.version)])
        #expect(view.recommendations(inPack: "iliopsoas").count == view.recommendations.count)
        #expect(view.recommendations(inPack: "synthetic").isEmpty)
        let described = BuiltinModules.all.map(\.descriptor)
        #expect(described.allSatisfy { $0.pack == "iliopsoas" })
        for d in described {
            #expect(view.recommendations.contains { d.mayPropose($0) }, "\(d.id) proposes something the Catalog has")
        }
    }

    @Test func duplicateAndMalformedIDsAreRefused() {
        let registry = ModuleRegistry([
            StubModule(id: "same") { _, _ in [] }, StubModule(id: "same") { _, _ in [] }, StubModule(id: "Bad_ID") { _, _ in [] },
            StubModule(id: "bad-fact", reads: ["symptoms"]) { _, _ in [] },
        ])
        #expect(registry.modules.map(\.descriptor.id) == ["same"])
        #expect(
            registry.refused.map(\.reason) == [
                "module id \"Bad_ID\" is not lowercase letters, digits and '-'",
                "module \"bad-fact\" declares an invalid fact path \"symptoms\" (expected a JSON Pointer such as /symptoms)",
                "another module already has id \"same\"",
            ])
    }

    @Test func aThrowingModuleIsReportedAndTheOthersStillContribute() throws {
        let broken = StubModule(id: "broken") { _, _ in throw ModuleError("cannot read this case", fact: "/symptoms") }
        let plan = engine(BuiltinModules.all + [broken]).evaluate(try Cases.read(Cases.minimal()))
        let report = try #require(plan.modules.first { $0.descriptor.id == "broken" })
        #expect(report.status == .failed)
        #expect(report.error == "threw: /symptoms: cannot read this case")
        #expect(
            plan.modules.filter { $0.status == .contributed }.map(\.descriptor.id) == [
                "escalation", "exercise-progression", "monitoring", "symptoms",
            ])
        #expect(plan.modules.filter { $0.status == .noProposals }.count == 3)
        #expect(plan.resolution.recommendations.contains { $0.id == "initial.cryotherapy" })
    }

    @Test(arguments: [
        (
            Proposal(.recommend, "no.such.entry", because: Rationale("r", facts: [])),
            "proposal 1 ('no.such.entry'): no such recommendation in Catalog 1.0.0"
        ),
        (
            Proposal(ProposalAction(rawValue: "maybe"), "initial.nsaids", because: Rationale("r", facts: [])),
            "proposal 1 ('initial.nsaids'): unknown action 'maybe' (expected avoid, defer, consider or recommend)"
        ),
        (
            Proposal(.recommend, "initial.nsaids", priority: 101, because: Rationale("r", facts: [])),
            "proposal 1 ('initial.nsaids'): priority 101 is outside 0...100"
        ),
        (
            Proposal(.recommend, "initial.nsaids", because: Rationale("", facts: [])),
            "proposal 1 ('initial.nsaids'): the rationale states no rule"
        ),
        (
            Proposal(.recommend, "initial.nsaids", because: Rationale("r", facts: ["/patient/age"])),
            "proposal 1 ('initial.nsaids'): cites fact /patient/age, which the module does not declare in `reads`"
        ),
        (
            Proposal(.recommend, "initial.nsaids", because: Rationale("r", facts: []), additionalEvidence: ["seed-ref-99"]),
            "proposal 1 ('initial.nsaids'): no such evidence 'seed-ref-99' in Catalog 1.0.0"
        ),
    ])
    func anInvalidProposalFailsItsWholeModule(proposal: Proposal, message: String) throws {
        let fine = Proposal(.avoid, "initial.cryotherapy", because: Rationale("r", facts: []))
        let module = StubModule(id: "faulty") { _, _ in [proposal, fine] }
        let plan = engine([module]).evaluate(try Cases.read(Cases.minimal()))
        #expect(plan.modules.first?.status == .failed)
        #expect(plan.modules.first?.error == message)
        #expect(plan.resolution.recommendations.isEmpty, "no part of a failed module's output is used")
    }

    @Test func factsCitedByAProposalCarryTheirValuesOrAbsence() throws {
        let module = StubModule(id: "facts", reads: ["/symptoms", "/conservativeCare"]) { _, _ in
            [
                Proposal(
                    .recommend, "initial.nsaids",
                    because: Rationale("r", facts: ["/symptoms/clickingOrSnapping", "/conservativeCare/months"]))
            ]
        }
        let plan = engine([module]).evaluate(try Cases.read(Cases.minimal()))
        let facts = plan.facts(plan.resolution.recommendations[0].sources[0].proposal.rationale.facts)
        #expect(facts.map(\.value) == [.bool(true), nil])
    }

    @Test func assessmentDateWinsOverTheClockAndTheClockFillsIn() throws {
        let e = engine(BuiltinModules.all)
        #expect(e.evaluate(try Cases.read(Cases.minimal())).asOf.description == "2026-03-02")
        let undated = try Cases.read(Cases.minimal { $0["assessmentDate"] = nil })
        let pinned = Engine(catalog: catalog, modules: [], clock: FixedClock(CalendarDate("2030-12-31")!))
        #expect(pinned.evaluate(undated).asOf.description == "2030-12-31")
    }

    @Test func evaluationIsDeterministicWhateverTheModuleOrder() throws {
        let c = try Cases.read(Cases.minimal { $0["contraindications"] = [["code": "nsaids"]] })
        let forward = engine(BuiltinModules.all).evaluate(c).json(catalog: catalog).serialized()
        let backward = engine(BuiltinModules.all.reversed()).evaluate(c).json(catalog: catalog).serialized()
        #expect(forward == backward)
        #expect(forward == engine(BuiltinModules.all).evaluate(c).json(catalog: catalog).serialized())
    }
}

@Suite("Fact paths")
struct FactPathTests {
    @Test(arguments: [
        ("/symptoms/clicking", "/symptoms", true), ("/symptoms", "/symptoms", true), ("/symptomsX", "/symptoms", false),
        ("/symptoms", "/symptoms/clicking", false), ("/a/b/c", "/a/b", true), ("/ab", "/a", false), ("/é/x", "/é", true),
        ("/\u{E9}", "/e\u{301}", false), ("/e\u{301}/x", "/\u{E9}", false),  // canonically equivalent is not the same pointer
    ])
    func withinIsByWholeTokens(path: String, other: String, within: Bool) {
        #expect(FactPath(rawValue: path).isWithin(FactPath(rawValue: other)) == within)
    }
}
