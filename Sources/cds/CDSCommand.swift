import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// The `cds` executable: a thin front end over the engine.
@main
struct CDSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cds",
        abstract: "Clinical decision support for iliopsoas syndrome: assessment modules, a priority resolver, an explained plan.",
        discussion: ExitStatus.summary,
        version: "0.1.0",
        // Every command, nested ones too, names itself (`commandName:`): a name derived from
        // the type's name costs a reflection of the type at every start (docs/performance.md).
        subcommands: [
            ServeCommand.self, ReplCommand.self, EvaluateCommand.self, ValidateCommand.self, ModulesCommand.self, ModuleCommand.self,
            CatalogCommand.self, HooksCommand.self, FeedbackCommand.self,
        ]
    )

    /// argument-parser's entry point, after a check that names the nearest subcommand when
    /// the one typed does not exist.
    static func main() {
        if let message = SubcommandSuggestion.problem(in: Array(CommandLine.arguments.dropFirst()), root: CDSCommand.self) {
            StandardStreams.error("cds: error: \(message)")
            Glibc.exit(ExitStatus.usage.rawValue)
        }
        Self.main(nil)
    }
}
