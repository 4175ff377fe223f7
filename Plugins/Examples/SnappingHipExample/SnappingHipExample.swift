import CDSModuleSDK
import IliopsoasCondition

/// Example external module in Swift, built on the module SDK: it runs as its own process
/// and speaks the module protocol on stdin/stdout. Its decision: symptomatic clicking or
/// snapping calls for iliopsoas stretching (a Catalog recommendation).
@main
struct SnappingHipExample: ExternalModule, IliopsoasAssessmentModule {
    init() {}

    let descriptor = ModuleDescriptor(
        id: "snapping-hip-example",
        version: SemanticVersion(1, 0, 0),
        summary: "Example external module (Swift SDK): iliopsoas stretching when clicking or snapping is recorded.",
        reads: ["/symptoms/clickingOrSnapping"],
        pack: Iliopsoas.pack,
        proposes: ["stretching.iliopsoas"]
    )

    func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        guard c.symptoms.clickingOrSnapping else { return [] }
        return [
            Proposal(
                .recommend, "stretching.iliopsoas", priority: 55,
                because: Rationale("symptomatic clicking or snapping recorded", facts: ["/symptoms/clickingOrSnapping"]))
        ]
    }
}
