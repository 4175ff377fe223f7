import CDSModuleAPI

/// Post-surgical cases: persistent groin pain after total hip arthroplasty and iliopsoas
/// tenotomy calls for joint mobilization combined with exercise. The source describes this
/// combination only for patients with both procedures and persistent groin pain; other
/// surgical histories get no proposal from this module.
public struct PostArthroplastyModule: AssessmentModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "post-arthroplasty",
        version: SemanticVersion(1, 0, 0),
        summary: "Persistent groin pain after total hip arthroplasty and iliopsoas tenotomy: joint mobilization with exercise.",
        reads: ["/surgicalHistory"]
    )

    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        guard let h = c.surgicalHistory, h.totalHipArthroplasty, h.iliopsoasTenotomy, h.persistentGroinPain == true else {
            return []
        }
        var facts: [FactPath] = [
            "/surgicalHistory/totalHipArthroplasty", "/surgicalHistory/iliopsoasTenotomy", "/surgicalHistory/persistentGroinPain",
        ]
        var rule = "persistent groin pain after total hip arthroplasty and iliopsoas tenotomy"
        if let months = h.monthsSinceSurgery {
            facts.append("/surgicalHistory/monthsSinceSurgery")
            rule += " (\(RationaleFormat.number(months)) months since surgery)"
        }
        return [
            Proposal(.recommend, "population.post-arthroplasty-mobilization", priority: 85, because: Rationale(rule, facts: facts))
        ]
    }
}
