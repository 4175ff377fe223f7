import ArgumentParser
import CDSCommandLine
import CDSEngine

/// `cds catalog`: validate the Catalog and its knowledge packs, list their content, print
/// the assembled case schema and the traceability report.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Work with the Catalog of clinical knowledge and its knowledge packs.",
        subcommands: [Check.self, List.self, Schema.self, Traceability.self]
    )

    /// `--pack ID`: limit the output to one loaded pack.
    struct PackFilter: ParsableArguments {
        @Option(name: .customLong("pack"), help: ArgumentHelp("Only the pack with this id (see `cds catalog check`).", valueName: "id"))
        var id: String?

        /// The packs selected, or exit status 64 naming the loaded ones.
        func packs(of catalog: Catalog) throws -> [Catalog.Pack] {
            guard let id else { return catalog.packs }
            guard let pack = catalog.pack(id) else {
                StandardStreams.error(
                    "cds: error: no pack \"\(id)\" is loaded (loaded: \(catalog.packs.map(\.id).joined(separator: ", ")); --pack-dir DIR loads another)"
                )
                throw ExitStatus.usage.code
            }
            return [pack]
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract:
                "Validate the Catalog and every pack (each alone and against each other); print problems as `file: json-path: message` and exit 78 if there are any."
        )

        @OptionGroup var global: CatalogOptions

        func run() throws {
            global.prepare()
            let catalog = try global.loadCatalog()
            var text =
                "Catalog \(catalog.version) is valid: \(catalog.recommendations.count) recommendations, \(catalog.evidence.count) evidence records, "
                + "\(catalog.sources.count) sources, \(catalog.phases.count) phases; sha256 \(catalog.digest)\n"
            for p in catalog.packs {
                let count = catalog.recommendations.filter { $0.pack == p.id }.count
                text += "  pack \(p.id) \(p.version) (\(p.location)): \(count) recommendation\(count == 1 ? "" : "s"); sha256 \(p.sha256)\n"
            }
            StandardStreams.output(text)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Print every recommendation: id, pack, phase and title, in plan order within each pack."
        )

        @OptionGroup var filter: PackFilter
        @OptionGroup var global: CatalogOptions

        func run() throws {
            global.prepare()
            let catalog = try global.loadCatalog()
            let packs = Set(try filter.packs(of: catalog).map(\.id))
            var rows = [["ID", "PACK", "PHASE", "TITLE"]]
            for r in catalog.recommendations where packs.contains(r.pack) {
                rows.append([r.id.rawValue, r.pack, r.phase.rawValue, r.title])
            }
            StandardStreams.output(Table.render(rows))
        }
    }

    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "Print the case schema cases are validated with: the core schema with every pack's fragment merged in (JSON)."
        )

        @OptionGroup var global: CatalogOptions

        func run() throws {
            global.prepare()
            StandardStreams.output(try global.loadCatalog().caseSchemaDocument.serializedPretty() + "\n")
        }
    }

    struct Traceability: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "traceability",
            abstract: "Print the clinical traceability report (Markdown): per pack, each source sentence and the entries quoting it."
        )

        @OptionGroup var filter: PackFilter
        @OptionGroup var global: CatalogOptions

        func run() throws {
            global.prepare()
            let catalog = try global.loadCatalog()
            let packs = try filter.packs(of: catalog)
            StandardStreams.output(TraceabilityReport.markdown(for: catalog, pack: filter.id == nil ? nil : packs.first?.id))
        }
    }
}
