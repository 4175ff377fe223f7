import CDSModuleAPI

/// Additional interventions: corticosteroid injection or surgery are considered only when
/// conservative treatment has failed after the Catalog's window (3-6 months); before that,
/// or while care is improving, they are deferred with the reason.
public struct EscalationModule: AssessmentModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "escalation",
        version: SemanticVersion(1, 0, 0),
        summary: "Injection or surgery only after conservative treatment fails for 3-6 months.",
        reads: ["/conservativeCare"]
    )

    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        try context.catalog.recommendations(in: "escalation").map { r in
            let minimum = try context.catalog.parameter("conservativeCareMonthsMin", of: r.id)
            let maximum = try context.catalog.parameter("conservativeCareMonthsMax", of: r.id)
            let window = "\(RationaleFormat.number(minimum))-\(RationaleFormat.number(maximum)) months"
            guard let care = c.conservativeCare else {
                return Proposal(.defer, r.id, priority: 60, because: Rationale("conservative care has not started; escalation follows failed conservative treatment after \(window)", facts: ["/conservativeCare"]))
            }
            let months = RationaleFormat.number(care.months)
            let monthsFact: FactPath = "/conservativeCare/months"
            let outcomeFact: FactPath = "/conservativeCare/outcome"
            if care.months < minimum {
                return Proposal(.defer, r.id, priority: 60, because: Rationale("conservative care for \(months) months, under the \(RationaleFormat.number(minimum))-month minimum of the \(window) window", facts: [monthsFact, outcomeFact]))
            }
            switch care.outcome {
            case "not-improving":
                let position = care.months <= maximum ? "within the \(window) window" : "beyond the \(window) window"
                return Proposal(.consider, r.id, priority: 70, because: Rationale("conservative treatment failed after \(months) months (\(position))", facts: [monthsFact, outcomeFact]))
            case "improving":
                return Proposal(.defer, r.id, priority: 60, because: Rationale("conservative care for \(months) months and improving: continue it", facts: [monthsFact, outcomeFact]))
            case nil:
                return Proposal(.defer, r.id, priority: 60, because: Rationale("conservative care for \(months) months but its outcome is not recorded; escalation requires failed conservative treatment", facts: [monthsFact, outcomeFact]))
            case let other?:
                throw ModuleError("unknown outcome '\(other)'", fact: outcomeFact)
            }
        }
    }
}
