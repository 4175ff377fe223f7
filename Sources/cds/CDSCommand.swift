import ArgumentParser

/// The `cds` executable: a thin front end over the engine.
@main
struct CDSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cds",
        abstract: "Clinical decision support for iliopsoas syndrome: assessment modules, a priority resolver, an explained plan.",
        discussion: """
            Exit status: 0 success; 64 usage error; 65 invalid case; 66 case file unreadable; \
            70 internal error; 78 Catalog invalid or not found.
            """,
        version: "0.1.0",
        // Every command, nested ones too, names itself (`commandName:`): a name derived from
        // the type's name costs a reflection of the type at every start (docs/performance.md).
        subcommands: [ServeCommand.self, ReplCommand.self, EvaluateCommand.self, ValidateCommand.self, ModulesCommand.self, ModuleCommand.self, CatalogCommand.self, HooksCommand.self, FeedbackCommand.self]
    )
}
