import CDSJSON
@_spi(ConditionLibrary) import CDSModuleAPI

/// The assessment modules a host runs, checked once at start.
///
/// A module whose API version the host cannot load, or whose descriptor is malformed, is
/// kept as *refused* with the reason: it never runs, and every plan lists it, so a clinical
/// result never silently leaves a module out.
package struct ModuleRegistry: Sendable {
    /// A module that will run.
    package struct Entry: Sendable {
        package var module: any AssessmentModule
        package var descriptor: ModuleDescriptor
        /// The module as a ``HostedModule`` (an external one), found once at registration.
        package var hosted: (any HostedModule)?
    }

    /// A module that will not run, and why.
    package struct Refusal: Sendable, Hashable {
        package var descriptor: ModuleDescriptor
        package var reason: String

        package init(descriptor: ModuleDescriptor, reason: String) {
            self.descriptor = descriptor
            self.reason = reason
        }
    }

    /// Modules that run, sorted by id (evaluation order never depends on registration order).
    package private(set) var modules: [Entry] = []
    /// Modules refused at registration, sorted by id.
    package private(set) var refused: [Refusal] = []
    /// The module API version of this host.
    package let hostAPIVersion: ModuleAPIVersion
    /// Whether any module that runs is a ``HostedModule``.
    package private(set) var hasHosted = false

    /// Registers `candidates`; `refusals` are modules refused before registration (such as
    /// external modules speaking an unsupported protocol), kept so every plan lists them.
    package init(_ candidates: [any AssessmentModule], refusals: [Refusal] = [], hostAPIVersion: ModuleAPIVersion = .current) {
        self.hostAPIVersion = hostAPIVersion
        self.refused = refusals
        var seen: Set<String> = Set(refusals.map(\.descriptor.id))
        for module in candidates {
            let d = module.descriptor
            if let reason = Self.problem(with: d, host: hostAPIVersion, seen: seen, external: module is any HostedModule) {
                refused.append(Refusal(descriptor: d, reason: reason))
                continue
            }
            seen.insert(d.id)
            modules.append(Entry(module: module, descriptor: d, hosted: module as? any HostedModule))
        }
        modules.sort { $0.descriptor.id < $1.descriptor.id }
        hasHosted = modules.contains { $0.hosted != nil }
        refused.sort { ($0.descriptor.id, $0.reason) < ($1.descriptor.id, $1.reason) }
    }

    private static func problem(with d: ModuleDescriptor, host: ModuleAPIVersion, seen: Set<String>, external: Bool) -> String? {
        if !isIdentifier(d.id, allowDots: false) {
            return "module id \"\(d.id)\" is not lowercase letters, digits and '-'"
        }
        if seen.contains(d.id) {
            return "another module already has id \"\(d.id)\""
        }
        // External modules of module API 1.x still load: their wire contract is unchanged.
        if external ? !host.canLoad(externalModuleBuiltAgainst: d.apiVersion) : !host.canLoad(moduleBuiltAgainst: d.apiVersion) {
            return
                "module \"\(d.id)\" \(d.version) was built against module API \(d.apiVersion); this host speaks \(host) and loads \(host.major).0 through \(host)"
                + (external ? " (external modules: also \(ModuleAPIVersion.externalMajors.lowerBound).x)" : "")
        }
        for fact in d.reads where !fact.isValidPointer {
            return "module \"\(d.id)\" declares an invalid fact path \"\(fact)\" (expected a JSON Pointer such as /symptoms)"
        }
        return nil
    }
}

extension FactPath {
    /// Whether the path is a JSON Pointer into the case (starts with `/`, valid escapes).
    var isValidPointer: Bool { rawValue.utf8.first == UInt8(ascii: "/") && JSONPointer.isValid(rawValue) }
}

/// What a host knows about a module beyond its descriptor. Built-in modules do not
/// conform (they are in process and always available); external modules do.
package protocol HostedModule: AssessmentModule {
    /// Why the module could not start, if it could not.
    var unavailableReason: String? { get }
    /// Where it runs, such as the executable's path.
    var location: String { get }
    /// Sends the case to the module and returns without waiting for the answer, which
    /// ``HostedCall/finish()`` collects: the engine starts every hosted module of an
    /// evaluation before collecting any, so they compute at the same time.
    func start(_ evaluation: HostedEvaluation) -> any HostedCall
}

/// A hosted module's call in progress.
package protocol HostedCall: AnyObject {
    /// Waits for the module's answer (within its deadline) and returns its proposals.
    func finish() throws -> [Proposal]
}

/// What every hosted module of one evaluation is sent: the case is serialised once, when
/// the first module needs it, not once per module.
package final class HostedEvaluation {
    /// The case; external modules receive its whole document, as in module protocol 1.x.
    package let facts: CaseFacts
    package let context: AssessmentContext
    /// The case document as JSON text (no insignificant whitespace).
    package private(set) lazy var caseJSON: [UInt8] = {
        var writer = JSONWriter(capacity: 8192)
        writer.value(facts.document)
        return writer.bytes
    }()

    package init(facts: CaseFacts, context: AssessmentContext) {
        self.facts = facts
        self.context = context
    }
}

extension ModuleRegistry.Entry {
    /// `built-in` or `external`.
    package var kind: String { module is any HostedModule ? "external" : "built-in" }
    /// `loaded`, or `not started: reason` for an external module that could not start.
    package var state: String {
        (module as? any HostedModule)?.unavailableReason.map { "not started: \($0)" } ?? "loaded"
    }
}
