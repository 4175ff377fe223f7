import CDSModuleAPI

/// The hip rotation strengthening program: the program itself, stretching, and the
/// activation tier to work at now. The tier order (low, moderate, high, then advanced
/// rehabilitation) is the Catalog's `strengthening` progression. The program advances one
/// step when the current step is tolerated, and steps back one when it is not.
public struct ExerciseProgressionModule: AssessmentModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "exercise-progression",
        version: SemanticVersion(1, 0, 0),
        summary: "Hip rotation strengthening by EMG activation tier, stretching and advanced rehabilitation, progressed by tolerance.",
        reads: ["/exercise"]
    )

    /// The case's tier names, in the order of the Catalog progression.
    static let tiers = ["low", "moderate", "high", "advanced"]

    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        let catalog = context.catalog
        let steps = try catalog.progression("strengthening")
        guard steps.count == Self.tiers.count else {
            throw ModuleError("Catalog progression 'strengthening' has \(steps.count) steps; this module knows \(Self.tiers.count) tiers")
        }
        var proposals: [Proposal] = []
        let program = Rationale("every patient in the algorithm follows the hip rotation strengthening program with stretching", facts: [])
        for r in catalog.recommendations(in: "exercise-program") {
            proposals.append(Proposal(.recommend, r.id, priority: 70, because: program))
        }
        let stretching = Rationale("stretching is part of the program at every tier", facts: [])
        for r in catalog.recommendations(in: "stretching") {
            proposals.append(Proposal(.recommend, r.id, priority: 50, because: stretching))
        }

        func propose(_ action: ProposalAction, step: Int, priority: Int, _ rationale: Rationale) {
            for r in catalog.recommendations(in: steps[step]) {
                proposals.append(Proposal(action, r.id, priority: priority, because: rationale))
            }
        }
        let tierFact: FactPath = "/exercise/currentTier"
        let toleratedFact: FactPath = "/exercise/tolerated"
        guard let exercise = c.exercise, exercise.currentTier != "none" else {
            propose(.recommend, step: 0, priority: 65, Rationale("no activation tier started: begin with the lowest tier", facts: [tierFact]))
            return proposals
        }
        guard let current = Self.tiers.firstIndex(of: exercise.currentTier) else {
            throw ModuleError("unknown tier '\(exercise.currentTier)'", fact: tierFact)
        }
        guard let tolerated = exercise.tolerated else {
            throw ModuleError("tier '\(exercise.currentTier)' is recorded without whether it is tolerated", fact: toleratedFact)
        }
        let facts = [tierFact, toleratedFact]
        let name = exercise.currentTier
        if tolerated {
            if current == steps.count - 1 {
                propose(.recommend, step: current, priority: 65, Rationale("advanced rehabilitation tolerated: continue, progressing over time", facts: facts))
            } else {
                propose(.recommend, step: current + 1, priority: 65, Rationale("tier '\(name)' tolerated: progress one step to '\(Self.tiers[current + 1])'", facts: facts))
            }
        } else if current == 0 {
            propose(.consider, step: 0, priority: 65, Rationale("tier '\(name)' not tolerated and there is no lower tier: continue only as tolerated and reassess", facts: facts))
        } else {
            propose(.recommend, step: current - 1, priority: 65, Rationale("tier '\(name)' not tolerated: step back one step to '\(Self.tiers[current - 1])'", facts: facts))
            propose(.defer, step: current, priority: 60, Rationale("tier '\(name)' not tolerated: defer until the lower step is tolerated", facts: facts))
        }
        return proposals
    }
}
