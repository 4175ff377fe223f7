import CDSModuleAPI

/// A test-only module of the synthetic pack `Tests/Packs/synthetic-x` (obviously synthetic
/// content, never shipped): it reads only its own facts under `/extensions/synthetic-x`,
/// through ``CaseFacts``, and proposes its own pack's steps, plus one iliopsoas
/// recommendation so that two packs' modules meet in one resolution.
package struct SyntheticXModule: AssessmentModule {
    package init() {}

    package let descriptor = ModuleDescriptor(
        id: "synthetic-x", version: SemanticVersion(0, 1, 0),
        summary: "Test fixture: synthetic steps alpha and beta from markers under /extensions/synthetic-x.",
        reads: ["/extensions/synthetic-x"], pack: "synthetic-x",
        proposes: [.everyRecommendationOfPack, "monitoring.nprs"])

    package func assess(_ facts: CaseFacts, context: AssessmentContext) throws -> [Proposal] {
        let alpha = try facts.bool("/extensions/synthetic-x/markers/alpha")
        let beta = try facts.bool("/extensions/synthetic-x/markers/beta")
        let rule = context.catalog.rules["synthx.beta-over-alpha"]
        let alphaPriority = Int(rule?.parameters["alphaPriority"] ?? 40)
        let betaPriority = Int(rule?.parameters["betaPriority"] ?? 60)
        var proposals: [Proposal] = []
        if alpha == true {
            proposals.append(
                Proposal(
                    .recommend, "synthx.step-alpha", priority: alphaPriority,
                    because: Rationale(
                        "marker alpha present", facts: ["/extensions/synthetic-x/markers/alpha"], policy: ["synthx.beta-over-alpha"])))
            proposals.append(
                Proposal(
                    .recommend, "monitoring.nprs", priority: 30,
                    because: Rationale("marker alpha present: follow pain (test fixture)", facts: ["/extensions/synthetic-x/markers/alpha"])
                ))
        }
        if beta == true {
            proposals.append(
                Proposal(
                    .recommend, "synthx.step-beta", priority: betaPriority,
                    because: Rationale(
                        "marker beta present", facts: ["/extensions/synthetic-x/markers/beta"], policy: ["synthx.beta-over-alpha"])))
        }
        return proposals
    }
}
