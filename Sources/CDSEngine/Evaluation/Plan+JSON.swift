import CDSJSON
import CDSModuleAPI

extension JSONValue {
    fileprivate var isContainer: Bool {
        switch self {
        case .array, .object: true
        default: false
        }
    }
}

extension Plan {
    /// The version of the plan document format.
    package static let formatVersion: Int64 = 1

    /// What writing the plan needs from the Catalog, found once: each recommendation's
    /// Catalog position and evidence, the evidence records and rules cited, and about how
    /// many bytes the document takes. Made by ``layout(catalog:explanation:)``.
    package struct Layout: Sendable {
        let positions: [Int?]
        let evidence: [[EvidenceID]]
        let cited: [Int]
        let rules: [Int]
        /// About how many bytes the plan document takes (a little more, rarely less).
        package let size: Int
    }

    /// The plan's ``Layout`` over `catalog`.
    package func layout(catalog: Catalog, explanation: String? = nil) -> Layout {
        // Each recommendation's Catalog position is looked up once; everything else about
        // the entry is read by position, without copying the entry.
        let positions = resolution.recommendations.map { Self.position(of: $0, in: catalog) }
        let evidence = resolution.recommendations.indices.map {
            evidenceIDs(of: resolution.recommendations[$0], at: positions[$0], catalog: catalog)
        }
        let cited = citedEvidenceIndices(positions: positions, catalog: catalog)
        let rules = citedRuleIndices(catalog: catalog)
        let size =
            estimatedSize(positions: positions, cited: cited, catalog: catalog)
            + rules.reduce(0) { $0 + catalog.ruleFragments[$1].bytes.count } + (explanation?.utf8.count ?? 0)
        return Layout(positions: positions, evidence: evidence, cited: cited, rules: rules, size: size)
    }

    /// Writes the plan as a JSON document (see docs/plan-format.md). Deterministic: the same
    /// case and Catalog give the same bytes. Catalog text is spliced from fragments
    /// serialised once when the Catalog loaded; only what depends on the case is encoded
    /// here. `explanation`, when given, is added as the last member. `layout` is this
    /// plan's ``layout(catalog:explanation:)`` over the same Catalog, if already made.
    package func write(to w: inout JSONWriter, catalog: Catalog, explanation: String? = nil, layout: Layout? = nil) {
        let layout = layout ?? self.layout(catalog: catalog, explanation: explanation)
        let (positions, evidence, cited, rules) = (layout.positions, layout.evidence, layout.cited, layout.rules)
        w.reserveCapacity(additional: layout.size)
        var written = WrittenRationales(capacity: resolution.recommendations.reduce(0) { $0 + $1.sources.count })
        w.object { o in
            o.member("planFormat", integer: Self.formatVersion)
            if let caseId { o.member("caseId", string: caseId) }
            o.member("asOf", string: asOf.description)
            if let input { o.member("input", input) }
            o.key("recommendations")
            o.array(resolution.recommendations.indices) { w, i in
                writeItem(
                    resolution.recommendations[i], members: positions[i].map { catalog.planEntries[$0].members }, evidence: evidence[i],
                    written: &written, to: &w)
            }
            o.key("superseded")
            o.array(resolution.superseded) { w, s in Self.writeSuperseded(s, to: &w) }
            o.key("modules")
            // By index: each report's members are read in place, not the whole report
            // copied (a retain of each of its descriptor's parts) as iterating would.
            o.array(modules.indices) { w, i in writeModule(i, to: &w) }
            o.key("evidence")
            o.array(cited) { w, e in w.fragment(catalog.evidenceFragments[e]) }
            o.key("policies")
            o.array(rules) { w, r in w.fragment(catalog.ruleFragments[r]) }
            o.member("provenance", fragment: catalog.provenanceFragment)
            if let explanation { o.member("explanation", string: explanation) }
        }
    }

    /// The plan's `provenance` over `catalog`: the engine, the module API, the Catalog and
    /// its packs, the resolver's order. The same for every plan of one Catalog: serialised
    /// once, when the Catalog loads (``Catalog/provenanceFragment``).
    static func provenance(catalogVersion: String, digest: String, packs: [Catalog.Pack], order: [ResolverPolicy.Criterion]) -> JSONValue {
        var engine = JSONObject()
        engine["name"] = .string(Engine.name)
        engine["version"] = .string(Engine.version.description)
        var catalog = JSONObject()
        catalog["version"] = .string(catalogVersion)
        catalog["sha256"] = .string(digest)
        var provenance = JSONObject()
        provenance["engine"] = .object(engine)
        provenance["moduleApi"] = .string(ModuleAPIVersion.current.description)
        provenance["catalog"] = .object(catalog)
        provenance["packs"] = .array(
            packs.map { pack in
                var k = JSONObject()
                k["id"] = .string(pack.id)
                k["version"] = .string(pack.version)
                k["sha256"] = .string(pack.sha256)
                return .object(k)
            })
        provenance["resolverOrder"] = .array(order.map { .string($0.rawValue) })
        return .object(provenance)
    }

    /// About how many bytes the plan document takes (a little more, rarely less): the
    /// Catalog text it splices, exactly, plus generous room for what depends on the case,
    /// so that one buffer holds the document without reallocating.
    private func estimatedSize(positions: [Int?], cited: [Int], catalog: Catalog) -> Int {
        var size = 512 + 384 * resolution.superseded.count + 160 * modules.count
        for (r, position) in zip(resolution.recommendations, positions) {
            size +=
                160 + r.id.rawValue.utf8.count
                + (position.map { 24 * catalog.recommendations[$0].evidence.count + catalog.planEntries[$0].members.bytes.count } ?? 0)
            for source in r.sources {
                size += 96 + source.module.utf8.count + source.proposal.rationale.rule.utf8.count
                for fact in source.proposal.rationale.facts { size += 48 + fact.rawValue.utf8.count }
            }
        }
        return cited.reduce(size) { $0 + catalog.evidenceFragments[$1].bytes.count }
    }

    /// The plan document's text (one line).
    package func jsonText(catalog: Catalog, explanation: String? = nil) -> [UInt8] {
        var w = JSONWriter()
        write(to: &w, catalog: catalog, explanation: explanation)
        return w.bytes
    }

    /// The plan document as a value, read back from ``jsonText(catalog:explanation:)`` so that
    /// it is exactly what the wire carries.
    package func json(catalog: Catalog) -> JSONValue {
        let text = jsonText(catalog: catalog)
        do {
            // Deeper than any case can be (a cited fact's value sits a few levels down).
            return try JSONParser(limits: .init(maxDepth: 512, maxBytes: max(text.count, 1))).parse(text)
        } catch {
            // JSONWriter writes well-formed JSON by construction (and the tests read back
            // every plan they make); reaching this is a defect in the writer.
            preconditionFailure("a plan document did not parse back: \(error)")
        }
    }

    /// The evidence ids a plan recommendation rests on: the Catalog entry's, then any the
    /// agreeing modules added.
    package func evidenceIDs(of item: ResolvedRecommendation, catalog: Catalog) -> [EvidenceID] {
        evidenceIDs(of: item, at: Self.position(of: item, in: catalog), catalog: catalog)
    }

    /// A recommendation's position in `catalog`: the one the engine found, when it is this
    /// Catalog's entry for the id, else looked up.
    private static func position(of item: ResolvedRecommendation, in catalog: Catalog) -> Int? {
        if let known = item.catalogIndex, known < catalog.recommendations.count, catalog.recommendations[known].id == item.id {
            return known
        }
        return catalog.index(of: item.id)
    }

    private func evidenceIDs(of item: ResolvedRecommendation, at position: Int?, catalog: Catalog) -> [EvidenceID] {
        var ids = position.map { catalog.recommendations[$0].evidence } ?? []
        guard item.sources.contains(where: { !$0.proposal.additionalEvidence.isEmpty }) else { return ids }
        for extra in item.sources.flatMap(\.proposal.additionalEvidence).sorted() where !ids.contains(extra) {
            ids.append(extra)
        }
        return ids
    }

    /// Every evidence record the plan's recommendations cite, in Catalog order.
    package func citedEvidence(catalog: Catalog) -> [Catalog.Evidence] {
        let positions = resolution.recommendations.map { Self.position(of: $0, in: catalog) }
        return citedEvidenceIndices(positions: positions, includingSuperseded: false, catalog: catalog).map { catalog.evidence[$0] }
    }

    /// The positions in `catalog.evidence` of every evidence record the plan's
    /// recommendations cite (the entries' own, found by position, and what the agreeing
    /// proposals added) and, with `includingSuperseded`, what superseded proposals added, in
    /// Catalog order.
    private func citedEvidenceIndices(positions: [Int?], includingSuperseded: Bool = true, catalog: Catalog) -> [Int] {
        var cited = [Bool](repeating: false, count: catalog.evidence.count)
        func add(_ extra: [EvidenceID]) {
            for id in extra {
                if let i = catalog.index(of: id) { cited[i] = true }
            }
        }
        for (r, position) in zip(resolution.recommendations, positions) {
            if let position {
                for i in catalog.planEntries[position].evidence { cited[i] = true }
            }
            for source in r.sources where !source.proposal.additionalEvidence.isEmpty { add(source.proposal.additionalEvidence) }
        }
        if includingSuperseded {
            for s in resolution.superseded { add(s.loser.proposal.additionalEvidence) }
        }
        return cited.indices.filter { cited[$0] }
    }

    /// The positions in `catalog.rules` of every rule a proposal of the plan applied (kept
    /// or superseded), in Catalog order.
    package func citedRuleIndices(catalog: Catalog) -> [Int] {
        // The rules applied are few: a short list, searched linearly, beats hashing each id.
        var used: [String] = []
        func note(_ policy: [String]) {
            for id in policy where !used.contains(id) { used.append(id) }
        }
        for r in resolution.recommendations {
            for s in r.sources { note(s.proposal.rationale.policy) }
        }
        for s in resolution.superseded { note(s.loser.proposal.rationale.policy) }
        // Distinct ids have distinct positions: sorted, no set needed.
        return used.compactMap(catalog.ruleIndex).sorted()
    }

    /// The case facts a proposal cites, with their values in this case.
    package func facts(_ paths: [FactPath]) -> [(path: FactPath, value: JSONValue?)] {
        paths.map { path in (path, caseDocument.value(atPointer: path.rawValue).map(Self.canonical)) }
    }

    /// `value` with every object's members in one canonical order (keys sorted by their
    /// UTF-8 bytes, at every depth), so a fact echoed in the plan does not depend on the
    /// member order of the case document.
    package static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let elements) where elements.contains(where: \.isContainer):
            return .array(elements.map(canonical))
        case .object(let members):
            var sorted = JSONObject()
            for (k, v) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) { sorted[k] = canonical(v) }
            return .object(sorted)
        default:
            return value
        }
    }

    /// Writes ``canonical(_:)`` of `value` without building it: an object's members in key
    /// order, arrays in order (the same bytes, no intermediate copy of the case's facts).
    private static func writeCanonical(_ value: JSONValue, to w: inout JSONWriter) {
        switch value {
        case .object(let members) where !members.isEmpty:
            let keys = members.orderedKeys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            w.object { o in
                for key in keys {
                    o.key(text: key)
                    if let member = members[key] { writeCanonical(member, to: &o) }
                }
            }
        case .array(let elements) where elements.contains(where: \.isContainer):
            w.array(elements) { w, element in writeCanonical(element, to: &w) }
        default:
            w.value(value)
        }
    }

    /// Where in the plan's text each rationale was written, so that a rationale several
    /// proposals share (a module's one rule behind several recommendations) is encoded once
    /// and its bytes copied after that: the same rationale over the same case document is
    /// the same text. Few per plan: a short list, searched linearly (a shared rationale
    /// compares equal by its storage, quickly).
    private struct WrittenRationales {
        /// A rationale written, with its rule's length in UTF-8 and the count of its facts
        /// (compared first: most rationales differ there, more cheaply seen than by `==`).
        struct Entry {
            let rationale: Rationale
            let ruleLength: Int
            let facts: Int
            let bytes: Range<Int>
        }

        var entries: [Entry] = []

        /// Room for `count` rationales, so that noting them allocates once.
        init(capacity count: Int) {
            entries.reserveCapacity(count)
        }

        func bytes(of rationale: Rationale) -> Range<Int>? {
            let ruleLength = rationale.rule.utf8.count
            let facts = rationale.facts.count
            for i in entries.indices
            where entries[i].ruleLength == ruleLength && entries[i].facts == facts && entries[i].rationale == rationale {
                return entries[i].bytes
            }
            return nil
        }

        mutating func note(_ rationale: Rationale, at range: Range<Int>) {
            entries.append(Entry(rationale: rationale, ruleLength: rationale.rule.utf8.count, facts: rationale.facts.count, bytes: range))
        }
    }

    private func writeItem(
        _ r: ResolvedRecommendation, members: JSONMembersFragment?, evidence: [EvidenceID], written: inout WrittenRationales,
        to w: inout JSONWriter
    ) {
        w.object { o in
            o.member("id", string: r.id.rawValue)
            o.member("action", string: r.action.rawValue)
            o.member("priority", integer: Int64(r.priority))
            if let members { o.members(members) }
            o.key("modules")
            o.array { w in
                // Each module once, in source order (sources are few: a linear check).
                for (i, source) in r.sources.enumerated() where !r.sources[..<i].contains(where: { $0.module == source.module }) {
                    w.string(source.module)
                }
            }
            o.key("because")
            o.array(r.sources) { w, p in writeBecause(p, written: &written, to: &w) }
            o.key("evidence")
            o.array(evidence) { w, e in w.string(e.rawValue) }
        }
    }

    private func writeBecause(_ p: ModuleProposal, written: inout WrittenRationales, to w: inout JSONWriter) {
        w.object { o in
            o.member("module", string: p.module)
            o.member("action", string: p.proposal.action.rawValue)
            o.member("priority", integer: Int64(p.proposal.priority))
            if let earlier = written.bytes(of: p.proposal.rationale) {
                o.rewrite(earlier)
                return
            }
            let start = o.byteCount
            writeRationale(p.proposal.rationale, to: &o)
            written.note(p.proposal.rationale, at: start..<o.byteCount)
        }
    }

    /// The rationale's members of a `because` entry (after others: the text starts with a
    /// comma): its rule, the Catalog rules it applied, the facts it cited with their values
    /// in this case.
    private func writeRationale(_ rationale: Rationale, to o: inout JSONWriter) {
        o.member("rule", string: rationale.rule)
        Self.writePolicy(rationale.policy, to: &o)
        o.key("facts")
        o.array(rationale.facts) { w, path in
            w.object { f in
                f.member("path", string: path.rawValue)
                if let value = caseDocument.value(atPointer: path.rawValue) {
                    f.key("value")
                    Self.writeCanonical(value, to: &f)
                } else {
                    f.member("absent", .bool(true))
                }
            }
        }
    }

    /// `"policy": [rule ids]`, only when the proposal applied a Catalog rule.
    private static func writePolicy(_ policy: [String], to o: inout JSONWriter) {
        guard !policy.isEmpty else { return }
        o.key("policy")
        o.array(policy) { w, id in w.string(id) }
    }

    private static func writeSuperseded(_ s: SupersededProposal, to w: inout JSONWriter) {
        w.object { o in
            o.member("recommendation", string: s.loser.proposal.recommendation.rawValue)
            o.member("module", string: s.loser.module)
            o.member("action", string: s.loser.proposal.action.rawValue)
            o.member("priority", integer: Int64(s.loser.proposal.priority))
            o.member("rule", string: s.loser.proposal.rationale.rule)
            writePolicy(s.loser.proposal.rationale.policy, to: &o)
            if !s.loser.proposal.additionalEvidence.isEmpty {
                o.key("evidence")
                o.array(s.loser.proposal.additionalEvidence) { w, e in w.string(e.rawValue) }
            }
            o.key("supersededBy")
            o.object { b in
                b.member("recommendation", string: s.winnerRecommendation.rawValue)
                b.member("module", string: s.winner.module)
                b.member("action", string: s.winner.proposal.action.rawValue)
            }
            o.member("reason", string: s.reason)
        }
    }

    private func writeModule(_ i: Int, to w: inout JSONWriter) {
        w.object { o in
            o.members(modules[i].head)
            o.member("priority", integer: Int64(modules[i].priority))
            o.member("status", string: modules[i].status.rawValue)
            o.member("proposals", integer: Int64(modules[i].proposalCount))
            if let error = modules[i].error { o.member("error", string: error) }
        }
    }
}
