import ArgumentParser
import CDSEngine

/// `cds validate CASE.json`: check a case against the published schema without evaluating it.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate a case against Catalog/schema/case.schema.json; print `valid` or one `path: message` line per problem (status 65)."
    )

    @Argument(help: ArgumentHelp("The case document; - reads standard input.", valueName: "case.json"))
    var casePath: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.prepare()
        let catalog = try global.loadCatalog()
        let bytes = try CaseInput.readOrExit(casePath)
        do {
            _ = try CaseReader(schema: catalog.caseSchema).read(bytes)
            StandardStreams.output("valid\n")
        } catch {
            StandardStreams.output(error.issues.map { "\($0)\n" }.joined())
            throw ExitCode(65)
        }
    }
}
