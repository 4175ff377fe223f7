import CDSJSON
@_spi(ConditionLibrary) import CDSModuleAPI

/// The iliopsoas condition library: the typed view of an iliopsoas case (``ClinicalCase``)
/// over the condition-agnostic module API, for modules that propose the iliopsoas pack's
/// recommendations.
public enum Iliopsoas {
    /// The id of the knowledge pack whose recommendations the iliopsoas modules propose.
    public static let pack = "iliopsoas"
}

/// An assessment module written against the typed iliopsoas case.
///
/// Conform to this protocol instead of ``AssessmentModule`` and implement
/// ``assess(_:context:)``: the default ``AssessmentModule/assess(_:context:)``
/// builds the typed case from the facts (once per evaluation, shared by every module of it)
/// and forwards. This is how a module written against module API 1.x migrates to 2.0:
/// `import IliopsoasCondition` and conform to `IliopsoasAssessmentModule`.
public protocol IliopsoasAssessmentModule: AssessmentModule {
    /// Reads the typed case and returns proposals. An empty array means "nothing to add".
    func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal]
}

extension IliopsoasAssessmentModule {
    /// Builds the typed case from `facts` (or takes the one already built in this evaluation)
    /// and forwards to ``assess(_:context:)``. Throws ``ModuleError`` when
    /// the document does not have the shape of the iliopsoas case model.
    public func assess(_ facts: CaseFacts, context: AssessmentContext) throws -> [Proposal] {
        try facts.withTypedView(ClinicalCase.self, build: ClinicalCase.build) { c in try assess(c, context: context) }
    }
}

extension CaseFacts {
    /// The typed iliopsoas case of these facts, built once per evaluation. Throws
    /// ``ModuleError`` when the validated document does not have the shape the case schema
    /// guarantees (the schema and this library out of step).
    public func clinicalCase() throws(ModuleError) -> ClinicalCase {
        try typedView(ClinicalCase.self, build: ClinicalCase.build)
    }
}

extension ClinicalCase {
    /// The typed case of a validated document, or the error that says the schema and this
    /// library are out of step.
    static func build(_ document: JSONValue) throws(ModuleError) -> ClinicalCase {
        guard let c = ClinicalCase(document: document) else {
            throw ModuleError(
                "the case passed the schema but does not match the iliopsoas case model (schema and condition library out of step)")
        }
        return c
    }
}
