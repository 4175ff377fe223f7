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

    @Option(help: ArgumentHelp("Output: plan (docs/plan-format.md) or cds-hooks (a CDS Hooks 2.0 response, docs/ehr-integration.md).", valueName: "format"))
    var format = "plan"

    @Option(help: ArgumentHelp("The date to evaluate as of when the case has no assessmentDate (YYYY-MM-DD). Default: today (UTC).", valueName: "date"))
    var asOf: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard format == "plan" || format == "cds-hooks" else { throw ValidationError("--format must be plan or cds-hooks") }
        if let asOf, CalendarDate(asOf) == nil {
            throw ValidationError("--as-of \(asOf): expected a date YYYY-MM-DD")
        }
    }

    func run() throws {
        global.prepare()
        let clock: any EngineClock = asOf.flatMap(CalendarDate.init).map(FixedClock.init) ?? SystemClock()
        let engine = try global.makeEngine(clock: clock)
        let bytes = try CaseInput.readOrExit(casePath)
        let document: JSONValue
        do {
            document = try engine.caseReader.parser.parse(bytes)
        } catch {
            StandardStreams.error("cds: error: \(casePath): /: invalid JSON at byte \(error.offset): \(error.message)")
            throw ExitCode(65)
        }
        let date = asOf.flatMap(CalendarDate.init)
        let clinicalCase: ClinicalCase
        let report: FHIRCaseBuilder.Report?
        do {
            (clinicalCase, report) = try engine.readInput(document, asOf: date)
        } catch {
            if !error.missingFacts.isEmpty {
                StandardStreams.error("cds: error: \(casePath): facts needed for a decision are missing: \(error.missingFacts.joined(separator: ", "))")
                for note in error.report?.notes ?? [] { StandardStreams.error("cds: note: \(note)") }
            }
            for issue in error.issues where error.missingFacts.isEmpty || !issue.message.hasPrefix("missing required property") {
                StandardStreams.error("cds: error: \(casePath): \(issue)")
            }
            throw ExitCode(65)
        }
        var plan = engine.evaluate(clinicalCase, asOf: date)
        plan.input = report?.json
        let text: String
        if explain {
            text = plan.explanation(catalog: engine.catalog)
        } else if format == "cds-hooks" {
            let cards = plan.cdsHooksCards(catalog: engine.catalog, hookInstance: document["hookInstance"]?.stringValue)
            let json: JSONValue = ["cards": .array(cards.map(\.json))]
            text = (pretty ? json.serializedPretty() : json.serialized()) + "\n"
        } else {
            let json = plan.json(catalog: engine.catalog)
            text = (pretty ? json.serializedPretty() : json.serialized()) + "\n"
        }
        guard StandardStreams.output(text) else { throw ExitCode(74) }
    }
}
