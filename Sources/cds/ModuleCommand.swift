import ArgumentParser
import CDSBuiltins
import CDSCommandLine
import CDSEngine
import CDSInterop
import CDSModuleAPI
import CDSModuleHost
import CDSModuleSDK
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `cds module`: tools for module authors.
struct ModuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module",
        abstract: "Build, check and run out-of-process assessment modules (docs/modules.md).",
        subcommands: [Check.self, New.self, ServeBuiltin.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract:
                "Run a module executable through the module protocol's conformance suite; given a manifest (module.json), also check its pack, start-up and golden vignettes. Exit 1 if any check fails."
        )

        @Option(help: ArgumentHelp("Deadline for each answer.", valueName: "ms"))
        var timeoutMs = 2000

        @Option(
            help: ArgumentHelp(
                "With a manifest: the golden vignettes (*.case.json with *.expected.json). Default: vignettes/, else Tests/vignettes/, beside the manifest.",
                valueName: "dir"), completion: .directory)
        var vignettes: String?

        @Argument(
            help: ArgumentHelp("The module executable, or its manifest (a .json file).", valueName: "executable|module.json"),
            completion: .file())
        var executable: String

        @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("Arguments for the executable.", valueName: "arguments"))
        var arguments: [String] = []

        @OptionGroup var global: CatalogOptions

        var isManifest: Bool { executable.hasSuffix(".json") }

        func validate() throws {
            if isManifest && !arguments.isEmpty {
                throw ValidationError(
                    "a manifest names its executable's arguments; nothing may follow \(executable) (options go before it: cds module check [OPTIONS] module.json)"
                )
            }
            if vignettes != nil && !isManifest { throw ValidationError("--vignettes needs a manifest (module.json)") }
        }

        func run() throws {
            global.prepare()
            let results: [ConformanceCheck.Result]
            if isManifest {
                results = try ManifestCheck(
                    manifestPath: executable, vignettes: vignettes, timeoutMilliseconds: timeoutMs, options: global
                ).run()
            } else {
                let catalog = try global.loadCatalog()
                let path = executable.contains("/") ? executable : (CommandPath.find(executable) ?? executable)
                results = ConformanceCheck(
                    executable: path, arguments: arguments, catalog: catalog.view, timeoutMilliseconds: timeoutMs,
                    logger: Logger(label: "cds.module-check")
                ).run()
            }
            var rows = [["CHECK", "RESULT", "DETAIL"]]
            for r in results { rows.append([r.name, r.passed ? "pass" : "FAIL", r.detail]) }
            let failed = results.filter { !$0.passed }.count
            StandardStreams.output(Table.render(rows) + "\(results.count - failed) passed, \(failed) failed\n")
            if failed > 0 { throw ExitStatus.checkFailed.code }
        }
    }

    struct ServeBuiltin: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve-builtin",
            abstract: "Run one built-in module out of process, over the module protocol (proves protocol parity)."
        )

        @Argument(help: ArgumentHelp("The module id, such as symptoms.", valueName: "id"))
        var id: String

        func run() throws {
            guard let module = BuiltinModules.all.first(where: { $0.descriptor.id == id }) else {
                StandardStreams.error(
                    "cds: error: no built-in module \"\(id)\" (built-in: \(BuiltinModules.all.map(\.descriptor.id).sorted().joined(separator: ", ")))"
                )
                throw ExitStatus.usage.code
            }
            ModuleServer.run(module)
        }
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "Create a Swift package for a new external module: its manifest, a knowledge-pack skeleton and golden-vignette tests."
        )

        @Argument(help: ArgumentHelp("The module's type name, such as HipSnapping.", valueName: "name"))
        var name: String

        @Option(help: ArgumentHelp("Where to create it (default: ./NAME).", valueName: "dir"))
        var directory: String?

        @Option(help: ArgumentHelp("The cds package providing CDSModuleSDK (default: the one this cds was built from).", valueName: "dir"))
        var sdk: String?

        func validate() throws {
            guard let first = name.unicodeScalars.first, ("A"..."Z").contains(first),
                name.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) })
            else { throw ValidationError("NAME must be UpperCamelCase letters and digits, such as HipSnapping") }
        }

        /// Why `id` cannot be the new module's (and its pack's and namespace's): a built-in
        /// module has it, or a pack of the default Catalog uses it as its id or a namespace.
        /// A Catalog that cannot be found or loaded is not checked here (`cds module check` is).
        func takenReason(_ id: String) -> String? {
            if BuiltinModules.all.contains(where: { $0.descriptor.id == id }) { return "is a built-in module's" }
            guard case .success(let found) = CatalogLocator.locate(explicit: nil),
                let catalog = try? Interop.loadCatalog(directory: found.directory)
            else { return nil }
            if let pack = catalog.packs.first(where: { $0.id == id || $0.namespaces.contains(id) }) {
                return "is already a namespace of pack \"\(pack.id)\" (Catalog \(found.directory))"
            }
            return nil
        }

        func run() throws {
            let target = directory ?? name
            guard let sdkRoot = sdk ?? CatalogLocator.packageRoot() else {
                StandardStreams.error("cds: error: cannot find the cds package; pass --sdk DIR")
                throw ExitStatus.configuration.code
            }
            let template = ModuleTemplate(name: name, sdkRoot: sdkRoot)
            if let taken = takenReason(template.moduleID) {
                StandardStreams.error("cds: error: module id \"\(template.moduleID)\" \(taken); choose another NAME")
                throw ExitStatus.usage.code
            }
            do {
                try template.write(to: target)
            } catch {
                StandardStreams.error("cds: error: \(error)")
                throw ExitStatus.cannotCreate.code
            }
            StandardStreams.output(
                """
                created \(target): Package.swift, Sources/\(name)/\(name).swift, module.json, pack/ (knowledge pack skeleton),
                  Tests/\(name)Tests (golden vignettes in Tests/vignettes)
                next: replace the placeholder recommendation \(template.placeholderID) in \(target)/pack
                  (recommendations.json, sources/source.txt and its sha256, traceability.json; docs/modules.md)
                then: cd \(target) && swift build && swift test && cds module check module.json
                then: cds evaluate --module-manifest \(target)/module.json CASE.json
                  (or cds serve --module-manifest \(target)/module.json)

                """)
        }
    }
}

enum CommandPath {
    /// The first executable named `name` on $PATH.
    static func find(_ name: String) -> String? {
        guard let path = getenv("PATH").map({ String(cString: $0) }) else { return nil }
        for dir in path.split(separator: ":") where access("\(dir)/\(name)", X_OK) == 0 {
            return "\(dir)/\(name)"
        }
        return nil
    }
}
