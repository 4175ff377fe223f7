@testable import CDSEngine
import CDSModuleAPI
import Testing

@Suite("Priority resolver")
struct PriorityResolverTests {
    static let policy = ResolverPolicy(
        modulePriorities: ["safety": 100, "symptoms": 90, "exercise": 60, "monitor": 50],
        conflictGroups: [.init(id: "tier", description: "one tier", members: ["tier.low", "tier.moderate", "tier.high"])]
    )
    static let rank: [RecommendationID: Int] = ["rest": 0, "nsaids": 0, "tier.low": 1, "tier.moderate": 2, "tier.high": 3, "nprs": 9]

    static func p(_ module: String, _ action: ProposalAction, _ id: RecommendationID, priority: Int = 50, rule: String = "r")
        -> ModuleProposal
    {
        ModuleProposal(
            module: module, modulePriority: policy.priority(ofModule: module),
            proposal: Proposal(action, id, priority: priority, because: Rationale(rule, facts: ["/symptoms"])))
    }

    static let sample: [ModuleProposal] = [
        p("symptoms", .recommend, "rest", priority: 80),
        p("symptoms", .recommend, "nsaids", priority: 80),
        p("safety", .avoid, "nsaids", priority: 100, rule: "contraindicated"),
        p("exercise", .recommend, "tier.moderate", priority: 65),
        p("exercise", .defer, "tier.high", priority: 60),
        p("monitor", .recommend, "tier.low", priority: 40),
        p("monitor", .recommend, "nprs", priority: 40),
        p("exercise", .recommend, "rest", priority: 30, rule: "other reason"),
    ]

    func resolve(_ proposals: [ModuleProposal], policy: ResolverPolicy = policy) -> Resolution {
        PriorityResolver(policy: policy).resolve(proposals) { Self.rank[$0.id] ?? 99 }
    }

    @Test func saferActionFromHigherPriorityModuleWins() throws {
        let r = resolve(Self.sample)
        let nsaids = try #require(r.recommendations.first { $0.id == "nsaids" })
        #expect(nsaids.action == .avoid)
        #expect(nsaids.sources.map(\.module) == ["safety"])
        let lost = try #require(r.superseded.first { $0.loser.proposal.recommendation == "nsaids" })
        #expect(lost.loser.module == "symptoms")
        #expect(lost.winner.module == "safety")
        #expect(lost.reason == "module priority 90 ('symptoms') is below 100 ('safety')")
    }

    @Test func duplicatesMergeKeepingEverySource() throws {
        let r = resolve(Self.sample)
        let rest = try #require(r.recommendations.first { $0.id == "rest" })
        #expect(rest.action == .recommend)
        #expect(rest.sources.map(\.module) == ["exercise", "symptoms"])
        #expect(rest.priority == 80)
    }

    @Test func conflictGroupKeepsOneAffirmativeMember() throws {
        let r = resolve(Self.sample)
        let ids = r.recommendations.map(\.id)
        #expect(ids.contains("tier.moderate"))
        #expect(!ids.contains("tier.low"))
        #expect(ids.contains("tier.high"), "a deferred member does not conflict")
        let dropped = try #require(r.superseded.first { $0.loser.proposal.recommendation == "tier.low" })
        #expect(dropped.winnerRecommendation == "tier.moderate")
        #expect(
            dropped.reason.hasPrefix(
                "conflict group 'tier' allows one affirmative recommendation; 'tier.moderate' was kept: module priority 50 ('monitor') is below 60 ('exercise')"
            ))
    }

    @Test func planIsOrderedByPhaseThenPriorityThenID() {
        let r = resolve(Self.sample)
        // Same phase: the avoided NSAIDs (priority 100) come before rest (80).
        #expect(r.recommendations.map(\.id) == ["nsaids", "rest", "tier.moderate", "tier.high", "nprs"])
    }

    @Test func everyProposalIsAccountedForExactlyOnce() {
        let r = resolve(Self.sample)
        let used = r.recommendations.flatMap(\.sources) + r.superseded.map(\.loser)
        #expect(used.count == Self.sample.count)
        #expect(Set(used) == Set(Self.sample))
    }

    @Test(arguments: 0..<40)
    func resultDoesNotDependOnProposalOrder(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed))
        let shuffled = Self.sample.shuffled(using: &generator)
        #expect(resolve(shuffled) == resolve(Self.sample))
    }

    @Test func resolvingIsIdempotentUnderRepetition() {
        #expect(resolve(Self.sample + Self.sample + Self.sample.reversed()) == resolve(Self.sample))
    }

    @Test func actionSafetyDecidesBetweenEqualPriorityModules() throws {
        let r = resolve([Self.p("other-a", .recommend, "rest"), Self.p("other-b", .consider, "rest"), Self.p("other-c", .defer, "rest")])
        let rest = try #require(r.recommendations.first)
        #expect(rest.action == .defer)
        #expect(
            Set(r.superseded.map(\.reason)) == [
                "'defer' is safer than 'recommend' (avoid > defer > consider > recommend)",
                "'defer' is safer than 'consider' (avoid > defer > consider > recommend)",
            ])
        #expect(Set(r.superseded.map(\.loser.module)) == ["other-a", "other-b"])
    }

    @Test func configurableOrderCanPutSafetyFirst() throws {
        var policy = Self.policy
        policy.order = [.actionSafety, .modulePriority, .proposalPriority]
        let r = resolve([Self.p("symptoms", .recommend, "rest"), Self.p("monitor", .defer, "rest")], policy: policy)
        #expect(r.recommendations.first?.action == .defer)
        let withDefaultOrder = resolve([Self.p("symptoms", .recommend, "rest"), Self.p("monitor", .defer, "rest")])
        #expect(withDefaultOrder.recommendations.first?.action == .recommend)
    }

    @Test func safetyStillDecidesWhenOrderedLast() throws {
        let a = Self.p("zeta", .recommend, "rest", priority: 50, rule: "x")
        let b = Self.p("alpha", .consider, "rest", priority: 50, rule: "x")
        var policy = Self.policy
        policy.order = [.modulePriority, .proposalPriority, .actionSafety]
        #expect(resolve([a, b], policy: policy).recommendations.first?.action == .consider)
        #expect(resolve([b, a], policy: policy) == resolve([a, b], policy: policy))
    }
}

/// A small deterministic generator for shuffles.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension PriorityResolverTests {
    @Test func completeTieGoesToTheModuleIDThatSortsFirst() throws {
        let a = Self.p("zeta", .recommend, "rest", priority: 50, rule: "x")
        let b = Self.p("alpha", .recommend, "rest", priority: 50, rule: "y")
        let r = resolve([a, b])
        #expect(r.recommendations.first?.decidedBy.module == "alpha")
        #expect(r.recommendations.first?.sources.map(\.module) == ["alpha", "zeta"])
        #expect(r.superseded.isEmpty)
    }
}
