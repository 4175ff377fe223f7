import CDSModuleAPI
import IliopsoasCondition

/// Dancers and athletes. For dancers the module recommends the conservative treatment the
/// source reports in dancers (reference 5: NSAIDs, activity modification and iliopsoas-specific
/// physical therapy), adds that evidence to the NSAIDs entry, and takes a position on the
/// escalation entries: reference 5 found that none of 49 dancers needed corticosteroid
/// injection or surgery, so it proposes `defer`. The resolver settles that against the
/// escalation module by the Catalog's policy, and a losing position is listed in the plan's
/// `superseded` with the reason. Dancers and athletes have return to previous activity
/// monitored.
public struct PopulationModule: IliopsoasAssessmentModule {
    /// Creates the module; it holds no state between evaluations.
    public init() {}

    /// The module's identity, version, summary and the case facts it reads.
    public let descriptor = ModuleDescriptor(
        id: "population",
        version: SemanticVersion(1, 1, 0),
        summary: "Dancers and athletes: the dancer evidence (conservative care, no injection or surgery needed) and return to activity.",
        reads: ["/population"],
        pack: Iliopsoas.pack,
        proposes: ["population.dancer-conservative-care", "initial.nsaids", "escalation.*", "monitoring.return-to-activity"]
    )

    /// Proposes what the source reports for dancers and athletes, as the type's documentation describes.
    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        guard let population = c.population else { return [] }
        let groups = population.groups
        let facts = population.facts
        let who = population.description
        var proposals: [Proposal] = []
        if groups.contains("dancer") {
            let dancers: EvidenceID = "seed-ref-5"
            let studied =
                "conservative treatment including NSAIDs, activity modification and physical therapy specific to the iliopsoas showed excellent results in dancers (reference 5)"
            proposals.append(
                Proposal(
                    .recommend, "population.dancer-conservative-care", priority: 75, because: Rationale("\(who): \(studied)", facts: facts))
            )
            proposals.append(
                Proposal(
                    .recommend, "initial.nsaids", priority: 80,
                    because: Rationale(
                        "\(who): NSAIDs are a component of the conservative treatment that showed excellent results in dancers (reference 5)",
                        facts: facts), additionalEvidence: [dancers]))
            let position =
                "\(who): in the source's study of 49 dancers, conservative treatment showed excellent results and no patient required corticosteroid injections or surgical intervention (reference 5): this module defers escalation on that evidence; the resolver weighs it against the escalation rule"
            for r in context.catalog.recommendations(in: "escalation") {
                proposals.append(
                    Proposal(
                        .defer, r.id, priority: 55, because: Rationale(position, facts: facts, policy: ["resolver.population-position"]),
                        additionalEvidence: [dancers]))
            }
        }
        if groups.contains("dancer") || groups.contains("athlete") {
            proposals.append(
                Proposal(
                    .recommend, "monitoring.return-to-activity", priority: 60,
                    because: Rationale("\(who): return to previous activity levels is among the measures the source monitors", facts: facts)
                ))
        }
        return proposals
    }
}
