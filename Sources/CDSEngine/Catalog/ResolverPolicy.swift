import CDSModuleAPI

/// How the priority resolver settles conflicts: the order from the host's `catalog.json`,
/// module priorities and conflict groups from the packs' `policy.json` files.
package struct ResolverPolicy: Sendable, Hashable {
    /// A comparison the resolver applies, in the configured order, to pick a winner.
    package struct Criterion: RawRepresentable, Sendable, Hashable {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        /// Higher module priority wins.
        package static let modulePriority = Criterion(rawValue: "modulePriority")
        /// The safer action wins: avoid > defer > consider > recommend.
        package static let actionSafety = Criterion(rawValue: "actionSafety")
        /// Higher proposal priority wins.
        package static let proposalPriority = Criterion(rawValue: "proposalPriority")
        package static let all: [Criterion] = [.modulePriority, .actionSafety, .proposalPriority]
    }

    /// Recommendations of which at most one may be affirmative (recommend/consider) in a plan.
    package struct ConflictGroup: Sendable, Hashable {
        package var id: String
        package var description: String
        package var members: [RecommendationID]
    }

    /// Priority per module id.
    package var modulePriorities: [String: Int]
    /// The criteria in the order they are applied; ties fall through to the module id.
    package var order: [Criterion]
    package var conflictGroups: [ConflictGroup]

    package init(
        modulePriorities: [String: Int] = [:],
        order: [Criterion] = Criterion.all, conflictGroups: [ConflictGroup] = []
    ) {
        self.modulePriorities = modulePriorities
        self.order = order
        self.conflictGroups = conflictGroups
    }

    /// The priority of module `id`. There is no default: a module the policy does not name
    /// stops a host's start (``Engine/startupProblems``); only an engine built without that
    /// check (a test's) sees 0 for it.
    package func priority(ofModule id: String) -> Int {
        modulePriorities[id] ?? 0
    }
}
