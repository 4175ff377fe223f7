import CDSJSON
import CDSModuleAPI

extension Plan {
    /// A human-readable account of the plan: each recommendation by phase with the rule,
    /// facts and evidence behind it, then what was superseded and how each module fared.
    package func explanation(catalog: Catalog) -> String {
        var out: [String] = []
        let header = "Plan" + (caseId.map { " for case \($0)" } ?? "") + " as of \(asOf)"
        out.append(header)
        out.append("Catalog \(catalog.version), engine \(Engine.version), module API \(ModuleAPIVersion.current)")

        var currentPhase: Phase?
        for r in resolution.recommendations {
            let entry = catalog.recommendation(r.id)
            let phase = entry?.phase ?? ""
            if phase != currentPhase {
                currentPhase = phase
                out.append("")
                out.append("== \(catalog.phaseTitle(phase)) ==")
            }
            out.append("")
            out.append("\(r.action.rawValue.uppercased()) \(entry?.title ?? r.id.rawValue) [\(r.id)] (priority \(r.priority))")
            if let entry {
                out.append("  \(entry.text)")
                if let dosage = entry.dosage { out.append("  Dosage: \(dosage.summary)") }
                for c in entry.components { out.append("  - \(c)") }
                if let strength = catalog.strengths.first(where: { $0.code == entry.strength }) {
                    out.append("  Strength: \(strength.display)")
                }
            }
            for s in r.sources {
                out.append("  Why (\(s.module), \(s.proposal.action)): \(s.proposal.rationale.rule)")
                for id in s.proposal.rationale.policy { out.append("    \(Self.describePolicy(id, catalog: catalog))") }
                for fact in facts(s.proposal.rationale.facts) {
                    out.append("    fact \(fact.path) = \(fact.value?.serialized() ?? "(not recorded)")")
                }
            }
            for id in evidenceIDs(of: r, catalog: catalog) {
                guard let e = catalog.evidence(id) else { continue }
                out.append("  Evidence \(id): \(e.description)")
                for f in e.findings { out.append("    - \(f.statement)") }
            }
        }
        if resolution.recommendations.isEmpty {
            out.append("")
            out.append("No recommendations.")
        }

        if !resolution.superseded.isEmpty {
            out.append("")
            out.append("== Superseded proposals ==")
            for s in resolution.superseded {
                out.append(
                    "- \(s.loser.module) proposed \(s.loser.proposal.action) \(s.loser.proposal.recommendation); "
                        + "\(s.winner.module)'s \(s.winner.proposal.action) \(s.winnerRecommendation) prevailed: \(s.reason)")
                out.append("  its rule: \(s.loser.proposal.rationale.rule)")
                for id in s.loser.proposal.rationale.policy { out.append("  \(Self.describePolicy(id, catalog: catalog))") }
                for id in s.loser.proposal.additionalEvidence {
                    if let e = catalog.evidence(id) { out.append("  its evidence \(id): \(e.description)") }
                }
            }
        }

        let rules = citedRuleIndices(catalog: catalog).map { catalog.rules[$0] }
        if !rules.isEmpty {
            out.append("")
            out.append("== Decision rules applied (policy, not evidence) ==")
            for rule in rules {
                out.append(
                    "- \(rule.id) [\(rule.kind == "local-policy" ? "local policy, set by the clinical owner" : "published threshold")]: \(rule.statement)"
                )
                for s in rule.sources { out.append("  source \(s.source)" + (s.quote.map { ": \"\($0)\"" } ?? "")) }
            }
        }

        out.append("")
        out.append("== Modules ==")
        for m in modules {
            var line = "- \(m.descriptor.id) \(m.descriptor.version) (priority \(m.priority)): \(m.status.rawValue)"
            if m.status == .contributed { line += ", \(m.proposalCount) proposal\(m.proposalCount == 1 ? "" : "s")" }
            if let error = m.error { line += ": \(error)" }
            out.append(line)
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// "Policy symptoms.presentation-fit (local policy): How many ..." for one applied rule.
    private static func describePolicy(_ id: String, catalog: Catalog) -> String {
        guard let rule = catalog.ruleIndex(id).map({ catalog.rules[$0] }) else { return "Policy \(id) (not in the Catalog)" }
        return "Policy \(id) (\(rule.kind == "local-policy" ? "local policy" : "published threshold")): \(rule.title)"
    }
}
