import CDSModuleAPI

/// A proposal together with the module that made it.
///
/// A class, immutable: the resolver and the plan writer pass proposals around many times
/// per evaluation, and a reference is one retain where the proposal's parts are seven.
/// Equality and hashing are by value (module, priority, proposal).
package final class ModuleProposal: Sendable, Hashable, CustomStringConvertible {
    /// The proposing module's id.
    package let module: String
    /// That module's priority under the policy.
    package let modulePriority: Int
    /// What it proposed.
    package let proposal: Proposal
    /// The action's safety rank (``ProposalAction/safetyRank``), -1 for an unknown action.
    package let safety: Int
    /// The recommendation's position in the Catalog the engine checked it against, if known.
    package let catalogIndex: Int?
    /// The recommendation id's place among the Catalog's ids sorted (``Catalog/PlanEntry/idOrder``),
    /// -1 if not known: two known places compare as the ids do, without comparing text.
    package let idOrder: Int

    package init(module: String, modulePriority: Int, proposal: Proposal, catalogIndex: Int? = nil, idOrder: Int = -1) {
        // The rank read before the proposal is stored: stored first, it would be copied.
        self.safety = proposal.action.safetyRank ?? -1
        self.module = module
        self.modulePriority = modulePriority
        self.proposal = proposal
        self.catalogIndex = catalogIndex
        self.idOrder = catalogIndex == nil ? -1 : idOrder
    }

    package static func == (a: ModuleProposal, b: ModuleProposal) -> Bool {
        a === b || (a.module == b.module && a.modulePriority == b.modulePriority && a.proposal == b.proposal)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(module)
        hasher.combine(modulePriority)
        hasher.combine(proposal)
    }

    package var description: String { "\(module): \(proposal.action) \(proposal.recommendation)" }

    /// Whether this proposal's recommendation id sorts before `other`'s.
    @inline(__always)
    func recommendationPrecedes(_ other: ModuleProposal) -> Bool {
        idOrder >= 0 && other.idOrder >= 0 ? idOrder < other.idOrder : proposal.recommendation < other.proposal.recommendation
    }

    /// Whether this proposal is about the same recommendation as `other`.
    @inline(__always)
    func sameRecommendation(as other: ModuleProposal) -> Bool {
        idOrder >= 0 && other.idOrder >= 0 ? idOrder == other.idOrder : proposal.recommendation == other.proposal.recommendation
    }
}

/// One recommendation of the merged plan.
///
/// A class, immutable, like ``ModuleProposal``: the resolver and the plan writer pass it
/// around several times per evaluation. Equality and hashing are by value.
package final class ResolvedRecommendation: Sendable, Hashable {
    package let id: RecommendationID
    package let action: ProposalAction
    /// The highest priority among the agreeing proposals.
    package let priority: Int
    /// Every proposal that asked for this action, in module order: duplicates merged, none lost.
    package let sources: [ModuleProposal]
    /// The proposal that decided the action.
    package let decidedBy: ModuleProposal
    /// The recommendation's position in the Catalog the proposals were checked against, if known.
    package var catalogIndex: Int? { decidedBy.catalogIndex }

    package init(id: RecommendationID, action: ProposalAction, priority: Int, sources: [ModuleProposal], decidedBy: ModuleProposal) {
        self.id = id
        self.action = action
        self.priority = priority
        self.sources = sources
        self.decidedBy = decidedBy
    }

    package static func == (a: ResolvedRecommendation, b: ResolvedRecommendation) -> Bool {
        a === b
            || (a.id == b.id && a.action == b.action && a.priority == b.priority && a.sources == b.sources && a.decidedBy == b.decidedBy)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(action)
        hasher.combine(priority)
        hasher.combine(sources)
        hasher.combine(decidedBy)
    }
}

/// A proposal that lost, with the proposal that beat it and why.
package struct SupersededProposal: Sendable, Hashable {
    package var loser: ModuleProposal
    package var winner: ModuleProposal
    /// The recommendation the winner is about (differs from the loser's in a conflict group).
    package var winnerRecommendation: RecommendationID
    package var reason: String
}

/// The resolver's result.
package struct Resolution: Sendable, Hashable {
    /// In plan order: algorithm phase, then priority (highest first), then id.
    package var recommendations: [ResolvedRecommendation]
    /// In recommendation, module and action order.
    package var superseded: [SupersededProposal]

    /// A resolution.
    package init(recommendations: [ResolvedRecommendation], superseded: [SupersededProposal]) {
        self.recommendations = recommendations
        self.superseded = superseded
    }
}

/// Merges proposals into one plan under a ``ResolverPolicy``.
///
/// Properties (each tested): the result depends only on the set of proposals, not their
/// order; repeating a proposal changes nothing (idempotence); every input proposal appears
/// exactly once, either as a source of a plan recommendation or in `superseded`.
package struct PriorityResolver: Sendable {
    package var policy: ResolverPolicy

    package init(policy: ResolverPolicy) { self.policy = policy }

    /// Resolves `proposals`; `phaseRank` gives each resolved recommendation's position in
    /// plan order.
    package func resolve(_ proposals: [ModuleProposal], phaseRank: (ResolvedRecommendation) -> Int) -> Resolution {
        // One sort groups the proposals by recommendation, puts each group in canonical
        // order and makes exact duplicates adjacent (canonical order ties only for equal
        // proposals), so duplicates drop out without hashing every proposal.
        let sorted = proposals.sorted { a, b in
            !a.sameRecommendation(as: b) ? a.recommendationPrecedes(b) : Self.canonicalOrder(a, b)
        }
        // The groups come in id order, so the resolved recommendations are kept in an array in
        // that order (`ids` beside it), found by binary search: no hashing of ids.
        var ids: [RecommendationID] = []
        var resolved: [ResolvedRecommendation?] = []
        ids.reserveCapacity(sorted.count)
        resolved.reserveCapacity(sorted.count)
        var superseded: [SupersededProposal] = []
        var start = 0
        while start < sorted.count {
            let first = sorted[start]
            let id = first.proposal.recommendation
            var end = start + 1
            while end < sorted.count, sorted[end].sameRecommendation(as: first) { end += 1 }
            let resolvedHere: ResolvedRecommendation
            if end == start + 1 {
                // One proposal (most recommendations): it decides, and agrees with itself.
                resolvedHere = ResolvedRecommendation(
                    id: id, action: first.proposal.action, priority: first.proposal.priority, sources: [first], decidedBy: first)
            } else {
                var group: [ModuleProposal] = []
                for p in sorted[start..<end] where group.last != p { group.append(p) }
                let ranked = group.count == 1 ? group : group.sorted(by: wins)
                let winner = ranked[0]
                for loser in ranked where loser.proposal.action != winner.proposal.action {
                    superseded.append(
                        SupersededProposal(loser: loser, winner: winner, winnerRecommendation: id, reason: reason(loser, lostTo: winner)))
                }
                // `group` is in canonical order already, so the agreeing sources are too.
                let agreeing = group.filter { $0.proposal.action == winner.proposal.action }
                resolvedHere = ResolvedRecommendation(
                    id: id, action: winner.proposal.action, priority: agreeing.map(\.proposal.priority).max() ?? winner.proposal.priority,
                    sources: agreeing, decidedBy: winner)
            }
            start = end
            ids.append(id)
            resolved.append(resolvedHere)
        }
        /// The position of `id` in `ids`, if it was proposed.
        func position(of id: RecommendationID) -> Int? {
            var low = 0
            var high = ids.count
            while low < high {
                let middle = (low + high) / 2
                if ids[middle] < id { low = middle + 1 } else { high = middle }
            }
            return low < ids.count && ids[low] == id ? low : nil
        }

        for group in policy.conflictGroups {
            let affirmative = group.members.compactMap { position(of: $0).flatMap { resolved[$0] } }.filter { $0.action.isAffirmative }
            guard affirmative.count > 1 else { continue }
            let ranked = affirmative.sorted { wins($0.decidedBy, over: $1.decidedBy) }
            let kept = ranked[0]
            for dropped in ranked.dropFirst() {
                if let i = position(of: dropped.id) { resolved[i] = nil }
                for source in dropped.sources {
                    superseded.append(
                        SupersededProposal(
                            loser: source, winner: kept.decidedBy, winnerRecommendation: kept.id,
                            reason: "conflict group '\(group.id)' allows one affirmative recommendation; '\(kept.id)' was kept: "
                                + reason(dropped.decidedBy, lostTo: kept.decidedBy)))
                }
            }
        }

        // Each recommendation's phase rank is looked up once, not once per comparison.
        let items = resolved.compactMap { $0 }
        let ranks = items.map(phaseRank)
        let ordered = items.indices.sorted { i, j in
            if ranks[i] != ranks[j] { return ranks[i] < ranks[j] }
            if items[i].priority != items[j].priority { return items[i].priority > items[j].priority }
            return items[i].decidedBy.recommendationPrecedes(items[j].decidedBy)
        }.map { items[$0] }
        superseded.sort { a, b in
            if !a.loser.sameRecommendation(as: b.loser) { return a.loser.recommendationPrecedes(b.loser) }
            return Self.canonicalOrder(a.loser, b.loser)
        }
        return Resolution(recommendations: ordered, superseded: superseded)
    }

    /// Whether `a` beats `b` under the policy; a strict total order on distinct proposals.
    package func wins(_ a: ModuleProposal, over b: ModuleProposal) -> Bool {
        for criterion in policy.order {
            let x = key(a, criterion)
            let y = key(b, criterion)
            if x != y { return x > y }
        }
        return Self.canonicalOrder(a, b)
    }

    private func key(_ p: ModuleProposal, _ criterion: ResolverPolicy.Criterion) -> Int {
        switch criterion {
        case .modulePriority: p.modulePriority
        case .actionSafety: p.safety
        default: p.proposal.priority
        }
    }

    /// Why `loser` lost to `winner`: the first criterion of the policy that told them apart.
    private func reason(_ loser: ModuleProposal, lostTo winner: ModuleProposal) -> String {
        for criterion in policy.order {
            let (l, w) = (key(loser, criterion), key(winner, criterion))
            guard l != w else { continue }
            switch criterion {
            case .modulePriority:
                return "module priority \(l) ('\(loser.module)') is below \(w) ('\(winner.module)')"
            case .actionSafety:
                return "'\(winner.proposal.action)' is safer than '\(loser.proposal.action)' (avoid > defer > consider > recommend)"
            default:
                return "proposal priority \(l) is below \(w)"
            }
        }
        return "equal under every policy criterion; ties go to the module id that sorts first ('\(winner.module)')"
    }

    /// A deterministic order independent of input order: module, action, priority, rule, facts.
    static func canonicalOrder(_ a: ModuleProposal, _ b: ModuleProposal) -> Bool {
        if a === b { return false }
        if a.module != b.module { return a.module < b.module }
        if !a.sameRecommendation(as: b) { return a.recommendationPrecedes(b) }
        if a.safety != b.safety { return a.safety > b.safety }
        if a.proposal.action != b.proposal.action { return a.proposal.action.rawValue < b.proposal.action.rawValue }
        if a.proposal.priority != b.proposal.priority { return a.proposal.priority > b.proposal.priority }
        if a.proposal.rationale.rule != b.proposal.rationale.rule { return a.proposal.rationale.rule < b.proposal.rationale.rule }
        if a.proposal.rationale.facts != b.proposal.rationale.facts {
            return a.proposal.rationale.facts.lexicographicallyPrecedes(b.proposal.rationale.facts)
        }
        if a.proposal.rationale.policy != b.proposal.rationale.policy {
            return a.proposal.rationale.policy.lexicographicallyPrecedes(b.proposal.rationale.policy)
        }
        if a.proposal.additionalEvidence != b.proposal.additionalEvidence {
            return a.proposal.additionalEvidence.lexicographicallyPrecedes(b.proposal.additionalEvidence)
        }
        return a.modulePriority > b.modulePriority
    }
}
