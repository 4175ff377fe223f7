import CDSBuiltins
@testable import CDSEngine
import Testing

// The example of docs/module-api.md, verbatim between the markers (a test checks that).
// BEGIN EXAMPLE
import CDSModuleAPI
import IliopsoasCondition

/// On the typed iliopsoas case: conform to `IliopsoasAssessmentModule`.
public struct HipSnappingModule: IliopsoasAssessmentModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "hip-snapping",
        version: SemanticVersion(1, 0, 0),
        summary: "Illustration: reacts to symptomatic clicking or snapping.",
        reads: ["/symptoms"],
        pack: Iliopsoas.pack,
        proposes: ["stretching.iliopsoas"]
    )

    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        guard c.symptoms.clickingOrSnapping else { return [] }
        return [
            Proposal(
                .recommend, "stretching.iliopsoas", priority: 55,
                because: Rationale("symptomatic clicking or snapping recorded", facts: ["/symptoms/clickingOrSnapping"]))
        ]
    }
}

/// On the facts alone, with no condition library: typed reads within `reads`.
public struct ArthroplastyNoteModule: AssessmentModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "arthroplasty-note",
        version: SemanticVersion(1, 0, 0),
        summary: "Illustration: reads one fact by JSON Pointer.",
        reads: ["/surgicalHistory/totalHipArthroplasty"],
        proposes: ["population.post-arthroplasty-mobilization"]
    )

    public func assess(_ facts: CaseFacts, context: AssessmentContext) throws -> [Proposal] {
        // nil: not recorded, which is unknown, not "no".
        guard try facts.bool("/surgicalHistory/totalHipArthroplasty") == true else { return [] }
        return [
            Proposal(
                .consider, "population.post-arthroplasty-mobilization", priority: 50,
                because: Rationale("total hip arthroplasty on record", facts: ["/surgicalHistory/totalHipArthroplasty"]))
        ]
    }
}
// END EXAMPLE

@Suite("The documented example module")
struct DocumentedModuleTests {
    @Test func itLoadsAndItsProposalIsMergedWithTheBuiltIns() throws {
        // Not in the iliopsoas pack's policy: without a priority of its own it may not start.
        let unprioritised = Engine(catalog: Repository.catalog, modules: BuiltinModules.all + [HipSnappingModule()])
        #expect(unprioritised.startupProblems.count == 1)
        #expect(unprioritised.startupProblems.first?.hasPrefix("module \"hip-snapping\" has no priority") == true)
        let engine = Engine(
            catalog: Repository.catalog, modules: BuiltinModules.all + [HipSnappingModule()], fallbackPriorities: ["hip-snapping": 45])
        #expect(engine.startupProblems.isEmpty)
        let plan = engine.evaluate(try Cases.read(Cases.minimal()))
        let report = try #require(plan.modules.first { $0.descriptor.id == "hip-snapping" })
        #expect(report.status == .contributed)
        #expect(report.priority == 45)
        let stretch = try #require(plan.resolution.recommendations.first { $0.id == "stretching.iliopsoas" })
        #expect(stretch.sources.map(\.module) == ["exercise-progression", "hip-snapping"])
        #expect(stretch.priority == 55)
    }

    @Test func theFactsModuleReadsItsFactAndTellsUnknownFromNo() throws {
        let engine = Engine(catalog: Repository.catalog, modules: [ArthroplastyNoteModule()])
        func count(_ history: [String: Any]?) throws -> Int? {
            let plan = engine.evaluate(try Cases.read(Cases.minimal { $0["surgicalHistory"] = history }))
            return plan.modules.first?.proposalCount
        }
        #expect(try count(["totalHipArthroplasty": true]) == 1)
        #expect(try count(["totalHipArthroplasty": false]) == 0)
        #expect(try count(nil) == 0)
    }
}
