import CDSJSON
import CDSModuleAPI

/// The out-of-process module protocol: newline-delimited JSON-RPC 2.0 between a host and a
/// module executable (docs/module-protocol.md). This target holds the wire format that the
/// host and the module SDK share.
public enum ModuleProtocol {
    /// The version this library speaks.
    public static let current = ProtocolVersion(major: 1, minor: 0)
    /// The majors a host accepts: the current one and the previous one (none before 1).
    public static let supportedMajors = [1]

    /// Error code a module answers when it cannot speak the host's protocol major.
    public static let unsupportedVersion: Int64 = -32010
    /// Error code for "the case could not be assessed" (a `ModuleError`).
    public static let assessmentFailed: Int64 = -32011

    /// Method names.
    public static let initialize = "initialize"
    /// `assess`: one case to evaluate, answered with the module's proposals.
    public static let assess = "assess"
    /// `shutdown`: the host asks the module to get ready to end; answered with `null`.
    public static let shutdown = "shutdown"
    /// `exit` (a notification): the module ends, with status 0 if `shutdown` came first, else 1.
    public static let exit = "exit"
}

/// A protocol version: minor versions only add (new optional members, new methods).
public struct ProtocolVersion: Sendable, Hashable, CustomStringConvertible {
    /// Changes only when a version removes or changes something; hosts refuse an unsupported major.
    public var major: Int
    /// Grows when a version only adds (optional members, methods).
    public var minor: Int

    /// The version `major`.`minor`.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// `major.minor`, such as `1.1`.
    public var description: String { "\(major).\(minor)" }

    /// The version as it travels in the handshake: `{"major": M, "minor": N}`.
    public var json: JSONValue { ["major": .integer(Int64(major)), "minor": .integer(Int64(minor))] }

    /// Reads ``json``'s form; `nil` unless both members are non-negative integers.
    public init?(json: JSONValue?) {
        guard let major = json?["major"]?.integerValue, let minor = json?["minor"]?.integerValue, major >= 0, minor >= 0 else { return nil }
        self.init(major: Int(major), minor: Int(minor))
    }
}

/// A reply or message that does not follow the module protocol.
public struct ModuleProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, for the host's log and the plan's failure reason.
    public var message: String
    /// An error described by `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

// MARK: Catalog view

extension CatalogView {
    /// The view as sent to a module in `initialize`.
    public var protocolJSON: JSONValue {
        var progressions = JSONObject()
        for name in self.progressions.keys.sorted() {
            progressions[name] = .array((self.progressions[name] ?? []).map { .string($0.rawValue) })
        }
        return [
            "version": .string(version),
            "phases": .array(phases.map { .string($0.rawValue) }),
            "progressions": .object(progressions),
            "recommendations": .array(
                recommendations.map { r in
                    var parameters = JSONObject()
                    for name in r.parameters.keys.sorted() { parameters[name] = .double(r.parameters[name] ?? 0) }
                    return [
                        "id": .string(r.id.rawValue), "phase": .string(r.phase.rawValue), "title": .string(r.title),
                        "parameters": .object(parameters), "substances": .array(r.substances.map(JSONValue.string)),
                    ]
                }),
            "contraindications": .array(
                contraindicationCodes.map { ["code": .string($0.code), "rulesOut": .array($0.rulesOut.map { .string($0.rawValue) })] }),
            "rules": .array(
                rules.keys.sorted().compactMap { rules[$0] }.map { r in
                    var parameters = JSONObject()
                    for name in r.parameters.keys.sorted() { parameters[name] = .double(r.parameters[name] ?? 0) }
                    return ["id": .string(r.id), "kind": .string(r.kind), "parameters": .object(parameters)]
                }),
        ]
    }

    /// Reads the view a host sent.
    public init(protocolJSON json: JSONValue) throws(ModuleProtocolError) {
        guard let version = json["version"]?.stringValue, let phases = json["phases"]?.arrayValue,
            let recommendations = json["recommendations"]?.arrayValue
        else { throw ModuleProtocolError("catalog: expected version, phases and recommendations") }
        var views: [CatalogRecommendation] = []
        for r in recommendations {
            guard let id = r["id"]?.stringValue, let phase = r["phase"]?.stringValue, let title = r["title"]?.stringValue else {
                throw ModuleProtocolError("catalog: a recommendation lacks id, phase or title")
            }
            var parameters: [String: Double] = [:]
            for (name, value) in r["parameters"]?.objectValue ?? JSONObject() { parameters[name] = value.numberValue }
            views.append(
                CatalogRecommendation(
                    id: RecommendationID(rawValue: id), phase: Phase(rawValue: phase), title: title, parameters: parameters,
                    substances: (r["substances"]?.arrayValue ?? []).compactMap(\.stringValue)))
        }
        var progressions: [String: [Phase]] = [:]
        for (name, list) in json["progressions"]?.objectValue ?? JSONObject() {
            progressions[name] = (list.arrayValue ?? []).compactMap(\.stringValue).map(Phase.init(rawValue:))
        }
        let codes = (json["contraindications"]?.arrayValue ?? []).compactMap { c -> ContraindicationCode? in
            guard let code = c["code"]?.stringValue else { return nil }
            return ContraindicationCode(
                code: code, rulesOut: (c["rulesOut"]?.arrayValue ?? []).compactMap(\.stringValue).map(RecommendationID.init(rawValue:)))
        }
        // Decision rules (optional: a host that predates them sends none).
        let rules = (json["rules"]?.arrayValue ?? []).compactMap { r -> CatalogRule? in
            guard let id = r["id"]?.stringValue, let kind = r["kind"]?.stringValue else { return nil }
            var parameters: [String: Double] = [:]
            for (name, value) in r["parameters"]?.objectValue ?? JSONObject() { parameters[name] = value.numberValue }
            return CatalogRule(id: id, kind: kind, parameters: parameters)
        }
        self.init(
            version: version, phases: phases.compactMap(\.stringValue).map(Phase.init(rawValue:)), progressions: progressions,
            recommendations: views, contraindicationCodes: codes, rules: rules)
    }
}

// MARK: descriptor

extension ModuleDescriptor {
    /// The descriptor as a module reports it in its `initialize` result.
    /// `pack` and `proposes` (module API 2.0) are left out when they are the defaults (no
    /// pack; every recommendation of the pack), so a 1.x host reads the same members as before.
    public var protocolJSON: JSONValue {
        var o: JSONObject = [
            "id": .string(id), "version": .string(version.description), "apiVersion": .string(apiVersion.description),
            "summary": .string(summary), "reads": .array(reads.map { .string($0.rawValue) }),
        ]
        if let pack { o["pack"] = .string(pack) }
        if proposes != [.everyRecommendationOfPack] { o["proposes"] = .array(proposes.map { .string($0.rawValue) }) }
        return .object(o)
    }

    /// Reads a module's descriptor.
    public init(protocolJSON json: JSONValue) throws(ModuleProtocolError) {
        guard let id = json["id"]?.stringValue, !id.isEmpty else { throw ModuleProtocolError("module.id: expected a non-empty string") }
        guard let versionText = json["version"]?.stringValue, let version = SemanticVersion(versionText) else {
            throw ModuleProtocolError("module.version: expected a semantic version such as 1.0.0")
        }
        guard let api = json["apiVersion"]?.stringValue.flatMap(ModuleAPIVersion.init) else {
            throw ModuleProtocolError("module.apiVersion: expected MAJOR.MINOR (non-negative integers without leading zeros)")
        }
        guard let reads = json["reads"]?.arrayValue?.compactMap(\.stringValue) else {
            throw ModuleProtocolError("module.reads: expected an array of JSON Pointers")
        }
        var pack: String?
        if let value = json["pack"] {
            guard let text = value.stringValue, !text.isEmpty else { throw ModuleProtocolError("module.pack: expected a pack id") }
            pack = text
        }
        var proposes: [RecommendationPattern] = [.everyRecommendationOfPack]
        if let value = json["proposes"] {
            guard let list = value.arrayValue, !list.isEmpty, list.allSatisfy({ $0.stringValue?.isEmpty == false }) else {
                throw ModuleProtocolError("module.proposes: expected a non-empty array of recommendation ids or prefixes ending in *")
            }
            proposes = list.compactMap(\.stringValue).map(RecommendationPattern.init(rawValue:))
        }
        self.init(
            id: id, version: version, apiVersion: api,
            summary: json["summary"]?.stringValue ?? "", reads: reads.map(FactPath.init(rawValue:)), pack: pack, proposes: proposes)
    }
}

// MARK: proposals

extension Proposal {
    /// The proposal as a module returns it from `assess`.
    public var protocolJSON: JSONValue {
        [
            "recommendation": .string(recommendation.rawValue), "action": .string(action.rawValue), "priority": .integer(Int64(priority)),
            "rationale": [
                "rule": .string(rationale.rule), "facts": .array(rationale.facts.map { .string($0.rawValue) }),
                "policy": .array(rationale.policy.map(JSONValue.string)),
            ],
            "additionalEvidence": .array(additionalEvidence.map { .string($0.rawValue) }),
        ]
    }

    /// Reads a proposal; the engine then checks it against the Catalog like any other.
    public init(protocolJSON json: JSONValue) throws(ModuleProtocolError) {
        guard let recommendation = json["recommendation"]?.stringValue else {
            throw ModuleProtocolError("proposal.recommendation: expected a string")
        }
        guard let action = json["action"]?.stringValue else { throw ModuleProtocolError("proposal.action: expected a string") }
        guard let priority = json["priority"]?.integerValue, let p = Int(exactly: priority) else {
            throw ModuleProtocolError("proposal.priority: expected an integer")
        }
        guard let rule = json["rationale"]?["rule"]?.stringValue else {
            throw ModuleProtocolError("proposal.rationale.rule: expected a string")
        }
        guard let facts = json["rationale"]?["facts"]?.arrayValue?.compactMap(\.stringValue) else {
            throw ModuleProtocolError("proposal.rationale.facts: expected an array of strings")
        }
        let evidence = (json["additionalEvidence"]?.arrayValue ?? []).compactMap(\.stringValue)
        let policy = (json["rationale"]?["policy"]?.arrayValue ?? []).compactMap(\.stringValue)
        self.init(
            ProposalAction(rawValue: action), RecommendationID(rawValue: recommendation), priority: p,
            because: Rationale(rule, facts: facts.map(FactPath.init(rawValue:)), policy: policy),
            additionalEvidence: evidence.map(EvidenceID.init(rawValue:)))
    }
}
