import CDSModuleAPI
import IliopsoasCondition

/// The hip rotation strengthening program: the program itself (with EULAR's progressive
/// strength training dosage from the start), stretching, and the activation tier to work at
/// now. The tier order (low, moderate, high, then advanced rehabilitation) is the Catalog's
/// `strengthening` progression. The program advances one step when the current step is
/// tolerated, unless pain (NPRS) rose or function (LEFS) fell by a clinically important amount
/// between the two latest readings: then it holds and asks for review (Catalog rules
/// `progression.*`). Stepping back on intolerance is the local policy
/// `exercise.step-back-on-intolerance`.
public struct ExerciseProgressionModule: IliopsoasAssessmentModule {
    /// Creates the module; it holds no state between evaluations.
    public init() {}

    /// The module's identity, version, summary and the case facts it reads.
    public let descriptor = ModuleDescriptor(
        id: "exercise-progression",
        version: SemanticVersion(1, 1, 0),
        summary:
            "Hip rotation strengthening by EMG activation tier, stretching and advanced rehabilitation, progressed by tolerance and held while pain rises or function falls.",
        reads: ["/exercise", "/measurements/nprs", "/measurements/lefs"],
        pack: Iliopsoas.pack,
        proposes: ["program.*", "stretching.*", "strengthening.*", "advanced.*"]
    )

    /// The case's tier names, in the order of the Catalog progression.
    static let tiers = ["low", "moderate", "high", "advanced"]
    static let stepBack = "exercise.step-back-on-intolerance"
    static let bounds = "strengthening.mvic-bounds"
    static let hold = "progression.hold-when-worse"
    static let nprsChange = "progression.nprs-important-change"
    static let lefsChange = "progression.lefs-important-change"

    /// Proposes the strengthening program, stretching and the activation tier to work at now, as the type's documentation describes.
    public func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        let catalog = context.catalog
        let steps = try catalog.progression("strengthening")
        guard steps.count == Self.tiers.count else {
            throw ModuleError("Catalog progression 'strengthening' has \(steps.count) steps; this module knows \(Self.tiers.count) tiers")
        }
        var proposals: [Proposal] = []
        // Room for as many proposals as the Catalog has recommendations, made once, not as it grows.
        proposals.reserveCapacity(catalog.recommendations.count)
        let program = Rationale("every patient in the algorithm follows the hip rotation strengthening program with stretching", facts: [])
        let dosage = Rationale(
            "the source states EULAR's progressive strength training dosage as a general recommendation (Evidence for Effectiveness): it applies to the strengthening program from the start",
            facts: [])
        for r in catalog.recommendations(in: "exercise-program") {
            let isDosage = r.parameters["daysPerWeekMin"] != nil
            proposals.append(Proposal(.recommend, r.id, priority: isDosage ? 68 : 70, because: isDosage ? dosage : program))
        }
        let stretching = Rationale("stretching is part of the program at every tier", facts: [])
        for r in catalog.recommendations(in: "stretching") {
            proposals.append(Proposal(.recommend, r.id, priority: 50, because: stretching))
        }

        func propose(_ action: ProposalAction, step: Int, priority: Int, _ rationale: Rationale) {
            // Where the moderate and high tiers meet (60% MVIC), the bound is local policy.
            var rationale = rationale
            if (1...2).contains(step), !rationale.policy.contains(Self.bounds) { rationale.policy.append(Self.bounds) }
            for r in catalog.recommendations(in: steps[step]) {
                proposals.append(Proposal(action, r.id, priority: priority, because: rationale))
            }
        }
        let tierFact: FactPath = "/exercise/currentTier"
        let toleratedFact: FactPath = "/exercise/tolerated"
        guard let exercise = c.exercise, exercise.currentTier != "none" else {
            propose(
                .recommend, step: 0, priority: 65, Rationale("no activation tier started: begin with the lowest tier", facts: [tierFact]))
            return proposals
        }
        guard let current = Self.tiers.firstIndex(of: exercise.currentTier) else {
            throw ModuleError("unknown tier '\(exercise.currentTier)'", fact: tierFact)
        }
        guard let tolerated = exercise.tolerated else {
            throw ModuleError("tier '\(exercise.currentTier)' is recorded without whether it is tolerated", fact: toleratedFact)
        }
        var facts = [tierFact, toleratedFact]
        let name = exercise.currentTier
        if tolerated {
            if let worse = try worsening(c, catalog: catalog) {
                let rule =
                    "tier '\(name)' recorded as tolerated, but \(worse.finding): hold at '\(name)' and ask for clinical review before progressing"
                let because = Rationale(rule, facts: facts + worse.facts, policy: [Self.hold] + worse.thresholds)
                propose(.recommend, step: current, priority: 65, because)
                if current < steps.count - 1 {
                    propose(
                        .defer, step: current + 1, priority: 60,
                        Rationale(
                            "\(worse.finding): do not progress to '\(Self.tiers[current + 1])' until reviewed", facts: facts + worse.facts,
                            policy: [Self.hold] + worse.thresholds))
                }
            } else if current == steps.count - 1 {
                propose(
                    .recommend, step: current, priority: 65,
                    Rationale("advanced rehabilitation tolerated: continue, progressing over time", facts: facts))
            } else {
                propose(
                    .recommend, step: current + 1, priority: 65,
                    Rationale("tier '\(name)' tolerated: progress one step to '\(Self.tiers[current + 1])'", facts: facts))
            }
            return proposals
        }
        let back = Int(try catalog.parameter("stepsBack", ofRule: Self.stepBack))
        var why = "tier '\(name)' not tolerated"
        if let reason = exercise.notToleratedReason {
            facts.append("/exercise/notToleratedReason")
            why += " (reason: \(reason))"
        }
        if current == 0 || back < 1 {
            propose(
                .consider, step: current, priority: 65,
                Rationale(
                    "\(why) and there is no lower tier to step back to: continue only as tolerated and reassess", facts: facts,
                    policy: [Self.stepBack]))
        } else {
            let target = max(0, current - back)
            propose(
                .recommend, step: target, priority: 65,
                Rationale("\(why): step back to '\(Self.tiers[target])' (local policy)", facts: facts, policy: [Self.stepBack]))
            propose(
                .defer, step: current, priority: 60,
                Rationale("\(why): defer until the lower step is tolerated (local policy)", facts: facts, policy: [Self.stepBack]))
        }
        return proposals
    }

    /// A clinically important worsening of the latest NPRS or LEFS reading against the
    /// previous one or, failing that, the first (local policy `progression.hold-when-worse`),
    /// with the facts (the two readings compared) and the threshold rules that judged it.
    func worsening(_ c: ClinicalCase, catalog: CatalogView) throws -> (finding: String, facts: [FactPath], thresholds: [String])? {
        let againstFirst = try catalog.parameter("compareWithFirstReading", ofRule: Self.hold) != 0
        var findings: [String] = []
        var facts: [FactPath] = []
        var thresholds: [String] = []
        /// The readings to compare the latest with: the previous, then (by policy) the first.
        func baselines(_ readings: [ClinicalCase.Reading]) -> [ClinicalCase.Reading] {
            guard readings.count >= 2 else { return [] }
            let previous = readings[readings.count - 2]
            return againstFirst && readings.count >= 3 ? [previous, readings[0]] : [previous]
        }
        func path(_ key: String, _ r: ClinicalCase.Reading) -> [FactPath] {
            r.position.map { [FactPath(rawValue: "/measurements/\(key)/\($0)")] } ?? []
        }
        // Like with like: readings taken during hip flexion (as the source measures pain)
        // when at least two are recorded, otherwise all readings.
        let flexion = c.nprs.filter { $0.during == "hip-flexion" }
        let nprs = flexion.count >= 2 ? flexion : c.nprs
        let nprsName = flexion.count >= 2 ? "NPRS during hip flexion" : "NPRS"
        if let b = nprs.last {
            let points = try catalog.parameter("points", ofRule: Self.nprsChange)
            let percent = try catalog.parameter("percent", ofRule: Self.nprsChange)
            for a in baselines(nprs) {
                let rise = Double(b.value - a.value)
                guard rise > 0, rise >= points || (a.value > 0 && rise * 100 >= percent * Double(a.value)) else { continue }
                let pct = a.value > 0 ? ", \(RationaleFormat.number((rise * 1000 / Double(a.value)).rounded() / 10))%" : ""
                findings.append(
                    "\(nprsName) rose from \(a.value) (\(a.date)) to \(b.value) (\(b.date)): +\(RationaleFormat.number(rise)) points\(pct), at least the clinically important \(RationaleFormat.number(points)) points or \(RationaleFormat.number(percent))%"
                )
                facts += path("nprs", a) + path("nprs", b)
                thresholds.append(Self.nprsChange)
                break
            }
        }
        if let b = c.lefs.last {
            let points = try catalog.parameter("points", ofRule: Self.lefsChange)
            for a in baselines(c.lefs) {
                let fall = Double(a.value - b.value)
                guard fall > 0, fall >= points else { continue }
                findings.append(
                    "LEFS fell from \(a.value) (\(a.date)) to \(b.value) (\(b.date)): -\(RationaleFormat.number(fall)) points, at least its minimal clinically important difference of \(RationaleFormat.number(points)) points"
                )
                facts += path("lefs", a) + path("lefs", b)
                thresholds.append(Self.lefsChange)
                break
            }
        }
        return findings.isEmpty ? nil : (findings.joined(separator: "; "), facts, thresholds)
    }
}
