import ArgumentParser
import CDSCommandLine
import CDSEngine
import CDSInterop
import CDSJSON
import CDSModuleAPI
import CDSModuleHost
import CDSServer
import CSystemTuning

#if canImport(Glibc)
    import Glibc
#endif

/// `cds evaluate CASE.json`: one case in, the merged and explained plan out.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        // `CDSCommand.main` parses this command as a root of its own, first: a super-command
        // name makes argument-parser skip its check for `--generate-completion-script`
        // (half of the parse's cost; the full tree handles that option, as anything this
        // command alone cannot parse). Under `cds`, as a subcommand, it changes nothing.
        _superCommandName: "cds",
        abstract: "Evaluate a case file and print the plan as JSON (or, with --explain, as an account for people).",
        discussion: """
            The case format is `cds catalog schema`; the plan format is described in docs/plan-format.md.

            With --batch the input holds one case per line (NDJSON) and the output one plan per line, in input order, \
            evaluated on every processor at once; a line that cannot be evaluated gives {"line":N,"error":{...}} instead. \
            Exit status: 0 when every line was evaluated, 65 when some line was not, 74 when the output was closed \
            early (| head) or input could not be read, 143 when stopped by SIGTERM (every line read before it is still \
            answered). Progress on standard error when it is a terminal; a summary line at the end.

            With --bulk the argument is a FHIR Bulk Data export folder (docs/bulk-data.md): one line per patient, \
            {"patient":ID,"plan":...} or {"patient":ID,"error":{...}}, in patient id order, same exit statuses.
            """
    )

    @Argument(
        help: ArgumentHelp(
            "The case document (with --batch: one per line; with --bulk: the export folder); - reads standard input.",
            valueName: "case.json"), completion: .file())
    var casePath: String

    @Flag(help: "Read one case per line (NDJSON) and write one plan per line, in order, using every processor.")
    var batch = false

    @Flag(help: "Read a FHIR Bulk Data export folder and write one line per patient, in patient id order (docs/bulk-data.md).")
    var bulk = false

    @Option(
        help: ArgumentHelp(
            "With --bulk: MiB of export lines held in memory while grouping; beyond, sorted runs go to temporary files.", valueName: "MiB"))
    var memoryBudget = 64

    @Option(help: ArgumentHelp("With --bulk: where the temporary files go. Default: $TMPDIR or /tmp.", valueName: "dir"))
    var tempDir: String?

    @Option(help: ArgumentHelp("With --batch or --bulk: evaluation lanes. Default: the number of online processors.", valueName: "count"))
    var workers = ServerConfiguration.onlineProcessors

    @Option(help: ArgumentHelp("With --batch: most lines read ahead of the one being written.", valueName: "count"))
    var maxInFlight = BatchEvaluator.Configuration().maxInFlight

    @Flag(help: "Print a human-readable explanation instead of JSON.")
    var explain = false

    @Flag(help: "Indent the JSON for reading.")
    var pretty = false

    @Option(
        help: ArgumentHelp(
            "Output: plan (docs/plan-format.md) or cds-hooks (a CDS Hooks 2.0 response, docs/ehr-integration.md).", valueName: "format"),
        completion: .list(["plan", "cds-hooks"]))
    var format = "plan"

    @Option(
        help: ArgumentHelp(
            "The date to evaluate as of when the case has no assessmentDate (YYYY-MM-DD). Default: today (UTC).", valueName: "date"))
    var asOf: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard format == "plan" || format == "cds-hooks" else { throw ValidationError("--format must be plan or cds-hooks") }
        if bulk { try validateBulk() }
        if batch {
            guard !pretty && !explain else {
                throw ValidationError("--batch writes one JSON document per line: not with --pretty or --explain")
            }
            guard (1...256).contains(workers) else { throw ValidationError("--workers must be within 1...256") }
            guard (1...1_000_000).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be within 1...1000000") }
        }
        if let asOf, CalendarDate(asOf) == nil {
            throw ValidationError("--as-of \(asOf): expected a date YYYY-MM-DD")
        }
    }

    func run() throws {
        global.prepare()
        let clock: any EngineClock = asOf.flatMap(CalendarDate.init).map(FixedClock.init) ?? SystemClock()
        let engine = try global.makeEngine(clock: clock)
        if bulk { try runBulk(engine) }
        if batch { try runBatch(engine) }
        let bytes = try CaseInput.readOrExit(casePath)
        let document: JSONValue
        do {
            document = try engine.caseReader.parser.parse(bytes)
        } catch {
            StandardStreams.error("cds: error: \(casePath): /: invalid JSON at byte \(error.offset): \(error.message)")
            throw ExitStatus.invalidCase.code
        }
        let date = asOf.flatMap(CalendarDate.init)
        let plan: Plan
        switch CaseInput.evaluate(document, engine: engine, asOf: date) {
        case .plan(let p): plan = p
        case .problems(let problems):
            for p in problems { StandardStreams.error(p.isNote ? "cds: note: \(p.text)" : "cds: error: \(casePath): \(p.text)") }
            throw ExitStatus.invalidCase.code
        }
        let text: String
        if explain {
            text = plan.explanationWithInput(catalog: engine.catalog)
        } else if format == "cds-hooks" {
            let cards = plan.cdsHooksCards(catalog: engine.catalog, hookInstance: document["hookInstance"]?.stringValue)
            let json: JSONValue = ["cards": .array(cards.map(\.json))]
            text = (pretty ? json.serializedPretty() : json.serialized()) + "\n"
        } else if pretty {
            text = plan.json(catalog: engine.catalog).serializedPretty() + "\n"
        } else {
            text = String(decoding: plan.jsonText(catalog: engine.catalog), as: UTF8.self) + "\n"
        }
        guard StandardStreams.output(text) else { throw ExitStatus.inputOutput.code }
    }

    /// `--batch`: the whole input, line by line, on every lane; exits with the batch status.
    private func runBatch(_ engine: Engine) throws -> Never {
        let input: Int32
        if casePath == "-" {
            input = 0
        } else {
            input = open(casePath, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else {
                StandardStreams.error("cds: error: \(casePath): cannot open: \(String(cString: strerror(errno)))")
                throw ExitStatus.caseUnreadable.code
            }
        }
        let protocolOutput = ProtocolOutput.claimStandardOutput()
        // A reader on the other end of a pipe is woken once per pipe-full: a 1 MiB pipe
        // instead of 64 KiB means far fewer wake-ups on both sides at high throughput.
        _ = cds_grow_pipe(protocolOutput, 1 << 20)
        var configuration = BatchEvaluator.Configuration()
        configuration.request = EvaluationRequest(format: format == "cds-hooks" ? .cdsHooks : .plan, asOf: asOf.flatMap(CalendarDate.init))
        configuration.workers = workers
        configuration.maxInFlight = maxInFlight
        let progress = BatchProgress(input: input)
        configuration.progress = { progress.update(evaluated: $0, failed: $1) }
        configuration.onShutdownSignal = { _ = ExternalModules.terminateAll() }
        let summary = BatchEvaluator(engine: engine, configuration: configuration).run(input: input, output: protocolOutput)
        progress.finish(evaluated: summary.evaluated, failed: summary.failed)
        throw ExitCode(summary.exitStatus)
    }
}
