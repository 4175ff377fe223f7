import ArgumentParser
import CDSEngine

/// `cds catalog`: validate the Catalog and print its traceability report.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Work with the Catalog of clinical knowledge.",
        subcommands: [Check.self, Traceability.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate every Catalog file; print problems as `file: json-path: message` and exit 78 if there are any."
        )

        @OptionGroup var global: CatalogOptions

        func run() throws {
            global.prepare()
            let catalog = try global.loadCatalog()
            StandardStreams.output(
                "Catalog \(catalog.version) is valid: \(catalog.recommendations.count) recommendations, \(catalog.evidence.count) evidence records, "
                    + "\(catalog.sources.count) sources, \(catalog.phases.count) phases; sha256 \(catalog.digest)\n")
        }
    }

    struct Traceability: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "traceability",
            abstract: "Print the clinical traceability report (Markdown): each source sentence and the Catalog entries quoting it."
        )

        @OptionGroup var global: CatalogOptions

        func run() throws {
            global.prepare()
            StandardStreams.output(TraceabilityReport.markdown(for: try global.loadCatalog()))
        }
    }
}
