import CDSEngine
import CDSJSON
import CDSModuleAPI

/// The protocol version of this server's method set (docs/protocol.md).
package let serverProtocolVersion = "1.0"

extension RPCServerCore {
    static let builtinMethods: [String: RPCMethod] = [
        "initialize": RPCMethod { core, params throws(RPCError) in try core.initialize(params) },
        "ping": RPCMethod { _, params throws(RPCError) in
            _ = try Params(params, allowed: [])
            return [:]
        },
        "shutdown": RPCMethod { core, params throws(RPCError) in
            _ = try Params(params, allowed: [])
            core.shutdownRequested = true
            return .null
        },
        "modules/list": RPCMethod { core, params throws(RPCError) in
            _ = try Params(params, allowed: [])
            return ["modules": core.modulesJSON()]
        },
        "catalog/list": RPCMethod { core, params throws(RPCError) in
            _ = try Params(params, allowed: [])
            return core.catalogListJSON()
        },
        "catalog/get": RPCMethod { core, params throws(RPCError) in
            let p = try Params(params, allowed: ["id"], required: ["id"])
            return try core.catalogEntryJSON(p.string("id") ?? "")
        },
        "case/validate": RPCMethod { core, params throws(RPCError) in
            let p = try Params(params, allowed: ["case"], required: ["case"])
            let issues = core.engine.caseReader.issues(in: p["case"] ?? .null)
            return [
                "valid": .bool(issues.isEmpty),
                "errors": .array(issues.map { ["path": .string($0.path.description), "message": .string($0.message)] }),
            ]
        },
        "case/evaluate": RPCMethod(concurrent: true) { core, params throws(RPCError) in try core.evaluate(params) },
    ]

    func initialize(_ params: JSONValue?) throws(RPCError) -> JSONValue {
        _ = try Params(params, allowed: ["clientInfo", "protocolVersion", "capabilities", "processId"])
        if initialized { throw .alreadyInitialized }
        initialized = true
        let catalog = engine.catalog
        return [
            "serverInfo": ["name": .string(Engine.name), "version": .string(Engine.version.description)],
            "protocolVersion": .string(serverProtocolVersion),
            "moduleApiVersion": .string(ModuleAPIVersion.current.description),
            "modules": modulesJSON(),
            "catalog": ["version": .string(catalog.version), "sha256": .string(catalog.digest)],
            "capabilities": [
                "methods": .array(methodNames.map(JSONValue.string)),
                "batches": true,
                "cancellation": ["$/cancelRequest", "notifications/cancelled"],
                "explain": true,
                "maxLineBytes": .integer(Int64(configuration.maxLineBytes)),
                "maxDepth": .integer(Int64(configuration.maxDepth)),
            ],
        ]
    }

    func modulesJSON() -> JSONValue {
        let policy = engine.policy
        var rows: [JSONValue] = engine.registry.modules.map { entry in
            let d = entry.descriptor
            return [
                "id": .string(d.id), "version": .string(d.version.description), "apiVersion": .string(d.apiVersion.description),
                "pack": d.pack.map(JSONValue.string) ?? .null, "priority": .integer(Int64(policy.priority(ofModule: d.id))),
                "kind": .string(entry.kind), "state": .string(entry.state),
                "summary": .string(d.summary),
                "reads": .array(d.reads.map { .string($0.rawValue) }),
            ]
        }
        rows += engine.registry.refused.map { r in
            [
                "id": .string(r.descriptor.id), "version": .string(r.descriptor.version.description),
                "apiVersion": .string(r.descriptor.apiVersion.description),
                "priority": .integer(Int64(policy.priority(ofModule: r.descriptor.id))), "kind": "external", "state": "refused",
                "reason": .string(r.reason),
            ]
        }
        return .array(rows)
    }

    func catalogListJSON() -> JSONValue {
        let catalog = engine.catalog
        return [
            "version": .string(catalog.version),
            "sha256": .string(catalog.digest),
            "phases": .array(catalog.phases.map { ["id": .string($0.id.rawValue), "title": .string($0.title)] }),
            "recommendations": .array(
                catalog.recommendations.map {
                    [
                        "id": .string($0.id.rawValue), "phase": .string($0.phase.rawValue), "title": .string($0.title),
                        "strength": .string($0.strength),
                    ]
                }),
        ]
    }

    func catalogEntryJSON(_ id: String) throws(RPCError) -> JSONValue {
        let catalog = engine.catalog
        guard let entry = catalog.recommendation(RecommendationID(rawValue: id)) else { throw .unknownEntry(id) }
        var o = catalog.json(of: entry)
        o["evidenceRecords"] = .array(entry.evidence.compactMap(catalog.evidence).map(catalog.json(of:)))
        return .object(o)
    }

    /// `case/evaluate`. Reads only the engine and the configuration, so requests run
    /// concurrently (the session registers issued cards when the reply goes out).
    func evaluate(_ params: JSONValue?) throws(RPCError) -> MethodResult {
        let p = try Params(params, allowed: ["case", "options"], required: ["case"])
        let options = try Params(p["options"], allowed: ["explain", "asOf", "format"])
        let format = try options.string("format") ?? "plan"
        guard format == "plan" || format == "cds-hooks" else {
            throw .invalidParams("\"options.format\" must be \"plan\" or \"cds-hooks\"")
        }
        let explain = try options.bool("explain") ?? false
        var asOf: CalendarDate?
        if let text = try options.string("asOf") {
            guard let date = CalendarDate(text) else {
                throw .invalidParams("\"options.asOf\" must be a date YYYY-MM-DD, found \"\(text)\"")
            }
            asOf = date
        }
        let request = EvaluationRequest(format: format == "cds-hooks" ? .cdsHooks : .plan, explain: explain, asOf: asOf)
        return try request.run(on: engine, input: p["case"] ?? .null)
    }
}
