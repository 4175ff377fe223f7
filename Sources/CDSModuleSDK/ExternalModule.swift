@_exported import CDSModuleAPI

/// An assessment module that runs as its own executable and speaks the module protocol
/// (docs/module-protocol.md) on its standard input and output.
///
/// Write the module as for the host (``AssessmentModule``, or a condition library's
/// refinement such as `IliopsoasAssessmentModule`), add `init()`, mark the type `@main`, and
/// the SDK supplies `main()`: the handshake, version negotiation, the request loop, errors,
/// and protection of standard output. The module reads the case as ``CaseFacts`` limited to
/// its descriptor's `reads`.
///
/// ```swift
/// import CDSModuleSDK
///
/// @main
/// struct MyModule: ExternalModule {
///     init() {}
///     let descriptor = ModuleDescriptor(id: "my-module", version: SemanticVersion(1, 0, 0), summary: "...", reads: ["/extensions/my-pack"])
///     func assess(_ facts: CaseFacts, context: AssessmentContext) throws -> [Proposal] { [] }
/// }
/// ```
public protocol ExternalModule: AssessmentModule {
    /// The module as the SDK creates it at start.
    init()
}

extension ExternalModule {
    /// Runs the module protocol on standard input and output until `exit` or end of input.
    public static func main() {
        ModuleServer.run(Self())
    }
}
