import ArgumentParser
import CDSCommandLine
import CDSEngine
import CDSJSON
import CDSModuleAPI

/// `cds validate CASE.json`: check a case against the published schema without evaluating it.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Check what cds evaluate would read, without evaluating: print `valid` or one `path: message` line per problem (status 65).",
        discussion: "Accepts what cds evaluate accepts: a case (`cds catalog schema`), a FHIR R4 Bundle or a CDS Hooks request."
    )

    @Argument(help: ArgumentHelp("The case document; - reads standard input.", valueName: "case.json"), completion: .file())
    var casePath: String

    @Option(help: ArgumentHelp("For FHIR input: the assessment date to map with (YYYY-MM-DD). Default: today (UTC).", valueName: "date"))
    var asOf: String?

    @OptionGroup var global: CatalogOptions

    func validate() throws {
        if let asOf, CalendarDate(asOf) == nil { throw ValidationError("--as-of \(asOf): expected a date YYYY-MM-DD") }
    }

    func run() throws {
        global.prepare()
        // Reading input needs the Catalog (schema, FHIR mapping), not the modules.
        let engine = Engine(catalog: try global.loadCatalog(), modules: [])
        let bytes = try CaseInput.readOrExit(casePath)
        let document: JSONValue
        do {
            document = try engine.caseReader.parser.parse(bytes)
        } catch {
            StandardStreams.output("/: invalid JSON at byte \(error.offset): \(error.message)\n")
            throw ExitStatus.invalidCase.code
        }
        switch CaseInput.evaluate(document, engine: engine, asOf: asOf.flatMap(CalendarDate.init)) {
        case .plan(let plan):
            StandardStreams.output(plan.input.flatMap { $0["format"]?.stringValue }.map { "valid (\($0))\n" } ?? "valid\n")
        case .problems(let problems):
            StandardStreams.output(problems.map { $0.isNote ? "note: \($0.text)\n" : "\($0.text)\n" }.joined())
            throw ExitStatus.invalidCase.code
        }
    }
}
