import CDSBuiltins
@testable import CDSEngine
import Testing

// The example of docs/module-api.md, verbatim between the markers (a test checks that).
// BEGIN EXAMPLE
import CDSModuleAPI

public struct HipSnappingModule: AssessmentModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "hip-snapping",
        version: SemanticVersion(1, 0, 0),
        summary: "Illustration: reacts to symptomatic clicking or snapping.",
        reads: ["/symptoms"]
    )

    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        guard c.symptoms.clickingOrSnapping else { return [] }
        return [
            Proposal(.recommend, "stretching.iliopsoas", priority: 55,
                     because: Rationale("symptomatic clicking or snapping recorded", facts: ["/symptoms/clickingOrSnapping"]))
        ]
    }
}
// END EXAMPLE

@Suite("The documented example module")
struct DocumentedModuleTests {
    @Test func itLoadsAndItsProposalIsMergedWithTheBuiltIns() throws {
        let engine = Engine(catalog: Repository.catalog, modules: BuiltinModules.all + [HipSnappingModule()])
        let plan = engine.evaluate(try Cases.read(Cases.minimal()))
        let report = try #require(plan.modules.first { $0.descriptor.id == "hip-snapping" })
        #expect(report.status == .contributed)
        #expect(report.priority == 10, "not in policy.json: the default module priority")
        let stretch = try #require(plan.resolution.recommendations.first { $0.id == "stretching.iliopsoas" })
        #expect(stretch.sources.map(\.module) == ["exercise-progression", "hip-snapping"])
        #expect(stretch.priority == 55)
    }
}
