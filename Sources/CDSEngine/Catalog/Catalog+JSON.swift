import CDSJSON
import CDSModuleAPI

extension Catalog {
    /// A recommendation's Catalog content as JSON: id, phase, title, text, dosage,
    /// components, strength, sources and evidence ids. Plans and `catalog/get` share it.
    /// Computed once per recommendation when the Catalog loads (Catalog text does not
    /// change between requests).
    package func json(of r: Recommendation) -> JSONObject {
        renderedRecommendations[r.id] ?? Self.render(r)
    }

    static func render(_ r: Recommendation) -> JSONObject {
        var o = JSONObject()
        o["id"] = .string(r.id.rawValue)
        o["phase"] = .string(r.phase.rawValue)
        o["title"] = .string(r.title)
        o["text"] = .string(r.text)
        if let dosage = r.dosage {
            var parameters = JSONObject()
            for p in dosage.parameters { parameters[p.name] = Self.number(p.value) }
            o["dosage"] = ["summary": .string(dosage.summary), "parameters": .object(parameters)]
        }
        if !r.components.isEmpty { o["components"] = .array(r.components.map(JSONValue.string)) }
        o["strength"] = .string(r.strength)
        if !r.substances.isEmpty { o["substances"] = .array(r.substances.map(JSONValue.string)) }
        o["sources"] = Self.render(r.sources)
        o["evidence"] = .array(r.evidence.map { .string($0.rawValue) })
        return o
    }

    /// The members of an entry that a plan recommendation repeats: all but `id`,
    /// `evidence` and `substances` (the plan writes its own id and evidence list).
    static func planMembers(_ entry: JSONObject) -> JSONMembersFragment {
        var shown = JSONObject()
        for (key, value) in entry where key != "id" && key != "evidence" && key != "substances" {
            shown[key] = value
        }
        return JSONMembersFragment(shown)
    }

    /// An evidence record as JSON (computed once when the Catalog loads).
    package func json(of e: Evidence) -> JSONValue {
        renderedEvidence[e.id] ?? Self.render(e)
    }

    static func render(_ e: Evidence) -> JSONValue {
        var o = JSONObject()
        o["id"] = .string(e.id.rawValue)
        o["source"] = .string(e.source)
        if let reference = e.reference { o["reference"] = .integer(Int64(reference)) }
        o["description"] = .string(e.description)
        o["design"] = .string(e.design)
        o["findings"] = .array(e.findings.map { ["id": .string($0.id), "statement": .string($0.statement)] })
        return .object(o)
    }

    /// A decision rule as JSON (computed once when the Catalog loads): id, kind, title,
    /// statement, parameters and, for a published threshold, its sources.
    static func render(_ r: Rule) -> JSONValue {
        var o = JSONObject()
        o["id"] = .string(r.id)
        o["kind"] = .string(r.kind)
        o["title"] = .string(r.title)
        o["statement"] = .string(r.statement)
        var parameters = JSONObject()
        for p in r.parameters { parameters[p.name] = Self.number(p.value) }
        o["parameters"] = .object(parameters)
        o["sources"] = Self.render(r.sources)
        return .object(o)
    }

    /// Citations as `[{source, quote}]`.
    static func render(_ citations: [Citation]) -> JSONValue {
        .array(
            citations.map { c in
                var s = JSONObject()
                s["source"] = .string(c.source)
                if let quote = c.quote { s["quote"] = .string(quote) }
                return .object(s)
            })
    }

    /// Whole numbers print as integers (10, not 10.0).
    static func number(_ v: Double) -> JSONValue {
        if v == v.rounded(), abs(v) < 9.0e15 { return .integer(Int64(v)) }
        return .double(v)
    }
}
