import CDSModuleAPI
import IliopsoasCondition

/// Contraindication screening: every recommendation that a recorded contraindication rules
/// out, or that administers a substance the patient is recorded as allergic to, is
/// proposed as `avoid`. The mapping from codes to recommendations is Catalog data.
public struct SafetyScreeningModule: IliopsoasAssessmentModule {
    /// Creates the module; it holds no state between evaluations.
    public init() {}

    /// The module's identity, version, summary and the case facts it reads.
    public let descriptor = ModuleDescriptor(
        id: "safety-screening",
        version: SemanticVersion(1, 0, 0),
        summary: "Screens the plan's recommendations against recorded contraindications and allergies.",
        reads: ["/contraindications", "/allergies"],
        pack: Iliopsoas.pack,
        proposes: ["*"]
    )

    /// Proposes `avoid` for every recommendation a recorded contraindication or allergy rules out.
    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        var proposals: [Proposal] = []
        for (i, code) in c.contraindications.enumerated() {
            let fact = FactPath(rawValue: "/contraindications/\(i)/code")
            guard let entry = context.catalog.contraindicationCodes.first(where: { $0.code == code }) else {
                throw ModuleError("contraindication code '\(code)' is not in the Catalog terminology", fact: fact)
            }
            for id in entry.rulesOut {
                proposals.append(
                    Proposal(
                        .avoid, id, priority: 100, because: Rationale("recorded contraindication '\(code)' rules this out", facts: [fact])))
            }
        }
        for (i, substance) in c.allergies.enumerated() {
            let fact = FactPath(rawValue: "/allergies/\(i)/substance")
            if substance == "unclassified-medication" {
                // Fail safe: every medication item waits until the allergy has been reviewed.
                for r in context.catalog.recommendations where !r.substances.isEmpty {
                    proposals.append(
                        Proposal(
                            .defer, r.id, priority: 100,
                            because: Rationale(
                                "a recorded medication allergy could not be classified: review it before this medication",
                                facts: [fact, FactPath(rawValue: "/allergies/\(i)/note")])))
                }
                continue
            }
            for r in context.catalog.recommendations where r.substances.contains(substance) {
                proposals.append(
                    Proposal(
                        .avoid, r.id, priority: 100,
                        because: Rationale("recorded allergy to '\(substance)', which this recommendation administers", facts: [fact])))
            }
        }
        return proposals
    }
}
