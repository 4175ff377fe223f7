/// What a module may consult besides the case: the assessment date and the Catalog.
public struct AssessmentContext: Sendable {
    /// The date the assessment is made for: the case's `assessmentDate`, or the engine's
    /// (pinnable) clock when the case has none.
    public var asOf: CalendarDate
    /// The clinical knowledge: recommendations, their parameters, terminology.
    public var catalog: CatalogView

    /// A context; the engine builds one per evaluation.
    public init(asOf: CalendarDate, catalog: CatalogView) {
        self.asOf = asOf
        self.catalog = catalog
    }
}

/// A phase of the treatment algorithm, such as `initial-management` or `strengthening-low`.
public struct Phase: StringIdentifier {
    /// The phase's identifier as the Catalog writes it.
    public var rawValue: String
    /// The phase `rawValue`; whether the Catalog has it is checked where it is used.
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// One Catalog recommendation, as modules see it: identity, phase and the numeric
/// parameters their decision logic may need. Text and evidence stay in the Catalog and
/// reach the plan through the engine.
public struct CatalogRecommendation: Sendable, Hashable {
    /// The stable id.
    public var id: RecommendationID
    /// The algorithm phase.
    public var phase: Phase
    /// A short title.
    public var title: String
    /// Numeric dosage and timing parameters, such as `conservativeCareMonthsMin`.
    public var parameters: [String: Double]
    /// Substance codes the recommendation administers (for allergy screening).
    public var substances: [String]
    /// The knowledge pack that defines it (module API 2.0); empty when the view names none.
    public var pack: String

    /// A recommendation view.
    public init(
        id: RecommendationID, phase: Phase, title: String, parameters: [String: Double] = [:],
        substances: [String] = [], pack: String = ""
    ) {
        self.id = id
        self.phase = phase
        self.title = title
        self.parameters = parameters
        self.substances = substances
        self.pack = pack
    }
}

/// A recorded-contraindication code of the Catalog terminology and what it rules out.
public struct ContraindicationCode: Sendable, Hashable {
    /// The code used in a case's `/contraindications`.
    public var code: String
    /// The recommendations it rules out.
    public var rulesOut: [RecommendationID]

    /// A code.
    public init(code: String, rulesOut: [RecommendationID]) {
        self.code = code
        self.rulesOut = rulesOut
    }
}

/// A decision rule of the Catalog (`policy.json` `rules`): a published threshold with its
/// source, or a local policy the clinical owner set where the source states no rule. A module
/// reads its parameters and cites its id in ``Rationale/policy``, so the plan shows it as
/// policy, not evidence.
public struct CatalogRule: Sendable, Hashable {
    /// The stable id, such as `escalation.window`.
    public var id: String
    /// `local-policy` or `published-threshold`.
    public var kind: String
    /// Numeric parameters, such as `minimumPresent`.
    public var parameters: [String: Double]

    /// A rule view.
    public init(id: String, kind: String, parameters: [String: Double] = [:]) {
        self.id = id
        self.kind = kind
        self.parameters = parameters
    }
}

/// A knowledge pack loaded by the host, as modules see it (module API 2.0).
public struct PackSummary: Sendable, Hashable {
    /// The pack id, which namespaces its recommendations.
    public var id: String
    /// The pack's version.
    public var version: String

    /// A pack summary.
    public init(id: String, version: String) {
        self.id = id
        self.version = version
    }
}

/// The read-only face of the Catalog that modules consult.
public struct CatalogView: Sendable {
    /// The Catalog's version.
    public let version: String
    /// The algorithm phases in plan order.
    public let phases: [Phase]
    /// Named orderings of phases, such as `strengthening`: low, moderate, high, advanced.
    public let progressions: [String: [Phase]]
    /// The recorded-contraindication codes.
    public let contraindicationCodes: [ContraindicationCode]
    /// The decision rules (published thresholds and local policy), by id.
    public let rules: [String: CatalogRule]
    /// The knowledge packs the recommendations come from, in load order (module API 2.0).
    public let packs: [PackSummary]
    private let ordered: [CatalogRecommendation]
    /// Each recommendation's position in `ordered`, by id (the first of an id given twice).
    private let recommendationTable: KeyTable
    /// The phases that have recommendations, and each one's in Catalog order, computed once
    /// (modules ask often).
    private let phaseTable: KeyTable
    private let byPhase: [[CatalogRecommendation]]
    /// Each pack's recommendations in Catalog order.
    private let byPack: [String: [CatalogRecommendation]]
    /// The rules in the order given, found by id (the first of an id given twice), each
    /// with its parameters as a short list: modules read rule parameters on every
    /// evaluation, and a list of a few names searched by length and bytes beats hashing.
    private let ruleTable: KeyTable
    private let ruleParameters: [Parameters]
    /// Each recommendation's parameters (parallel to `ordered`), as for rules.
    private let recommendationParameters: [Parameters]

    /// A few named values, searched linearly.
    private struct Parameters: Sendable {
        let names: [String]
        let values: [Double]

        init(_ dictionary: [String: Double]) {
            names = dictionary.keys.sorted()
            values = names.map { dictionary[$0] ?? 0 }
        }

        subscript(name: String) -> Double? {
            let length = name.utf8.count
            for i in names.indices where names[i].utf8.count == length && names[i] == name { return values[i] }
            return nil
        }
    }

    /// A view over the given content (the engine builds it from the loaded Catalog; tests and
    /// module authors may build small ones). `packs` defaults to the packs the
    /// recommendations name, in order of first appearance, each at the Catalog's `version`.
    public init(
        version: String,
        phases: [Phase],
        progressions: [String: [Phase]] = [:],
        recommendations: [CatalogRecommendation],
        contraindicationCodes: [ContraindicationCode] = [],
        rules: [CatalogRule] = [],
        packs: [PackSummary]? = nil
    ) {
        var named: [PackSummary] = []
        var seen: Set<String> = []
        for r in recommendations where !r.pack.isEmpty && seen.insert(r.pack).inserted {
            named.append(PackSummary(id: r.pack, version: version))
        }
        self.packs = packs ?? named
        self.byPack = Dictionary(grouping: recommendations, by: \.pack)
        self.rules = Dictionary(rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.ruleTable = KeyTable(rules.map(\.id))
        self.ruleParameters = rules.map { Parameters($0.parameters) }
        self.version = version
        self.phases = phases
        self.progressions = progressions
        self.ordered = recommendations
        self.recommendationTable = KeyTable(recommendations.map(\.id.rawValue))
        self.recommendationParameters = recommendations.map { Parameters($0.parameters) }
        var phaseOrder: [Phase] = []
        var seenPhases: Set<Phase> = []
        for r in recommendations where seenPhases.insert(r.phase).inserted { phaseOrder.append(r.phase) }
        let grouped = Dictionary(grouping: recommendations, by: \.phase)
        self.phaseTable = KeyTable(phaseOrder.map(\.rawValue))
        self.byPhase = phaseOrder.map { grouped[$0] ?? [] }
        self.contraindicationCodes = contraindicationCodes
    }

    /// All recommendations, in Catalog order.
    public var recommendations: [CatalogRecommendation] { ordered }

    /// The recommendation with `id`, or `nil`.
    public func recommendation(_ id: RecommendationID) -> CatalogRecommendation? {
        recommendationTable.position(of: id.rawValue).map { ordered[$0] }
    }

    /// The recommendations of one knowledge pack, in Catalog order; empty for a pack not loaded.
    public func recommendations(inPack pack: String) -> [CatalogRecommendation] {
        byPack[pack] ?? []
    }

    /// The recommendations of one phase, in Catalog order.
    public func recommendations(in phase: Phase) -> [CatalogRecommendation] {
        phaseTable.position(of: phase.rawValue).map { byPhase[$0] } ?? []
    }

    /// A parameter a module's logic depends on. Throws when the Catalog lacks it, so a
    /// module never decides on a missing threshold.
    public func parameter(_ name: String, of id: RecommendationID) throws -> Double {
        guard let position = recommendationTable.position(of: id.rawValue) else {
            throw ModuleError("Catalog has no recommendation '\(id)'")
        }
        guard let value = recommendationParameters[position][name] else {
            throw ModuleError("Catalog recommendation '\(id)' has no parameter '\(name)'")
        }
        return value
    }

    /// A parameter of a Catalog decision rule. Throws when the Catalog lacks it, so a module
    /// never decides on a missing threshold or policy.
    public func parameter(_ name: String, ofRule id: String) throws -> Double {
        guard let position = ruleTable.position(of: id) else { throw ModuleError("Catalog has no rule '\(id)'") }
        guard let value = ruleParameters[position][name] else { throw ModuleError("Catalog rule '\(id)' has no parameter '\(name)'") }
        return value
    }

    /// The phases of a named progression. Throws when the Catalog lacks it.
    public func progression(_ name: String) throws -> [Phase] {
        guard let phases = progressions[name], !phases.isEmpty else {
            throw ModuleError("Catalog has no progression '\(name)'")
        }
        return phases
    }
}
