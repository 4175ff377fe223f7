import CDSJSON
import CDSModuleAPI

extension Plan {
    /// The version of the plan document format.
    package static let formatVersion: Int64 = 1

    /// The plan as a JSON document (see docs/plan-format.md). Deterministic: the same case
    /// and Catalog give the same document, byte for byte once serialized.
    package func json(catalog: Catalog) -> JSONValue {
        var root = JSONObject()
        root["planFormat"] = .integer(Self.formatVersion)
        if let caseId { root["caseId"] = .string(caseId) }
        root["asOf"] = .string(asOf.description)
        if let input { root["input"] = input }
        root["recommendations"] = .array(resolution.recommendations.map { item(for: $0, catalog: catalog) })
        root["superseded"] = .array(resolution.superseded.map(Self.superseded))
        root["modules"] = .array(modules.map(Self.module))
        root["evidence"] = .array(citedEvidence(catalog: catalog).map(catalog.json(of:)))
        root["provenance"] = [
            "engine": ["name": .string(Engine.name), "version": .string(Engine.version.description)],
            "moduleApi": .string(ModuleAPIVersion.current.description),
            "catalog": ["version": .string(catalog.version), "sha256": .string(catalog.digest)],
            "resolverOrder": .array(catalog.policy.order.map { .string($0.rawValue) }),
        ]
        return .object(root)
    }

    /// The evidence ids a plan recommendation rests on: the Catalog entry's, then any the
    /// agreeing modules added.
    package func evidenceIDs(of item: ResolvedRecommendation, catalog: Catalog) -> [EvidenceID] {
        var ids = catalog.recommendation(item.id)?.evidence ?? []
        for extra in item.sources.flatMap(\.proposal.additionalEvidence).sorted() where !ids.contains(extra) {
            ids.append(extra)
        }
        return ids
    }

    /// Every evidence record the plan's recommendations cite, in Catalog order.
    package func citedEvidence(catalog: Catalog) -> [Catalog.Evidence] {
        let cited = Set(resolution.recommendations.flatMap { evidenceIDs(of: $0, catalog: catalog) })
        return catalog.evidence.filter { cited.contains($0.id) }
    }

    /// The case facts a proposal cites, with their values in this case.
    package func facts(_ paths: [FactPath]) -> [(path: FactPath, value: JSONValue?)] {
        paths.map { path in (path, JSONPointer(path.rawValue).flatMap { caseDocument.value(at: $0) }) }
    }

    private func item(for r: ResolvedRecommendation, catalog: Catalog) -> JSONValue {
        var o = JSONObject()
        o["id"] = .string(r.id.rawValue)
        o["action"] = .string(r.action.rawValue)
        o["priority"] = .integer(Int64(r.priority))
        if let entry = catalog.recommendation(r.id) {
            for (key, value) in catalog.json(of: entry) where key != "id" && key != "evidence" && key != "substances" {
                o[key] = value
            }
        }
        o["modules"] = .array(uniqueModules(r.sources).map(JSONValue.string))
        o["because"] = .array(r.sources.map { because($0) })
        o["evidence"] = .array(evidenceIDs(of: r, catalog: catalog).map { .string($0.rawValue) })
        return .object(o)
    }

    private func uniqueModules(_ sources: [ModuleProposal]) -> [String] {
        var seen: Set<String> = []
        return sources.map(\.module).filter { seen.insert($0).inserted }
    }

    private func because(_ p: ModuleProposal) -> JSONValue {
        [
            "module": .string(p.module),
            "action": .string(p.proposal.action.rawValue),
            "priority": .integer(Int64(p.proposal.priority)),
            "rule": .string(p.proposal.rationale.rule),
            "facts": factsJSON(p.proposal.rationale.facts),
        ]
    }

    private func factsJSON(_ paths: [FactPath]) -> JSONValue {
        .array(
            facts(paths).map { fact in
                if let value = fact.value {
                    return ["path": .string(fact.path.rawValue), "value": value]
                }
                return ["path": .string(fact.path.rawValue), "absent": true]
            })
    }

    private static func superseded(_ s: SupersededProposal) -> JSONValue {
        [
            "recommendation": .string(s.loser.proposal.recommendation.rawValue),
            "module": .string(s.loser.module),
            "action": .string(s.loser.proposal.action.rawValue),
            "priority": .integer(Int64(s.loser.proposal.priority)),
            "rule": .string(s.loser.proposal.rationale.rule),
            "supersededBy": [
                "recommendation": .string(s.winnerRecommendation.rawValue),
                "module": .string(s.winner.module),
                "action": .string(s.winner.proposal.action.rawValue),
            ],
            "reason": .string(s.reason),
        ]
    }

    private static func module(_ m: ModuleReport) -> JSONValue {
        var o = JSONObject()
        o["id"] = .string(m.descriptor.id)
        o["version"] = .string(m.descriptor.version.description)
        o["apiVersion"] = .string(m.descriptor.apiVersion.description)
        o["priority"] = .integer(Int64(m.priority))
        o["status"] = .string(m.status.rawValue)
        o["proposals"] = .integer(Int64(m.proposalCount))
        if let error = m.error { o["error"] = .string(error) }
        return .object(o)
    }
}
