/// An assessment module: decision logic that reads a case and proposes Catalog recommendations.
///
/// This is the contract module authors implement; it is all they need to import.
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

    /// Reads the case and returns proposals. An empty array means "nothing to add".
    func assess(_ clinicalCase: ClinicalCase, context: AssessmentContext) throws -> [Proposal]
}

/// The identity of a module as the registry, the plan and `cds modules` show it.
public struct ModuleDescriptor: Sendable, Hashable {
    /// Stable identifier: lowercase letters, digits and `-`, such as `post-arthroplasty`.
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

    /// A descriptor; `apiVersion` defaults to the version the module is compiled against.
    public init(
        id: String,
        version: SemanticVersion,
        apiVersion: ModuleAPIVersion = .current,
        summary: String,
        reads: [FactPath]
    ) {
        self.id = id
        self.version = version
        self.apiVersion = apiVersion
        self.summary = summary
        self.reads = reads
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
