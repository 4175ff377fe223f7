import CDSModuleAPI

/// Dancers and athletes. Dancers get conservative treatment first, with the source's dancer
/// evidence attached to its components (NSAIDs, activity modification, iliopsoas-specific
/// physical therapy); dancers and athletes have return to previous activity monitored.
public struct PopulationModule: AssessmentModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "population",
        version: SemanticVersion(1, 0, 0),
        summary: "Dancers and athletes: conservative care first for dancers, return to activity for both.",
        reads: ["/population"]
    )

    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        guard let population = c.population else { return [] }
        var facts: [FactPath] = ["/population/group"]
        if population.level != nil { facts.append("/population/level") }
        let who = [population.level, population.group].compactMap { $0 }.joined(separator: " ")
        switch population.group {
        case "dancer":
            let dancers: EvidenceID = "seed-ref-5"
            let first = Rationale("\(who): conservative treatment first, as in the source's study of 49 dancers", facts: facts)
            let component = Rationale("\(who): component of the conservative treatment studied in dancers", facts: facts)
            return [
                Proposal(.recommend, "population.dancer-conservative-care", priority: 75, because: first),
                Proposal(.recommend, "initial.nsaids", priority: 80, because: component, additionalEvidence: [dancers]),
                Proposal(.recommend, "initial.relative-rest", priority: 80, because: component, additionalEvidence: [dancers]),
                Proposal(.recommend, "program.hip-rotation-strengthening", priority: 70, because: component, additionalEvidence: [dancers]),
                Proposal(.recommend, "monitoring.return-to-activity", priority: 60, because: Rationale("\(who): return to previous activity level is the goal to monitor", facts: facts)),
            ]
        case "athlete":
            return [
                Proposal(.recommend, "monitoring.return-to-activity", priority: 60, because: Rationale("\(who): return to previous activity level is the goal to monitor", facts: facts))
            ]
        default:
            return []
        }
    }
}
