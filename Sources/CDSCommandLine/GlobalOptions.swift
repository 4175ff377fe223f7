import ArgumentParser
import CDSBuiltins
import CDSEngine
import CDSInterop
import CDSModuleHost
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The options of every command that reads the Catalog: where it is, and the log.
package struct CatalogOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The Catalog directory. Default: $CDS_CATALOG, else BINDIR/Catalog or BINDIR/../share/cds/Catalog beside the executable, else the Catalog of the package cds was built in (never ./Catalog).",
            valueName: "dir"), completion: .directory)
    package var catalog: String?

    @Option(
        name: .customLong("pack-dir"),
        help: ArgumentHelp(
            "A knowledge pack folder to load after the Catalog's own packs (docs/catalog.md); repeatable. External modules' manifests add theirs.",
            valueName: "dir"), completion: .directory)
    package var packs: [String] = []

    @Option(name: .long, help: ArgumentHelp("The least severe level of log line written on standard error.", valueName: "level"))
    package var logLevel: Logger.Level = .warning

    @Option(
        name: .long, help: ArgumentHelp("Log lines on standard error as text, or as json (one JSON object per line).", valueName: "format"))
    package var logFormat: LogFormat = .text

    package init() {}

    /// Sends logs to standard error (standard output carries results only) and ignores
    /// SIGPIPE, so a closed output is an error to handle rather than a silent death.
    package func prepare() {
        signal(SIGPIPE, SIG_IGN)
        // A file-size limit makes writes fail (EFBIG) instead of killing the process, so
        // the feedback log reports the failure and keeps its earlier lines.
        signal(SIGXFSZ, SIG_IGN)
        let level = logLevel
        switch logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }

    /// Loads the Catalog with its packs, the `--pack` ones and `extraPacks` (those of module
    /// manifests), or exits with status 78 and every problem on standard error.
    package func loadCatalog(extraPacks: [String] = []) throws -> Catalog {
        let found: CatalogLocator.Found
        switch CatalogLocator.locate(explicit: catalog) {
        case .success(let location): found = location
        case .failure(let message):
            StandardStreams.error("cds: error: \(message)")
            throw ExitStatus.configuration.code
        }
        let directory = found.directory
        do {
            let everyPack = packs + extraPacks
            let loaded: Catalog
            // Begun before the command line was parsed (serve, evaluate), when nothing in it
            // changes what loads.
            let early = everyPack.isEmpty && catalog == nil ? EarlyCatalog.take(directory: directory) : nil
            if let early {
                loaded = try early.get()
            } else {
                loaded = try Interop.loadCatalog(directory: directory, extraPacks: everyPack)
            }
            Logger(label: "cds").info(
                "Catalog loaded",
                metadata: [
                    "directory": "\(directory)", "found": "\(found.source)", "version": "\(loaded.version)", "sha256": "\(loaded.digest)",
                    "packs": "\(loaded.packs.map { "\($0.id) \($0.version)" }.joined(separator: ", "))",
                    "early": "\(early != nil)",
                ])
            return loaded
        } catch {
            for issue in error.issues {
                // Issues in the Catalog's own files are named from its directory; an extra
                // pack's are named by the path it was given as.
                let inside =
                    issue.file.map { f in !(packs + extraPacks).contains { f.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") } } ?? true
                StandardStreams.error("cds: error: " + (inside ? "Catalog \(directory)/\(issue)" : "\(issue)"))
            }
            StandardStreams.error(
                "cds: error: Catalog \(directory) is invalid (\(error.issues.count) problem\(error.issues.count == 1 ? "" : "s")); nothing was loaded"
            )
            throw ExitStatus.configuration.code
        }
    }
}

/// The options of every command that evaluates: the Catalog's, and the external modules
/// to load with the built-in ones.
package struct GlobalOptions: ParsableArguments {
    @OptionGroup package var base: CatalogOptions

    package init() {}

    @Option(
        name: .customLong("modules-dir"),
        help: ArgumentHelp("A directory of external module manifests (*.json); repeatable.", valueName: "dir"), completion: .directory)
    package var modulesDirectories: [String] = []

    @Option(
        name: .customLong("module-manifest"), help: ArgumentHelp("One external module manifest; repeatable.", valueName: "file"),
        completion: .file(extensions: ["json"]))
    package var moduleManifests: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("A configuration file naming a modules directory and manifests (docs/modules.md).", valueName: "file"),
        completion: .file())
    package var config: String?

    /// Logs to standard error; see ``CatalogOptions/prepare()``.
    package func prepare() { base.prepare() }

    /// The Catalog, or exit status 78; see ``CatalogOptions/loadCatalog()``.
    package func loadCatalog() throws -> Catalog { try base.loadCatalog() }

    /// An engine with the built-in modules and the configured external modules over the
    /// loaded Catalog. External module processes end when the host does (their input closes).
    /// The engine's start-up checks (``Engine/startupProblems``) must pass, or the command
    /// exits with status 78 listing them.
    package func makeEngine(clock: any EngineClock = SystemClock()) throws -> Engine {
        var configuration = ModuleConfiguration(directories: modulesDirectories, manifests: moduleManifests)
        var manifests: [ModuleManifest]
        do {
            if let config { try configuration.add(configurationFile: config) }
            manifests = try configuration.loadManifests()
        } catch {
            StandardStreams.error("cds: error: \(error)")
            throw ExitStatus.configuration.code
        }
        // The packs external modules ship load with the Catalog's, all or nothing.
        let catalog = try base.loadCatalog(extraPacks: manifests.compactMap(\.pack))
        for i in manifests.indices {
            if let folder = manifests[i].pack {
                let resolved = FileSystem.realPath(folder) ?? folder
                manifests[i].packID = catalog.packs.first { $0.location == resolved }?.id
            }
        }
        let external = ExternalModules.start(manifests, catalog: catalog.view, logger: Logger(label: "cds.modules"))
        external.stopAtExit()
        let engine = Engine(
            catalog: catalog, modules: BuiltinModules.all + external.modules, refusals: external.refusals,
            fallbackPriorities: external.priorities, clock: clock)
        let problems = engine.startupProblems
        guard problems.isEmpty else {
            for p in problems { StandardStreams.error("cds: error: \(p)") }
            StandardStreams.error(
                "cds: error: the modules do not fit the loaded packs (\(problems.count) problem\(problems.count == 1 ? "" : "s")); nothing was started"
            )
            throw ExitStatus.configuration.code
        }
        return engine
    }
}

// swift-format-ignore: AvoidRetroactiveConformances
// `--log-level` parses swift-log's own type; neither package conforms it, so the CLI does.
extension Logger.Level: @retroactive ExpressibleByArgument {}
