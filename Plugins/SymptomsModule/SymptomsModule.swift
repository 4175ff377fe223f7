import CDSModuleAPI

/// Presentation: does the case show the common symptoms of iliopsoas syndrome listed by the
/// source? If it shows at least one, initial conservative management starts; if it shows
/// none, the algorithm does not apply and every Catalog recommendation is deferred.
public struct SymptomsModule: AssessmentModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "symptoms",
        version: SemanticVersion(1, 0, 0),
        summary: "Checks the presentation against the common symptoms of iliopsoas syndrome and starts initial conservative management.",
        reads: ["/symptoms"]
    )

    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        let flags: [(FactPath, Bool)] = [
            ("/symptoms/anteriorHipOrGroinPain", c.symptoms.anteriorHipOrGroinPain),
            ("/symptoms/weaknessResistedHipFlexionInAbduction", c.symptoms.weaknessResistedHipFlexionInAbduction),
            ("/symptoms/clickingOrSnapping", c.symptoms.clickingOrSnapping),
            ("/symptoms/painWithHipFlexionActivities", c.symptoms.painWithHipFlexionActivities),
        ]
        let present = flags.filter(\.1).map(\.0)
        guard !present.isEmpty else {
            let rule = "none of the \(flags.count) common symptoms listed by the source is recorded: the iliopsoas syndrome algorithm does not apply to this presentation"
            return context.catalog.recommendations.map {
                Proposal(.defer, $0.id, priority: 100, because: Rationale(rule, facts: flags.map(\.0)))
            }
        }
        let rule = "\(present.count) of \(flags.count) common symptoms present: presentation consistent with iliopsoas syndrome; start initial conservative management"
        return context.catalog.recommendations(in: "initial-management").map {
            Proposal(.recommend, $0.id, priority: 80, because: Rationale(rule, facts: present))
        }
    }
}
