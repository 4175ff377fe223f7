import ArgumentParser
import CDSCommandLine
import CDSEngine
import CDSModuleAPI
import CDSRepl

#if canImport(Glibc)
    import Glibc
#endif

/// `cds repl`: explore cases interactively.
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Build a case fact by fact, evaluate it, ask why, try what-ifs (docs/repl.md).",
        discussion: """
            On a terminal: line editing, history in $XDG_STATE_HOME/cds/history (else \
            ~/.local/state/cds/history), tab completion, Ctrl-C to cancel the line, output \
            wrapped to the width and paged ($PAGER, else less -R) when taller than the screen. \
            With piped input: one command per line, no prompt; the exit status is 1 if any \
            command failed.
            """
    )

    @Option(
        help: ArgumentHelp(
            "Evaluate as of this date when the case has no assessmentDate (YYYY-MM-DD). Default: today (UTC).", valueName: "date"))
    var asOf: String?

    @Argument(help: ArgumentHelp("A case file to start from.", valueName: "case.json"), completion: .file(extensions: ["json"]))
    var casePath: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let asOf, CalendarDate(asOf) == nil { throw ValidationError("--as-of \(asOf): expected a date YYYY-MM-DD") }
    }

    func run() throws {
        global.prepare()
        let clock: any EngineClock = asOf.flatMap(CalendarDate.init).map(FixedClock.init) ?? SystemClock()
        let engine = try global.makeEngine(clock: clock)
        let interactive = isatty(0) == 1 && isatty(1) == 1
        let noColor = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
        let session = ReplSession(engine: engine, style: Style(colour: interactive && !noColor))
        if let casePath {
            let result = session.execute("load \(casePath)")
            StandardStreams.output(result.output + "\n")
            if result.failed { throw ExitStatus.caseUnreadable.code }
        }
        let succeeded: Bool
        if interactive {
            StandardStreams.output(
                "cds \(Engine.version), Catalog \(engine.catalog.version). Type 'help' for commands, Tab to complete, 'quit' to leave.\n")
            var source = EditorLineSource(
                prompt: "cds> ", historyPath: EditorLineSource.defaultHistoryPath(), completer: Completer(session: session))
            let presenter = Presenter(terminal: true)
            session.terminalWidth = { Presenter.size()?.columns }
            succeeded = runREPL(session, source: &source) { presenter.present($0) }
        } else {
            var source = PlainLineSource()
            succeeded = runREPL(session, source: &source) { StandardStreams.output($0) }
        }
        if !succeeded && !interactive { throw ExitStatus.checkFailed.code }
    }
}
