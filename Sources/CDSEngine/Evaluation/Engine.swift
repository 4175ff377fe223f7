import CDSJSON
@_spi(Host) @_spi(ConditionLibrary) import CDSModuleAPI
import Logging

/// The in-process engine: a loaded Catalog, the registered modules and the resolver.
///
/// `Engine` is immutable and `Sendable`; one instance serves any number of evaluations,
/// concurrently if the caller wishes.
package struct Engine: Sendable {
    /// The engine's own version, recorded in every plan.
    package static let version = SemanticVersion(0, 1, 0)
    /// The engine's name in provenance.
    package static let name = "cds"

    package let catalog: Catalog
    package let registry: ModuleRegistry
    package let resolver: PriorityResolver
    package let caseReader: CaseReader
    package let clock: any EngineClock
    private let logger: Logger
    /// For each module that runs (parallel to `registry.modules`), which Catalog
    /// recommendations (by position) its `proposes` admits: decided once, at start.
    private let proposable: [[Bool]]
    /// Each module's priority under the policy (parallel to `registry.modules`).
    private let priorities: [Int]
    /// Each module's descriptor as its reports hold it, with its id and versions as the
    /// plan report begins with them, serialised once (parallel to `registry.modules`).
    private let reportDescriptors: [ModuleReport.Descriptor]

    /// An engine over `catalog` running `modules`. `refusals` are modules refused before
    /// registration; `fallbackPriorities` give priorities to modules the Catalog policy does
    /// not name (the policy always wins).
    package init(
        catalog: Catalog, modules: [any AssessmentModule], refusals: [ModuleRegistry.Refusal] = [],
        fallbackPriorities: [String: Int] = [:], clock: any EngineClock = SystemClock(), logger: Logger = Logger(label: "cds.engine")
    ) {
        self.catalog = catalog
        self.registry = ModuleRegistry(modules, refusals: refusals)
        var policy = catalog.policy
        for (id, priority) in fallbackPriorities where policy.modulePriorities[id] == nil {
            policy.modulePriorities[id] = priority
        }
        self.resolver = PriorityResolver(policy: policy)
        let entries = catalog.recommendations.map { catalog.view.recommendation($0.id) }
        self.proposable = registry.modules.map { entry in entries.map { $0.map(entry.descriptor.mayPropose) ?? false } }
        self.priorities = registry.modules.map { policy.priority(ofModule: $0.descriptor.id) }
        self.reportDescriptors = registry.modules.map { ModuleReport.Descriptor($0.descriptor) }
        self.caseReader = CaseReader(schema: catalog.caseSchema)
        self.clock = clock
        self.logger = logger
        for refusal in registry.refused {
            logger.error("module refused", metadata: ["module": "\(refusal.descriptor.id)", "reason": "\(refusal.reason)"])
        }
    }

    /// The resolver policy in force: the Catalog's, plus fallback module priorities.
    package var policy: ResolverPolicy { resolver.policy }

    /// Runs every module on the case and resolves their proposals into a plan. Each module
    /// receives the facts scoped to its descriptor's `reads` (typed views that condition
    /// libraries build from them are built once for the evaluation).
    /// The assessment date is the case's, else `asOf`, else the engine's clock.
    package func evaluate(_ facts: CaseFacts, asOf fallback: CalendarDate? = nil) -> Plan {
        let asOf = facts.assessmentDate ?? fallback ?? clock.today()
        let context = AssessmentContext(asOf: asOf, catalog: catalog.view)
        var reports: [ModuleReport] = []
        reports.reserveCapacity(registry.modules.count + registry.refused.count)
        var proposals: [ModuleProposal] = []
        // Hosted (external) modules are all sent the case first, then collected in id order
        // with the built-ins, so they compute at the same time; the plan is the same.
        let hosted = registry.hasHosted ? HostedEvaluation(facts: facts, context: context) : nil
        let calls = hosted.map { e in registry.modules.map { $0.hosted?.start(e) } } ?? []
        // By index: each module's entry and descriptor are read in place, not copied (with
        // a retain of each of their parts) as iterating would; the report is made once.
        for index in registry.modules.indices {
            let priority = priorities[index]
            var status = ModuleReport.Status.contributed
            var proposalCount = 0
            var failure: String?
            do {
                let made: [Proposal]
                let reads = reportDescriptors[index].value.reads
                if !calls.isEmpty, let call = calls[index] {
                    made = try call.finish()
                } else {
                    made = try registry.modules[index].module.assess(facts.scoped(to: reads), context: context)
                }
                switch validate(made, reads: reads, proposable: proposable[index]) {
                case .failure(let problem):
                    status = .failed
                    failure = problem.message
                case .success(let positions):
                    proposalCount = made.count
                    status = made.isEmpty ? .noProposals : .contributed
                    proposals.reserveCapacity(proposals.count + made.count)
                    for i in made.indices {
                        proposals.append(
                            ModuleProposal(
                                module: reportDescriptors[index].value.id, modulePriority: priority, proposal: made[i],
                                catalogIndex: positions[i], idOrder: catalog.planEntries[positions[i]].idOrder))
                    }
                }
            } catch {
                status = .failed
                failure = "threw: \(error)"
            }
            if let failure {
                logger.warning(
                    "module did not contribute", metadata: ["module": "\(reportDescriptors[index].value.id)", "error": "\(failure)"])
            }
            reports.append(
                ModuleReport(
                    shared: reportDescriptors[index], priority: priority, status: status, proposalCount: proposalCount, error: failure))
        }
        for refusal in registry.refused {
            reports.append(
                ModuleReport(
                    descriptor: refusal.descriptor, priority: policy.priority(ofModule: refusal.descriptor.id),
                    status: .refused, proposalCount: 0, error: refusal.reason))
        }
        let resolution = resolver.resolve(proposals) { r in r.catalogIndex.map { catalog.planEntries[$0].rank } ?? catalog.phases.count }
        return Plan(caseId: facts.caseId, asOf: asOf, caseDocument: facts.document, resolution: resolution, modules: reports, input: nil)
    }

    /// A contract violation in a module's output, as the plan reports it.
    private struct Violation: Error {
        var message: String
    }

    /// The Catalog positions of a module's proposals' recommendations, or the first contract
    /// violation in its output. A module's output is taken whole or not at all: dropping one
    /// proposal could change what the rest mean. `reads` are the module's declared reads,
    /// `proposable` its ``proposable`` row.
    private func validate(_ proposals: [Proposal], reads: [FactPath], proposable: [Bool]) -> Result<[Int], Violation> {
        var positions: [Int] = []
        positions.reserveCapacity(proposals.count)
        // By index: each proposal is read in place, not copied (with a retain of each of
        // its parts) as a `for p in` loop does.
        for i in proposals.indices {
            // Only an error message needs the proposal's name: built then, not for every proposal.
            func fail(_ problem: String) -> Result<[Int], Violation> {
                .failure(Violation(message: "proposal \(i + 1) ('\(proposals[i].recommendation)'): \(problem)"))
            }
            guard let position = catalog.index(of: proposals[i].recommendation) else {
                return fail("no such recommendation in Catalog \(catalog.version)")
            }
            guard proposable[position] else {
                return fail("not among the recommendations the module declares in `proposes`")
            }
            guard proposals[i].action.safetyRank != nil else {
                return fail("unknown action '\(proposals[i].action)' (expected avoid, defer, consider or recommend)")
            }
            guard (0...100).contains(proposals[i].priority) else {
                return fail("priority \(proposals[i].priority) is outside 0...100")
            }
            guard !proposals[i].rationale.rule.isEmpty else {
                return fail("the rationale states no rule")
            }
            for e in proposals[i].additionalEvidence where catalog.index(of: e) == nil {
                return fail("no such evidence '\(e)' in Catalog \(catalog.version)")
            }
            // A module's proposals often share one rationale: facts the proposal before cited
            // too (the same array, seen equal by its storage) were checked already.
            let checked = i > 0 && proposals[i].rationale.facts == proposals[i - 1].rationale.facts
            for f in proposals[i].rationale.facts where !checked {
                guard f.isValidPointer else { return fail("fact \"\(f)\" is not a JSON Pointer") }
                guard reads.contains(where: { f.isWithin($0) }) else {
                    return fail("cites fact \(f), which the module does not declare in `reads`")
                }
            }
            positions.append(position)
        }
        return .success(positions)
    }
}

/// What one module did during an evaluation.
package struct ModuleReport: Sendable, Hashable {
    /// How a module took part.
    package struct Status: RawRepresentable, Sendable, Hashable {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package static let contributed = Status(rawValue: "contributed")
        package static let noProposals = Status(rawValue: "no-proposals")
        package static let failed = Status(rawValue: "failed")
        package static let refused = Status(rawValue: "refused")
    }

    /// A module's descriptor and ``head(of:)`` of it, shared: a descriptor is large and a
    /// report is made, copied and dropped on every evaluation, so the engine makes one of
    /// these per module at start and every report holds a reference. Equal by value.
    package final class Descriptor: Sendable, Hashable {
        package let value: ModuleDescriptor
        package let head: JSONMembersFragment

        package init(_ value: ModuleDescriptor) {
            self.value = value
            self.head = ModuleReport.head(of: value)
        }

        package static func == (a: Descriptor, b: Descriptor) -> Bool { a === b || a.value == b.value }
        package func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }

    private var shared: Descriptor
    package var priority: Int
    package var status: Status
    package var proposalCount: Int
    package var error: String?

    /// The module's descriptor.
    package var descriptor: ModuleDescriptor {
        get { shared.value }
        set { shared = Descriptor(newValue) }
    }

    /// ``head(of:)`` of the descriptor.
    package var head: JSONMembersFragment { shared.head }

    /// The members a module's plan report begins with: its id, version and API version.
    package static func head(of d: ModuleDescriptor) -> JSONMembersFragment {
        JSONMembersFragment([
            "id": .string(d.id), "version": .string(d.version.description), "apiVersion": .string(d.apiVersion.description),
        ])
    }

    /// A report of how one module took part.
    package init(descriptor: ModuleDescriptor, priority: Int, status: Status, proposalCount: Int, error: String? = nil) {
        self.init(shared: Descriptor(descriptor), priority: priority, status: status, proposalCount: proposalCount, error: error)
    }

    /// A report holding a descriptor the engine prepared.
    package init(shared: Descriptor, priority: Int, status: Status, proposalCount: Int, error: String? = nil) {
        self.shared = shared
        self.priority = priority
        self.status = status
        self.proposalCount = proposalCount
        self.error = error
    }
}

/// The outcome of one evaluation, before rendering.
package struct Plan: Sendable, Hashable {
    package var caseId: String?
    package var asOf: CalendarDate
    package var caseDocument: JSONValue
    package var resolution: Resolution
    package var modules: [ModuleReport]
    /// For input an adapter built the case from: how it was built (the adapter report's JSON).
    package var input: JSONValue?

    /// A plan.
    package init(
        caseId: String?, asOf: CalendarDate, caseDocument: JSONValue, resolution: Resolution, modules: [ModuleReport],
        input: JSONValue? = nil
    ) {
        self.caseId = caseId
        self.asOf = asOf
        self.caseDocument = caseDocument
        self.resolution = resolution
        self.modules = modules
        self.input = input
    }
}
