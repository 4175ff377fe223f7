import CDSModuleAPI

/// Monitoring progress: pain during hip flexion (NPRS), function (LEFS), range of motion and
/// strength, and return to previous activity. The rationale states the recorded trend of
/// each measure; it draws no conclusion the source does not state.
public struct MonitoringModule: AssessmentModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "monitoring",
        version: SemanticVersion(1, 0, 0),
        summary: "Monitors NPRS, LEFS, range of motion and strength, and return to activity, with the recorded trends.",
        reads: ["/measurements", "/activity"]
    )

    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        context.catalog.recommendations(in: "monitoring").map { r in
            let rationale: Rationale
            switch r.id.rawValue {
            case "monitoring.nprs":
                rationale = Rationale(Self.trend("NPRS", c.nprs), facts: ["/measurements/nprs"])
            case "monitoring.lefs":
                rationale = Rationale(Self.trend("LEFS", c.lefs), facts: ["/measurements/lefs"])
            case "monitoring.return-to-activity":
                let state = switch c.activity?.returnedToPreviousLevel {
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
}
