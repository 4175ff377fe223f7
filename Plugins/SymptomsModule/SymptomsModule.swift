import CDSModuleAPI
import IliopsoasCondition

/// Presentation: does the case show the common symptoms of iliopsoas syndrome listed by the
/// source? How many make a presentation fit is the Catalog's local policy
/// `symptoms.presentation-fit` (the source states no count): at or above its minimum,
/// initial conservative management starts, and below its strong-fit count the plan says the
/// presentation fits weakly; below the minimum the algorithm does not apply and every
/// recommendation of its pack is deferred. Symptoms not assessed (case format 2) are named as
/// unknown, never counted as absent.
public struct SymptomsModule: IliopsoasAssessmentModule {
    /// Creates the module; it holds no state between evaluations.
    public init() {}

    /// The module's identity, version, summary and the case facts it reads.
    public let descriptor = ModuleDescriptor(
        id: "symptoms",
        version: SemanticVersion(1, 1, 0),
        summary: "Checks the presentation against the common symptoms of iliopsoas syndrome and starts initial conservative management.",
        reads: ["/symptoms", "/side", "/symptomOnset"],
        pack: Iliopsoas.pack
    )

    static let policy = "symptoms.presentation-fit"

    /// Checks the presentation against the source's common symptoms and starts, or defers, initial conservative management.
    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        let minimum = try context.catalog.parameter("minimumPresent", ofRule: Self.policy)
        let strong = try context.catalog.parameter("strongFitMinimum", ofRule: Self.policy)
        let statuses = c.symptoms.statuses
        let all = statuses.map { FactPath(rawValue: "/symptoms/\($0.code)") }
        let present = statuses.indices.filter { statuses[$0].status == .present }.map { all[$0] }
        let policy = [Self.policy]
        let unknown = statuses.filter { $0.status == .notAssessed }
        let unknownNote = unknown.isEmpty ? "" : "; \(unknown.count) not assessed (unknown): \(unknown.map(\.code).joined(separator: ", "))"
        guard Double(present.count) >= minimum else {
            let verdict =
                Double(present.count + unknown.count) >= minimum
                ? "the presentation cannot be judged until the symptoms not assessed are assessed"
                : "the iliopsoas syndrome algorithm does not apply to this presentation"
            let rule =
                "\(present.count) of \(statuses.count) common symptoms listed by the source recorded present\(unknownNote), below the local policy's minimum of \(RationaleFormat.number(minimum)): \(verdict)"
            return context.catalog.recommendations(inPack: Iliopsoas.pack).map {
                Proposal(.defer, $0.id, priority: 100, because: Rationale(rule, facts: all, policy: policy))
            }
        }
        let fit =
            Double(present.count) < strong
            ? "presentation fits iliopsoas syndrome weakly (fewer than \(RationaleFormat.number(strong)) of the common symptoms)"
            : "presentation consistent with iliopsoas syndrome"
        var facts = unknown.isEmpty ? present : all
        var details: [String] = []
        if let side = c.side {
            details.append("\(side) side")
            facts.append("/side")
        }
        if let onset = c.symptomOnset {
            if let date = onset.date { details.append("onset \(date)") }
            if let weeks = onset.durationWeeks { details.append("for \(RationaleFormat.number(weeks)) weeks") }
            facts.append("/symptomOnset")
        }
        let listed = details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"
        let rule =
            "\(present.count) of \(statuses.count) common symptoms present\(listed)\(unknownNote): \(fit); start initial conservative management"
        return context.catalog.recommendations(in: "initial-management").map {
            Proposal(.recommend, $0.id, priority: 80, because: Rationale(rule, facts: facts, policy: policy))
        }
    }
}
