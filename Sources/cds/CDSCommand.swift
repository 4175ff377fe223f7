import ArgumentParser
import CDSCommandLine
import CSystemTuning

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
        version: cdsVersion,
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
        let arguments = Array(CommandLine.arguments.dropFirst())
        // `cds serve` and `cds evaluate` start for every connection and pipeline worker: their
        // options are parsed by their own command, not through the whole command tree, which
        // costs more (docs/performance.md, Start-up). Anything that command cannot parse, help
        // included, goes the usual way below, so every message and exit status is as ever.
        switch arguments.first {
        // Both load the Catalog: that begins now, beside the parsing (``EarlyCatalog``).
        case "serve":
            // glibc gives each allocating thread a malloc arena of its own, and every arena
            // keeps some of what it freed: with evaluation lanes that was 1-2 MiB of peak RSS.
            // Two arenas keep the server's footprint small at no measurable cost in throughput
            // (docs/performance.md); batch mode, where throughput is the point, keeps glibc's
            // default. Set before any thread (the early Catalog's first) allocates.
            _ = cds_limit_malloc_arenas(2)
            EarlyCatalog.begin(for: arguments.dropFirst())
            if runDirectly(ServeCommand.self, arguments.dropFirst()) { return }
        case "evaluate":
            EarlyCatalog.begin(for: arguments.dropFirst())
            if runDirectly(EvaluateCommand.self, arguments.dropFirst()) { return }
        // The HTTP service is its own executable; everything after `hooks serve`, help
        // included, is its to parse.
        case "hooks" where arguments.dropFirst().first == "serve":
            HooksExecutable.replaceProcess(arguments: Array(arguments.dropFirst(2)))
        default: break
        }
        if let message = SubcommandSuggestion.problem(in: arguments, root: CDSCommand.self) {
            StandardStreams.error("cds: error: \(message)")
            Glibc.exit(ExitStatus.usage.rawValue)
        }
        Self.main(nil)
    }

    /// Parses `arguments` as `command`'s alone and runs it, as `main` would; `false`, having
    /// run nothing, when they do not parse (the caller then takes the usual way).
    private static func runDirectly<C: ParsableCommand>(_ command: C.Type, _ arguments: ArraySlice<String>) -> Bool {
        guard var parsed = try? C.parse(Array(arguments)) else { return false }
        do {
            try parsed.run()
        } catch {
            Self.exit(withError: error)
        }
        return true
    }
}
