import CDSModuleAPI
import IliopsoasCondition

/// Post-surgical cases. The source's finding (reference 7) is about persistent groin pain
/// after total hip arthroplasty **and** iliopsoas tenotomy: joint mobilization combined with
/// exercise. When all three criteria are on record the module recommends it with that
/// evidence. When a hip arthroplasty or a tenotomy is on record but a criterion is unmet or
/// unknown, it defers the entry and says which criterion, citing the fact (or its absence);
/// reference 7 is then not cited, and the rest of the plan applies as for any patient.
public struct PostArthroplastyModule: IliopsoasAssessmentModule {
    /// Creates the module; it holds no state between evaluations.
    public init() {}

    /// The module's identity, version, summary and the case facts it reads.
    public let descriptor = ModuleDescriptor(
        id: "post-arthroplasty",
        version: SemanticVersion(1, 1, 0),
        summary:
            "Persistent groin pain after total hip arthroplasty and iliopsoas tenotomy: joint mobilization with exercise; says which criterion is unmet or unknown otherwise.",
        reads: ["/surgicalHistory"],
        pack: Iliopsoas.pack,
        proposes: ["population.post-arthroplasty-mobilization"]
    )

    static let entry: RecommendationID = "population.post-arthroplasty-mobilization"

    /// Recommends or defers joint mobilization with exercise after hip arthroplasty and iliopsoas tenotomy, as the type's documentation describes.
    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        guard let h = c.surgicalHistory, h.totalHipArthroplasty == true || h.iliopsoasTenotomy == true else {
            return []
        }
        var facts: [FactPath] = ["/surgicalHistory/totalHipArthroplasty", "/surgicalHistory/iliopsoasTenotomy"]
        if h.tenotomyDate != nil { facts.append("/surgicalHistory/tenotomyDate") }
        facts.append("/surgicalHistory/persistentGroinPain")
        if h.monthsSinceSurgery != nil { facts.append("/surgicalHistory/monthsSinceSurgery") }
        let criteria: [(name: String, value: Bool?)] = [
            ("total hip arthroplasty", h.totalHipArthroplasty),
            ("iliopsoas tenotomy", h.iliopsoasTenotomy ?? (h.tenotomyDate != nil ? true : nil)),
            ("persistent groin pain", h.persistentGroinPain),
        ]
        let met = criteria.filter { $0.value == true }.map(\.name)
        let unmet = criteria.filter { $0.value == false }.map(\.name)
        let unknown = criteria.filter { $0.value == nil }.map(\.name)
        let finding =
            "the source's finding on joint mobilization with exercise (reference 7) is for persistent groin pain after total hip arthroplasty and iliopsoas tenotomy"
        if unmet.isEmpty && unknown.isEmpty {
            var rule = "persistent groin pain after total hip arthroplasty and iliopsoas tenotomy: the population of reference 7"
            if let months = h.monthsSinceSurgery { rule += " (\(RationaleFormat.number(months)) months since surgery)" }
            return [
                Proposal(.recommend, Self.entry, priority: 85, because: Rationale(rule, facts: facts), additionalEvidence: ["seed-ref-7"])
            ]
        }
        var parts = ["found: " + (met.isEmpty ? "none of the criteria" : met.joined(separator: ", "))]
        if !unmet.isEmpty { parts.append("criterion not met: " + unmet.joined(separator: ", ")) }
        if !unknown.isEmpty { parts.append("not recorded (unknown): " + unknown.joined(separator: ", ")) }
        let next =
            unmet.isEmpty
            ? "record the missing criterion to decide; the rest of the plan applies meanwhile"
            : "outside that evidence; the rest of the plan applies"
        let rule = "\(parts.joined(separator: "; ")); \(finding): \(next)"
        return [Proposal(.defer, Self.entry, priority: 50, because: Rationale(rule, facts: facts))]
    }
}
