import CDSModuleAPI
import IliopsoasCondition

/// Additional interventions: corticosteroid injection or surgery are considered only when
/// conservative treatment has failed after the Catalog's window (3-6 months); before that,
/// or while care is improving, they are deferred with the reason. How the window's ends are
/// read is the Catalog's local policy `escalation.window` (the source gives no rule beyond
/// 6 months). Case format 2 tells conservative care not recorded from not started, and
/// records prior injections or surgery, which the rationale names.
public struct EscalationModule: IliopsoasAssessmentModule {
    /// Creates the module; it holds no state between evaluations.
    public init() {}

    /// The module's identity, version, summary and the case facts it reads.
    public let descriptor = ModuleDescriptor(
        id: "escalation",
        version: SemanticVersion(1, 1, 0),
        summary: "Injection or surgery only after conservative treatment fails for 3-6 months.",
        reads: ["/conservativeCare", "/priorInterventions"],
        pack: Iliopsoas.pack,
        proposes: ["escalation.*"]
    )

    static let policy = "escalation.window"

    /// Considers or defers corticosteroid injection and surgery by how long conservative treatment has failed, as the type's documentation describes.
    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        let considerBeyond = try context.catalog.parameter("considerBeyondMaximum", ofRule: Self.policy) != 0
        let policy = [Self.policy]
        var prior = ""
        var priorFacts: [FactPath] = []
        if !c.priorInterventions.isEmpty {
            prior = "; prior " + c.priorInterventions.map { "\($0.kind) (\($0.date))" }.joined(separator: ", ") + " on record"
            priorFacts = ["/priorInterventions"]
        }
        return try context.catalog.recommendations(in: "escalation").map { r in
            let minimum = try context.catalog.parameter("conservativeCareMonthsMin", of: r.id)
            let maximum = try context.catalog.parameter("conservativeCareMonthsMax", of: r.id)
            let window = "\(RationaleFormat.number(minimum))-\(RationaleFormat.number(maximum)) months"
            guard let care = c.conservativeCare else {
                let state = c.careRecord == .notRecorded ? "conservative care is not recorded" : "conservative care has not started"
                let fact: FactPath = c.careRecord == .notRecorded || c.schemaVersion < 2 ? "/conservativeCare" : "/conservativeCare/status"
                return Proposal(
                    .defer, r.id, priority: 60,
                    because: Rationale(
                        "\(state)\(prior); escalation follows failed conservative treatment after \(window)", facts: [fact] + priorFacts))
            }
            let months = RationaleFormat.number(care.months)
            let monthsFact: FactPath = "/conservativeCare/months"
            let outcomeFact: FactPath = "/conservativeCare/outcome"
            var facts = [monthsFact, outcomeFact] + priorFacts
            var prior = prior
            if !care.treatments.isEmpty {
                prior = "; conservative treatments given: \(care.treatments.joined(separator: ", "))" + prior
                facts.insert("/conservativeCare/treatments", at: 2)
            }
            if care.months < minimum {
                return Proposal(
                    .defer, r.id, priority: 60,
                    because: Rationale(
                        "conservative care for \(months) months\(prior), under the \(RationaleFormat.number(minimum))-month minimum of the \(window) window",
                        facts: facts, policy: policy))
            }
            switch care.outcome {
            case "not-improving":
                if care.months <= maximum {
                    return Proposal(
                        .consider, r.id, priority: 70,
                        because: Rationale(
                            "conservative treatment failed after \(months) months (within the \(window) window)\(prior)", facts: facts,
                            policy: policy))
                }
                if considerBeyond {
                    return Proposal(
                        .consider, r.id, priority: 70,
                        because: Rationale(
                            "conservative treatment failed after \(months) months (beyond the \(window) window; still considered by local policy)\(prior)",
                            facts: facts, policy: policy))
                }
                return Proposal(
                    .defer, r.id, priority: 60,
                    because: Rationale(
                        "conservative treatment failed after \(months) months (beyond the \(window) window; local policy: review before escalating)\(prior)",
                        facts: facts, policy: policy))
            case "improving":
                return Proposal(
                    .defer, r.id, priority: 60,
                    because: Rationale("conservative care for \(months) months and improving: continue it\(prior)", facts: facts))
            case nil:
                return Proposal(
                    .defer, r.id, priority: 60,
                    because: Rationale(
                        "conservative care for \(months) months but its outcome is not recorded\(prior); escalation requires failed conservative treatment",
                        facts: facts))
            case let other?:
                throw ModuleError("unknown outcome '\(other)'", fact: outcomeFact)
            }
        }
    }
}
