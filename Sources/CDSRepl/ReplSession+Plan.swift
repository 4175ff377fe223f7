import CDSEngine
import CDSJSON
import CDSModuleAPI
import IliopsoasCondition

extension ReplSession {
    /// Evaluates `document` (which must be a valid case).
    func plan(of document: JSONObject) throws(Failure) -> Plan {
        let facts: CaseFacts
        do {
            facts = try engine.caseReader.read(.object(document))
        } catch {
            let first = error.issues.first.map(\.description) ?? "invalid case"
            throw Failure(
                "the case is not valid yet: \(first)"
                    + (error.issues.count > 1 ? " (and \(error.issues.count - 1) more; type 'validate')" : ""))
        }
        return engine.evaluate(facts)
    }

    func currentPlan() throws(Failure) -> Plan {
        if let lastPlan { return lastPlan }
        let p = try plan(of: document)
        lastPlan = p
        return p
    }

    func evaluate() throws(Failure) -> String {
        lastPlan = nil
        let plan = try currentPlan()
        let catalog = engine.catalog
        var rows: [[String]] = [["PHASE", "RECOMMENDATION", "TITLE", "ACTION", "PRIORITY", "MODULES"].map(style.bold)]
        for r in plan.resolution.recommendations {
            let entry = catalog.recommendation(r.id)
            var seen: Set<String> = []
            let modules = r.sources.map(\.module).filter { seen.insert($0).inserted }
            rows.append([
                entry?.phase.rawValue ?? "", r.id.rawValue, entry?.title ?? "", style.action(r.action.rawValue), String(r.priority),
                modules.joined(separator: ","),
            ])
        }
        var text = Style.table(Self.fitted(rows, width: terminalWidth()))
        let failed = plan.modules.filter { $0.status == .failed || $0.status == .refused }
        for m in failed { text += "\n" + style.error("module \(m.descriptor.id) \(m.status.rawValue): \(m.error ?? "")") }
        if !plan.resolution.superseded.isEmpty {
            text +=
                "\n\(plan.resolution.superseded.count) superseded proposal\(plan.resolution.superseded.count == 1 ? "" : "s"); 'explain RECOMMENDATION' shows why"
        }
        return text + "\nas of \(plan.asOf)"
    }

    /// The plan table narrowed to `width` columns when it is wider: PHASE and MODULES
    /// left out (`explain` shows the modules), the title last and cut short with "…" to
    /// the room left, or left out when under 8 columns remain.
    static func fitted(_ rows: [[String]], width: Int?) -> [[String]] {
        guard let width, let widest = widest(rows), widest > width else { return rows }
        // PHASE, RECOMMENDATION, TITLE, ACTION, PRIORITY, MODULES -> RECOMMENDATION, ACTION, PRIORITY, TITLE
        let narrowed = rows.map { row in row.count == 6 ? [row[1], row[3], row[4], row[2]] : row }
        let without = narrowed.map { $0.count == 4 ? Array($0.prefix(3)) : $0 }
        guard let used = Self.widest(without) else { return narrowed }
        let room = width - used - 2
        guard room >= 8 else { return without }
        return narrowed.map { row in
            guard row.count == 4, Style.width(row[3]) > room else { return row }
            return Array(row.prefix(3)) + [String(row[3].prefix(room - 1)) + "…"]
        }
    }

    private static func widest(_ rows: [[String]]) -> Int? {
        Style.table(rows).split(separator: "\n").map { Style.width(String($0)) }.max()
    }

    func explain(_ args: [String]) throws(Failure) -> String {
        guard args.count == 1 else { throw Failure(Self.usage("explain")) }
        if args[0] == "all" {
            let plan = try currentPlan()
            var parts: [String] = []
            for r in plan.resolution.recommendations { parts.append(try explain([r.id.rawValue])) }
            return parts.isEmpty ? "the plan has no recommendations" : parts.joined(separator: "\n\n")
        }
        let catalog = engine.catalog
        guard let entry = catalog.recommendation(RecommendationID(rawValue: args[0])) else {
            throw Failure("no Catalog recommendation '\(args[0])' (tab completes ids; 'catalog' lists them)")
        }
        let plan = try currentPlan()
        var out = [style.bold("\(entry.id) — \(entry.title)"), "  phase: \(catalog.phaseTitle(entry.phase))", "  \(entry.text)"]
        if let dosage = entry.dosage { out.append("  dosage: \(dosage.summary)") }
        if let item = plan.resolution.recommendations.first(where: { $0.id == entry.id }) {
            out.append("  plan: \(style.action(item.action.rawValue)) (priority \(item.priority)), decided by \(item.decidedBy.module)")
            for s in item.sources {
                out.append("  why (\(s.module), module priority \(s.modulePriority)): \(s.proposal.rationale.rule)")
                for fact in plan.facts(s.proposal.rationale.facts) {
                    out.append("    fact \(fact.path) = \(fact.value?.serialized() ?? "(not recorded)")")
                }
            }
            for id in plan.evidenceIDs(of: item, catalog: catalog) {
                if let e = catalog.evidence(id) { out.append("  evidence \(id): \(e.description)") }
            }
        } else {
            out.append("  plan: not in the current plan")
        }
        let superseded = plan.resolution.superseded.filter {
            $0.loser.proposal.recommendation == entry.id || $0.winnerRecommendation == entry.id
        }
        for s in superseded {
            out.append(
                "  resolver: \(s.loser.module)'s \(s.loser.proposal.action) \(s.loser.proposal.recommendation) lost to \(s.winner.module)'s \(s.winner.proposal.action) \(s.winnerRecommendation): \(s.reason)"
            )
        }
        return out.joined(separator: "\n")
    }

    func whatIf(_ args: [String], _ raw: String) throws(Failure) -> String {
        guard args.count >= 2 else { throw Failure(Self.usage("whatif")) }
        let p = try pointer(args[0])
        let value = Self.value(Self.rest(of: raw, after: 1))
        let before = try currentPlan()
        let changed = try applyValidated(try Self.setting(value, at: p, in: document), changed: p)
        let after = try plan(of: changed)
        let old = Dictionary(uniqueKeysWithValues: before.resolution.recommendations.map { ($0.id, $0.action) })
        let new = Dictionary(uniqueKeysWithValues: after.resolution.recommendations.map { ($0.id, $0.action) })
        var lines: [String] = []
        for r in after.resolution.recommendations {
            switch old[r.id] {
            case nil: lines.append("+ \(r.id) \(style.action(r.action.rawValue))")
            case let a? where a != r.action: lines.append("~ \(r.id) \(style.action(a.rawValue)) -> \(style.action(r.action.rawValue))")
            default: break
            }
        }
        for r in before.resolution.recommendations where new[r.id] == nil {
            lines.append("- \(r.id) \(style.action(r.action.rawValue))")
        }
        let header = "what if \(args[0]) = \(value.serialized()) (the case is unchanged):"
        return lines.isEmpty ? header + "\n  no change in the plan" : header + "\n" + lines.map { "  " + $0 }.joined(separator: "\n")
    }

    /// The clinically important changes between consecutive readings, by the Catalog's
    /// published thresholds (`progression.nprs-important-change`: points or percent of the
    /// earlier reading; `progression.lefs-important-change`: points), each marked with `!`.
    private func importantChanges(_ key: String, _ readings: [ClinicalCase.Reading]) -> [String] {
        let view = engine.catalog.view
        guard let rule = view.rules["progression.\(key)-important-change"], let points = rule.parameters["points"] else { return [] }
        let percent = rule.parameters["percent"]
        let threshold =
            percent.map { "\(RationaleFormat.number(points)) points or \(RationaleFormat.number($0)) %" }
            ?? "\(RationaleFormat.number(points)) points"
        var lines: [String] = []
        for (a, b) in zip(readings, readings.dropFirst()) {
            let change = Double(b.value - a.value)
            let relative = a.value == 0 ? nil : abs(change) / Double(a.value) * 100
            if abs(change) >= points || (percent.map { p in relative.map { $0 >= p } ?? false } ?? false) {
                lines.append(
                    "  ! \(a.date) -> \(b.date): \(RationaleFormat.change(b.value - a.value)), a clinically important change (at least \(threshold); rule \(rule.id))"
                )
            }
        }
        return lines.isEmpty ? ["  no clinically important change between readings (at least \(threshold); rule \(rule.id))"] : lines
    }

    func progress() throws(Failure) -> String {
        let plan = try currentPlan()
        let c = try clinicalCase()
        var out: [String] = []
        for (name, key, readings) in [("NPRS", "nprs", c.nprs), ("LEFS", "lefs", c.lefs)] {
            guard let first = readings.first, let last = readings.last else {
                out.append("\(name): no readings")
                continue
            }
            out.append(contentsOf: chart(name, readings, maximum: scaleMaximum(key), asOf: plan.asOf))
            if readings.count > 1 {
                out.append("  change \(RationaleFormat.change(last.value - first.value)) over \(first.date.days(to: last.date)) days")
                out.append(contentsOf: importantChanges(key, readings))
            }
        }
        out.append(contentsOf: exerciseDecision(plan, c))
        out.append(contentsOf: escalationDecision(plan, c))
        return out.joined(separator: "\n")
    }

    /// The top of a reading's scale, from the compiled case schema (`maximum` of the value
    /// of a `/measurements/<key>` item).
    private func scaleMaximum(_ key: String) -> Int {
        let value = engine.catalog.caseSchema.element(at: JSONPointer(tokens: ["measurements", key]))?.resolved.items?.resolved.property(
            "value")
        return value?.maximum?.integerValue.map(Int.init) ?? 100
    }

    /// One bar per reading, dated, on the scale's full width: `2026-01-05 ███████▎    7/10`.
    /// A reading dated after the as-of date is flagged (it is in the future of the plan).
    func chart(_ name: String, _ readings: [ClinicalCase.Reading], maximum: Int, asOf: CalendarDate) -> [String] {
        let width = 30
        let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var lines = ["\(name) (0-\(maximum)):"]
        for r in readings {
            let scaled = maximum > 0 ? Double(min(max(r.value, 0), maximum)) / Double(maximum) * Double(width) : 0
            let full = Int(scaled)
            let part = Int((scaled - Double(full)) * 8)
            var bar = String(repeating: "█", count: full) + eighths[part]
            bar += String(repeating: " ", count: max(0, width - full - (part > 0 ? 1 : 0)))
            var line = "  \(r.date)  \(bar) \(r.value)/\(maximum)"
            if r.date > asOf { line += "  " + style.error("! dated after the as-of date \(asOf)") }
            lines.append(line)
        }
        return lines
    }

    func clinicalCase() throws(Failure) -> ClinicalCase {
        do {
            return try engine.caseReader.read(.object(document)).clinicalCase()
        } catch is CaseValidationError {
            throw Failure("the case is not valid yet (type 'validate')")
        } catch {
            throw Failure("\(error)")
        }
    }

    /// The tier the plan puts into practice, compared with the current one.
    private func exerciseDecision(_ plan: Plan, _ c: ClinicalCase) -> [String] {
        let catalog = engine.catalog
        let steps = catalog.progressions["strengthening"] ?? []
        let tiers = ["low", "moderate", "high", "advanced"]
        let current = c.exercise?.currentTier ?? "none"
        let chosen = plan.resolution.recommendations.filter { r in
            r.action.isAffirmative && catalog.recommendation(r.id).map { steps.contains($0.phase) } == true
        }
        guard let step = chosen.compactMap({ catalog.recommendation($0.id).flatMap { steps.firstIndex(of: $0.phase) } }).min() else {
            return ["exercise: the plan names no activation tier"]
        }
        let tolerated = c.exercise?.tolerated.map { $0 ? "tolerated" : "not tolerated" } ?? "tolerance not recorded"
        let target = step < tiers.count ? tiers[step] : catalog.phaseTitle(steps[step])
        let decision: String
        if let now = tiers.firstIndex(of: current) {
            decision = step > now ? "step up" : step < now ? "step back" : "stay"
        } else {
            decision = "start"
        }
        return ["exercise: current tier \(current) (\(tolerated)); plan: \(decision) -> \(target) (\(catalog.phaseTitle(steps[step])))"]
    }

    /// Where conservative care stands against the Catalog's escalation window.
    private func escalationDecision(_ plan: Plan, _ c: ClinicalCase) -> [String] {
        let catalog = engine.catalog
        var lines: [String] = []
        for entry in catalog.view.recommendations(in: "escalation") {
            guard let item = plan.resolution.recommendations.first(where: { $0.id == entry.id }) else { continue }
            lines.append("escalation \(entry.id): \(style.action(item.action.rawValue)) — \(item.decidedBy.proposal.rationale.rule)")
        }
        if let minimum = try? catalog.view.parameter("conservativeCareMonthsMin", of: "escalation.corticosteroid-injection"),
            let maximum = try? catalog.view.parameter("conservativeCareMonthsMax", of: "escalation.corticosteroid-injection")
        {
            let window = "\(RationaleFormat.number(minimum))-\(RationaleFormat.number(maximum)) months"
            if let months = c.conservativeCare?.months {
                let position = months < minimum ? "before" : months <= maximum ? "within" : "beyond"
                lines.insert(
                    "escalation window \(window): conservative care \(RationaleFormat.number(months)) months, \(position) the window", at: 0
                )
            } else {
                lines.insert("escalation window \(window): conservative care not started", at: 0)
            }
        }
        return lines
    }

    func modules() -> String {
        let policy = engine.policy
        var rows = [["MODULE", "VERSION", "PRIORITY", "SUMMARY"].map(style.bold)]
        for m in engine.registry.modules {
            rows.append([
                m.descriptor.id, m.descriptor.version.description, String(policy.priority(ofModule: m.descriptor.id)), m.descriptor.summary,
            ])
        }
        for r in engine.registry.refused {
            rows.append([r.descriptor.id, r.descriptor.version.description, "-", "refused: \(r.reason)"])
        }
        return Style.table(rows)
    }

    func catalogList(_ args: [String]) throws(Failure) -> String {
        let catalog = engine.catalog
        var entries = catalog.recommendations
        if let phase = args.first {
            guard catalog.phases.contains(where: { $0.id.rawValue == phase }) else {
                throw Failure("no phase '\(phase)' (phases: \(catalog.phases.map(\.id.rawValue).joined(separator: ", ")))")
            }
            entries = entries.filter { $0.phase.rawValue == phase }
        }
        return Style.table(
            [["RECOMMENDATION", "PHASE", "TITLE"].map(style.bold)] + entries.map { [$0.id.rawValue, $0.phase.rawValue, $0.title] })
    }

    func evidence(_ args: [String]) throws(Failure) -> String {
        guard args.count == 1 else { throw Failure(Self.usage("evidence")) }
        let catalog = engine.catalog
        guard let entry = catalog.recommendation(RecommendationID(rawValue: args[0])) else {
            throw Failure("no Catalog recommendation '\(args[0])'")
        }
        var out = [
            style.bold("\(entry.id) — \(entry.title)"),
            "  strength: \(catalog.strengths.first { $0.code == entry.strength }?.display ?? entry.strength)",
        ]
        for s in entry.sources {
            out.append("  source \(s.source)" + (s.quote.map { ": \"\($0)\"" } ?? ""))
        }
        if entry.evidence.isEmpty { out.append("  evidence: the source cites no reference for this statement") }
        for id in entry.evidence {
            guard let e = catalog.evidence(id) else { continue }
            out.append("  evidence \(id) (\(e.design)): \(e.description)")
            for f in e.findings { out.append("    - \(f.statement)") }
        }
        return out.joined(separator: "\n")
    }
}
