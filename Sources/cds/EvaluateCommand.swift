import ArgumentParser
import CDSEngine
import CDSJSON
import CDSModuleAPI

/// `cds evaluate CASE.json`: one case in, the merged and explained plan out.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a case file and print the plan as JSON (or, with --explain, as an account for people).",
        discussion: "The case format is Catalog/schema/case.schema.json; the plan format is described in docs/plan-format.md."
    )

    @Argument(help: ArgumentHelp("The case document; - reads standard input.", valueName: "case.json"))
    var casePath: String

    @Flag(help: "Print a human-readable explanation instead of JSON.")
    var explain = false

    @Flag(help: "Indent the JSON for reading.")
    var pretty = false

    @Option(help: ArgumentHelp("The date to evaluate as of when the case has no assessmentDate (YYYY-MM-DD). Default: today (UTC).", valueName: "date"))
    var asOf: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let asOf, CalendarDate(asOf) == nil {
            throw ValidationError("--as-of \(asOf): expected a date YYYY-MM-DD")
        }
    }

    func run() throws {
        global.prepare()
        let clock: any EngineClock = asOf.flatMap(CalendarDate.init).map(FixedClock.init) ?? SystemClock()
        let engine = try global.makeEngine(clock: clock)
        let bytes = try CaseInput.readOrExit(casePath)
        let clinicalCase: ClinicalCase
        do {
            clinicalCase = try engine.caseReader.read(bytes)
        } catch {
            for issue in error.issues { StandardStreams.error("cds: error: \(casePath): \(issue)") }
            throw ExitCode(65)
        }
        let plan = engine.evaluate(clinicalCase)
        let text: String
        if explain {
            text = plan.explanation(catalog: engine.catalog)
        } else {
            let json = plan.json(catalog: engine.catalog)
            text = (pretty ? json.serializedPretty() : json.serialized()) + "\n"
        }
        guard StandardStreams.output(text) else { throw ExitCode(74) }
    }
}
