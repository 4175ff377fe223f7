import CDSModuleAPI

/// How the priority resolver settles conflicts; loaded from `Catalog/policy.json`.
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
    /// Priority of a module the policy does not name.
    package var defaultModulePriority: Int
    /// The criteria in the order they are applied; ties fall through to the module id.
    package var order: [Criterion]
    package var conflictGroups: [ConflictGroup]

    package init(
        modulePriorities: [String: Int] = [:], defaultModulePriority: Int = 0,
        order: [Criterion] = Criterion.all, conflictGroups: [ConflictGroup] = []
    ) {
        self.modulePriorities = modulePriorities
        self.defaultModulePriority = defaultModulePriority
        self.order = order
        self.conflictGroups = conflictGroups
    }

    /// The priority of module `id`.
    package func priority(ofModule id: String) -> Int {
        modulePriorities[id] ?? defaultModulePriority
    }
}
