import CDSModuleAPI
import IliopsoasCondition

/// Monitoring progress: pain during hip flexion (NPRS), function (LEFS), range of motion and
/// strength, and return to previous activity. The rationale states the recorded trend of
/// each measure (range of motion and strength from case format 2, per movement; NPRS readings
/// taken during hip flexion, as the source measures them, are preferred when recorded); it
/// draws no conclusion the source does not state.
public struct MonitoringModule: IliopsoasAssessmentModule {
    /// Creates the module; it holds no state between evaluations.
    public init() {}

    /// The module's identity, version, summary and the case facts it reads.
    public let descriptor = ModuleDescriptor(
        id: "monitoring",
        version: SemanticVersion(1, 1, 0),
        summary: "Monitors NPRS, LEFS, range of motion and strength, and return to activity, with the recorded trends.",
        reads: ["/measurements", "/activity"],
        pack: Iliopsoas.pack,
        proposes: ["monitoring.*"]
    )

    /// Proposes the monitoring of pain, function, range of motion, strength and return to activity, with the recorded trend of each.
    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        context.catalog.recommendations(in: "monitoring").map { r in
            let rationale: Rationale
            switch r.id.rawValue {
            case "monitoring.nprs":
                let duringFlexion = c.nprs.filter { $0.during == "hip-flexion" }
                if duringFlexion.isEmpty {
                    let note = c.nprs.contains { $0.during != nil } ? "; no reading recorded as taken during hip flexion" : ""
                    rationale = Rationale(Self.trend("NPRS", c.nprs) + note, facts: ["/measurements/nprs"])
                } else {
                    rationale = Rationale(Self.trend("NPRS during hip flexion", duringFlexion), facts: ["/measurements/nprs"])
                }
            case "monitoring.lefs":
                rationale = Rationale(Self.trend("LEFS", c.lefs), facts: ["/measurements/lefs"])
            case "monitoring.range-of-motion-strength" where !c.rangeOfMotion.isEmpty || !c.strength.isEmpty:
                let parts =
                    Self.assessments("range of motion", c.rangeOfMotion, unit: "°") + Self.assessments("strength", c.strength, unit: "/5")
                var facts: [FactPath] = []
                if !c.rangeOfMotion.isEmpty { facts.append("/measurements/rangeOfMotion") }
                if !c.strength.isEmpty { facts.append("/measurements/strength") }
                rationale = Rationale("evaluate improvement at each review; " + parts.joined(separator: "; "), facts: facts)
            case "monitoring.return-to-activity":
                let state =
                    switch c.activity?.returnedToPreviousLevel {
                    case true?: "recorded as returned to previous activity level"
                    case false?: "not yet returned to previous activity level"
                    case nil: "return to previous activity level not recorded"
                    }
                rationale = Rationale("evaluate improvement at each review; \(state)", facts: ["/activity/returnedToPreviousLevel"])
            default:
                rationale = Rationale("evaluate improvement at each review", facts: [])
            }
            return Proposal(.recommend, r.id, priority: 40, because: rationale)
        }
    }

    /// "NPRS 7 (2026-01-05) to 4 (2026-02-16): -3 over 42 days, 3 readings".
    static func trend(_ name: String, _ readings: [ClinicalCase.Reading]) -> String {
        guard let first = readings.first, let last = readings.last else {
            return "evaluate improvement at each review; no \(name) reading recorded yet (baseline needed)"
        }
        if readings.count == 1 {
            return "evaluate improvement at each review; one \(name) reading: \(first.value) (\(first.date)), no trend yet"
        }
        return "evaluate improvement at each review; \(name) \(first.value) (\(first.date)) to \(last.value) (\(last.date)): "
            + "\(RationaleFormat.change(last.value - first.value)) over \(first.date.days(to: last.date)) days, \(readings.count) readings"
    }

    /// "range of motion hip-flexion 90° (2026-01-05) to 110° (2026-02-16)", one part per movement
    /// in the order first recorded.
    static func assessments(_ name: String, _ items: [ClinicalCase.Assessment], unit: String) -> [String] {
        var movements: [String] = []
        for a in items where !movements.contains(a.movement) { movements.append(a.movement) }
        return movements.map { m in
            let series = items.filter { $0.movement == m }
            guard let first = series.first, let last = series.last else { return "" }
            let v = { (a: ClinicalCase.Assessment) in "\(RationaleFormat.number(a.value))\(unit) (\(a.date))" }
            return series.count == 1
                ? "\(name) \(m) \(v(first)), no trend yet" : "\(name) \(m) \(v(first)) to \(v(last)), \(series.count) assessments"
        }
    }
}
