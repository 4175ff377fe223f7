#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a module proposes for one Catalog recommendation, and why.
public struct Proposal: Sendable, Hashable {
    /// The Catalog recommendation the proposal is about.
    public var recommendation: RecommendationID
    /// What to do with it.
    public var action: ProposalAction
    /// Urgency within the module's output, 0 (lowest) to 100 (highest). The resolver
    /// compares it only after module priority and action safety.
    public var priority: Int
    /// Why: the decision rule applied and the case facts it used.
    public var rationale: Rationale
    /// Catalog evidence ids supporting this proposal beyond the recommendation's own.
    public var additionalEvidence: [EvidenceID]

    /// A proposal. `priority` must lie in 0...100; the engine rejects other values.
    public init(
        _ action: ProposalAction,
        _ recommendation: RecommendationID,
        priority: Int = 50,
        because rationale: Rationale,
        additionalEvidence: [EvidenceID] = []
    ) {
        self.recommendation = recommendation
        self.action = action
        self.priority = priority
        self.rationale = rationale
        self.additionalEvidence = additionalEvidence
    }
}

/// The reason for a proposal: the decision rule that fired, and the case facts it read.
public struct Rationale: Sendable, Hashable {
    /// A short statement of the rule, such as "current tier tolerated: step up one tier".
    /// It describes logic, not clinical content (that is the Catalog's).
    public var rule: String
    /// The case facts the rule used. The engine records their values in the plan; a fact
    /// absent from the case is recorded as absent.
    public var facts: [FactPath]
    /// The Catalog decision rules (``CatalogRule`` ids: local policy or published thresholds)
    /// the rule applied; the plan lists them as policy, apart from evidence.
    public var policy: [String]

    /// A rationale citing the facts it used and the Catalog rules it applied (module API 1.1).
    public init(_ rule: String, facts: [FactPath], policy: [String]) {
        self.rule = rule
        self.facts = facts
        self.policy = policy
    }

    /// A rationale citing the facts it used (module API 1.0; kept so that modules built
    /// against 1.0 keep linking).
    public init(_ rule: String, facts: [FactPath]) {
        self.init(rule, facts: facts, policy: [])
    }
}

/// The action a proposal asks for. Ordered by safety: `avoid` > `defer` > `consider` > `recommend`.
///
/// A struct rather than an enum so that the set can grow without breaking modules.
public struct ProposalAction: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The wire name.
    public var rawValue: String

    /// Wraps a wire name; unknown names are rejected by the engine.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Do it.
    public static let recommend = ProposalAction(rawValue: "recommend")
    /// Weigh it; clinician judgement.
    public static let consider = ProposalAction(rawValue: "consider")
    /// Not now; the rationale says what must change first.
    public static let `defer` = ProposalAction(rawValue: "defer")
    /// Do not do it for this patient.
    public static let avoid = ProposalAction(rawValue: "avoid")

    /// The actions the engine knows, safest first.
    public static let bySafety: [ProposalAction] = [.avoid, .defer, .consider, .recommend]

    /// Higher is safer (`avoid` is 3, `recommend` 0); `nil` for an unknown action.
    public var safetyRank: Int? {
        // `bySafety` reversed, spelled out: asked for every proposal, twice.
        switch rawValue {
        case "recommend": 0
        case "consider": 1
        case "defer": 2
        case "avoid": 3
        default: nil
        }
    }

    /// Whether the action puts the recommendation into practice (`recommend`, `consider`).
    public var isAffirmative: Bool { self == .recommend || self == .consider }

    /// The position as it appears in plans, such as `recommend`.
    public var description: String { rawValue }
}

/// A string-backed identifier: compared, hashed and printed as its text, written as a
/// string literal.
public protocol StringIdentifier: RawRepresentable, Sendable, Hashable, Comparable, ExpressibleByStringLiteral,
    CustomStringConvertible
where RawValue == String {
    init(rawValue: String)
}

extension StringIdentifier {
    /// The identifier spelled by the literal.
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    /// The identifier as written.
    public var description: String { rawValue }
    /// Orders identifiers by their text, so that sorted output is deterministic.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The identifier of a Catalog recommendation, such as `initial.cryotherapy`.
public struct RecommendationID: StringIdentifier {
    /// The identifier as the Catalog writes it.
    public var rawValue: String
    /// The recommendation `rawValue`; whether the Catalog has it is checked where it is used.
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// The identifier of a Catalog evidence record, such as `seed-ref-1`.
public struct EvidenceID: StringIdentifier {
    /// The identifier as the Catalog writes it.
    public var rawValue: String
    /// The evidence record `rawValue`; whether the Catalog has it is checked where it is used.
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A case fact: a JSON Pointer into the case document, such as `/patient/age`.
public struct FactPath: StringIdentifier {
    /// The JSON Pointer, such as `/patient/age`.
    public var rawValue: String
    /// The fact at the JSON Pointer `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Whether this path equals `other` or lies below it.
    public func isWithin(_ other: FactPath) -> Bool {
        // Byte for byte (JSON Pointer tokens are compared exactly, not as Unicode text).
        var (mine, theirs) = (rawValue, other.rawValue)
        return mine.withUTF8 { m in
            theirs.withUTF8 { t in
                guard m.count >= t.count else { return false }
                if let a = m.baseAddress, let b = t.baseAddress, !t.isEmpty, memcmp(a, b, t.count) != 0 { return false }
                return m.count == t.count || m[t.count] == UInt8(ascii: "/")
            }
        }
    }
}
