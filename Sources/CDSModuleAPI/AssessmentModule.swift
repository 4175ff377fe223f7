/// An assessment module: decision logic that reads a case and proposes Catalog recommendations.
///
/// This is the condition-agnostic contract module authors implement. A module reads the
/// case as facts (``CaseFacts``: typed reads by JSON Pointer, limited to the descriptor's
/// `reads`); a condition library may offer a typed view of its condition's case and a
/// refining protocol whose default ``assess(_:context:)`` builds that view and forwards.
/// A module holds logic only. Every clinical statement (recommendation text, dosage,
/// evidence, thresholds) lives in the Catalog and is reached through
/// ``AssessmentContext/catalog``.
///
/// Requirements:
/// - ``assess(_:context:)`` is a pure function of the case and the context: the same input
///   gives the same proposals. It must not read the clock, the environment or files.
/// - A module throws ``ModuleError`` when it cannot assess the case; the engine reports the
///   failure in the plan and the other modules still contribute.
///
/// Evolution: new requirements are added with default implementations in an extension,
/// so a module written today keeps compiling (see docs/module-api.md).
public protocol AssessmentModule: Sendable {
    /// Who the module is and what it reads.
    var descriptor: ModuleDescriptor { get }

    /// Reads the case's facts and returns proposals. An empty array means "nothing to add".
    /// (Module API 2.0; 1.x passed one condition's typed case, now in that condition's library.)
    func assess(_ facts: CaseFacts, context: AssessmentContext) throws -> [Proposal]
}

/// The identity of a module as the registry, the plan and `cds modules` show it.
public struct ModuleDescriptor: Sendable, Hashable {
    /// Stable identifier: lowercase letters, digits and `-`, such as `safety-screening`.
    public var id: String
    /// The module's own version.
    public var version: SemanticVersion
    /// The module-API version the module was written against.
    public var apiVersion: ModuleAPIVersion
    /// One sentence for people: what the module assesses.
    public var summary: String
    /// The case facts (JSON Pointers into the case) the module reads. Proposals may only
    /// cite facts at or below these paths.
    public var reads: [FactPath]
    /// The knowledge pack whose recommendations the module proposes, such as the pack of its
    /// condition; `nil` when it names none (module API 2.0).
    public var pack: String?
    /// The recommendations the module may propose (module API 2.0): exact ids, or prefixes
    /// ending in `*` (`*` alone: every recommendation of every loaded pack). The default,
    /// ``RecommendationPattern/everyRecommendationOfPack``, is every recommendation of ``pack``.
    public var proposes: [RecommendationPattern]

    /// A descriptor; `apiVersion` defaults to the version the module is compiled against,
    /// `proposes` to every recommendation of `pack`.
    public init(
        id: String,
        version: SemanticVersion,
        apiVersion: ModuleAPIVersion = .current,
        summary: String,
        reads: [FactPath],
        pack: String? = nil,
        proposes: [RecommendationPattern] = [.everyRecommendationOfPack]
    ) {
        self.id = id
        self.version = version
        self.apiVersion = apiVersion
        self.summary = summary
        self.reads = reads
        self.pack = pack
        self.proposes = proposes
    }

    /// Whether ``proposes`` covers `recommendation`. ``RecommendationPattern/everyRecommendationOfPack``
    /// matches the recommendations of ``pack`` (every recommendation when `pack` is `nil`);
    /// the other patterns match ids of any pack.
    public func mayPropose(_ recommendation: CatalogRecommendation) -> Bool {
        proposes.contains { pattern in
            pattern == .everyRecommendationOfPack
                ? pack.map { $0 == recommendation.pack } ?? true
                : pattern.matches(recommendation.id)
        }
    }
}

/// What a module may propose (``ModuleDescriptor/proposes``): an exact recommendation id
/// (`initial.cryotherapy`), a prefix ending in `*` (`initial.*`; `*` alone matches every id),
/// or ``everyRecommendationOfPack``, the default.
public struct RecommendationPattern: StringIdentifier {
    /// The pattern as written: an id, a prefix ending in `*`, or `<own pack>`.
    public var rawValue: String
    /// A pattern from its text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Every recommendation of the module's own pack (``ModuleDescriptor/pack``), whatever
    /// its ids; spelled `<own pack>`, which no recommendation id can be.
    public static let everyRecommendationOfPack = RecommendationPattern(rawValue: "<own pack>")

    /// Whether the pattern is a prefix (ends in `*`).
    public var isPrefix: Bool { rawValue.hasSuffix("*") }

    /// Whether `id` matches: equal to an exact pattern, or starting with a prefix pattern's
    /// text before the `*`. ``everyRecommendationOfPack`` matches no id by itself (see
    /// ``ModuleDescriptor/mayPropose(_:)``).
    public func matches(_ id: RecommendationID) -> Bool {
        isPrefix ? id.rawValue.hasPrefix(String(rawValue.dropLast())) : id.rawValue == rawValue
    }
}

/// The error a module throws when it cannot assess a case.
public struct ModuleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for the plan's module report.
    public var message: String
    /// The case fact involved, if any.
    public var fact: FactPath?

    /// An error with a message and, optionally, the fact it concerns.
    public init(_ message: String, fact: FactPath? = nil) {
        self.message = message
        self.fact = fact
    }

    /// `message`, prefixed by the fact path when there is one.
    public var description: String {
        fact.map { "\($0): \(message)" } ?? message
    }
}
