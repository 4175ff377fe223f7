import CDSBuiltins
import CDSCommandLine
import CDSEngine
import CDSInterop
import CDSJSON
import CDSModuleAPI
import CDSModuleHost
import Logging

/// `cds module check module.json`: what the host will do with the module, checked before an
/// operator loads it. One row per check:
///
/// - `manifest`: the manifest reads as the host reads it;
/// - `pack loads`: the Catalog with the module's pack (and any `--pack-dir`), loaded as the host
///   loads it (all or nothing; the issues go to standard error);
/// - `pack content`: no recommendation id of the pack still ends in `.placeholder-replace-me`
///   (the `cds module new` skeleton);
/// - the conformance suite (``ConformanceCheck``) on the manifest's executable;
/// - `start-up`: the host's start-up checks (``Engine/startupProblems``) for the module;
/// - `vignette NAME`: each golden vignette (`NAME.case.json`) evaluated by the host engine
///   with the module loaded: the module's proposals (recommendation and action, whether they
///   won or were superseded) are exactly those of `NAME.expected.json`.
struct ManifestCheck {
    typealias Result = ConformanceCheck.Result

    var manifestPath: String
    var vignettes: String?
    var timeoutMilliseconds: Int
    var options: CatalogOptions

    private var logger: Logger { Logger(label: "cds.module-check") }

    func run() throws -> [Result] {
        var results: [Result] = []
        var manifest: ModuleManifest
        do {
            manifest = try ModuleManifest.load(manifestPath)
        } catch {
            return [Result(name: "manifest", passed: false, detail: "\(error)")]
        }
        manifest.timeoutMilliseconds = timeoutMilliseconds
        results.append(
            Result(
                name: "manifest", passed: true,
                detail: "module \(manifest.id), executable \(manifest.executable)\(manifest.pack.map { ", pack \($0)" } ?? ", no pack")"))

        // The Catalog with the module's pack, as makeEngine loads it.
        let directory: String
        switch CatalogLocator.locate(explicit: options.catalog) {
        case .success(let found): directory = found.directory
        case .failure(let message):
            StandardStreams.error("cds: error: \(message)")
            throw ExitStatus.configuration.code
        }
        let extra = options.packs + (manifest.pack.map { [$0] } ?? [])
        var catalog: Catalog?
        do {
            catalog = try Interop.loadCatalog(directory: directory, extraPacks: extra)
        } catch {
            for issue in error.issues { StandardStreams.error("cds: error: \(issue)") }
            results.append(
                Result(
                    name: "pack loads", passed: false,
                    detail:
                        "\(error.issues.count) problem\(error.issues.count == 1 ? "" : "s") (on standard error); first: \(error.issues.first.map { "\($0)" } ?? "")"
                ))
        }
        if let catalog {
            if let folder = manifest.pack {
                let resolved = FileSystem.realPath(folder) ?? folder
                manifest.packID = catalog.packs.first { $0.location == resolved }?.id
            }
            results.append(packRow(catalog, manifest))
            results.append(placeholderRow(catalog, manifest))
        }

        // The conformance suite, with the Catalog the module will see (without its pack if
        // the pack did not load).
        let view = try catalog?.view ?? options.loadCatalog().view
        results += ConformanceCheck(
            executable: manifest.executable, arguments: manifest.arguments, catalog: view, timeoutMilliseconds: timeoutMilliseconds,
            logger: logger
        ).run()

        guard let catalog else {
            results.append(Result(name: "start-up", passed: false, detail: "not checked: the pack did not load"))
            return results
        }
        // The host as `makeEngine` builds it, with a fixed clock (2026-01-01) so that a vignette
        // without an assessmentDate gives the same plan every day.
        let external = ExternalModules.start([manifest], catalog: catalog.view, logger: logger)
        defer { external.stop() }
        let engine = Engine(
            catalog: catalog, modules: BuiltinModules.all + external.modules, refusals: external.refusals,
            fallbackPriorities: external.priorities, clock: FixedClock(CalendarDate(daysSinceEpoch: 20_454)))
        results.append(startupRow(engine, external, manifest))
        if let reason = external.refusals.first?.reason ?? external.modules.first?.unavailableReason {
            results.append(Result(name: "vignettes", passed: false, detail: "not run: the module did not start (\(reason))"))
            return results
        }
        results += vignetteRows(engine, manifest)
        return results
    }

    private func packRow(_ catalog: Catalog, _ manifest: ModuleManifest) -> Result {
        guard manifest.pack != nil else {
            return Result(name: "pack loads", passed: true, detail: "the manifest names no pack; Catalog \(catalog.version) loaded")
        }
        guard let id = manifest.packID, let pack = catalog.packs.first(where: { $0.id == id }) else {
            return Result(name: "pack loads", passed: false, detail: "the Catalog loaded but the module's pack is not among its packs")
        }
        let count = catalog.recommendations.filter { $0.pack == id }.count
        return Result(
            name: "pack loads", passed: true,
            detail:
                "pack \(pack.id) \(pack.version): \(count) recommendation\(count == 1 ? "" : "s"), with the Catalog's \(catalog.packs.count - 1) other pack\(catalog.packs.count == 2 ? "" : "s")"
        )
    }

    private func placeholderRow(_ catalog: Catalog, _ manifest: ModuleManifest) -> Result {
        guard let id = manifest.packID else {
            return Result(name: "pack content", passed: true, detail: "no pack of the module's own")
        }
        let placeholders = catalog.recommendations.filter { $0.pack == id && $0.id.rawValue.hasSuffix(ModuleTemplate.placeholderSuffix) }
        guard placeholders.isEmpty else {
            return Result(
                name: "pack content", passed: false,
                detail:
                    "pack \(id) still has the placeholder recommendation \(placeholders.map(\.id.rawValue).joined(separator: ", ")) of `cds module new`: replace it with a recommendation quoted from your source (id, title, text, quote; the source text, its sha256 and traceability.json; the module's proposal and the expected vignettes) before loading the module (docs/modules.md)"
            )
        }
        return Result(name: "pack content", passed: true, detail: "no placeholder recommendation left")
    }

    private func startupRow(_ engine: Engine, _ external: ExternalModules, _ manifest: ModuleManifest) -> Result {
        if let refusal = external.refusals.first {
            return Result(name: "start-up", passed: false, detail: refusal.reason)
        }
        if let reason = external.modules.first?.unavailableReason {
            return Result(name: "start-up", passed: false, detail: "did not start: \(reason)")
        }
        let mine = engine.startupProblems.filter { $0.contains("module \"\(manifest.id)\"") }
        guard mine.isEmpty else { return Result(name: "start-up", passed: false, detail: mine.joined(separator: "; ")) }
        let descriptor = external.modules.first?.descriptor
        return Result(
            name: "start-up", passed: true,
            detail:
                "the host starts with the module: pack \(descriptor?.pack ?? "none"), priority \(engine.policy.modulePriorities[manifest.id].map(String.init) ?? "?")"
        )
    }

    /// The vignettes folder: `--vignettes`, else `vignettes/`, else `Tests/vignettes/` beside
    /// the manifest.
    private var vignetteDirectory: String {
        if let vignettes { return vignettes }
        let base = manifestPath.contains("/") ? String(manifestPath[..<(manifestPath.lastIndex(of: "/") ?? manifestPath.endIndex)]) : "."
        let plain = base + "/vignettes"
        return FileSystem.directoryNames(plain) != nil ? plain : base + "/Tests/vignettes"
    }

    private func vignetteRows(_ engine: Engine, _ manifest: ModuleManifest) -> [Result] {
        let folder = vignetteDirectory
        guard let names = FileSystem.directoryNames(folder) else {
            return [
                Result(
                    name: "vignettes", passed: false,
                    detail: "cannot read \(folder): add golden vignettes (NAME.case.json, NAME.expected.json)")
            ]
        }
        let cases = names.filter { $0.hasSuffix(".case.json") }.sorted()
        guard !cases.isEmpty else {
            return [Result(name: "vignettes", passed: false, detail: "no *.case.json in \(folder): add at least one golden vignette")]
        }
        return cases.map { file in
            let name = String(file.dropLast(".case.json".count))
            return vignette(name, folder: folder, engine: engine, module: manifest.id)
        }
    }

    private func vignette(_ name: String, folder: String, engine: Engine, module: String) -> Result {
        let row = "vignette \(name)"
        func read(_ path: String) -> (value: JSONValue?, problem: String) {
            do {
                let bytes = try FileSystem.read(path, limit: CaseInput.limit)
                do {
                    return (try engine.caseReader.parser.parse(bytes), "")
                } catch {
                    return (nil, "\(path): invalid JSON at byte \(error.offset): \(error.message)")
                }
            } catch {
                return (nil, "\(path): cannot read: \(error.reason)")
            }
        }
        let casePath = folder + "/" + name + ".case.json"
        let expectedPath = folder + "/" + name + ".expected.json"
        let (caseValue, caseProblem) = read(casePath)
        let (expectedValue, expectedProblem) = read(expectedPath)
        guard let document = caseValue else { return Result(name: row, passed: false, detail: caseProblem) }
        guard let expected = expectedValue else { return Result(name: row, passed: false, detail: expectedProblem) }
        guard let list = expected["proposals"]?.arrayValue else {
            return Result(name: row, passed: false, detail: "\(expectedPath): expected {\"proposals\": [{\"recommendation\", \"action\"}]}")
        }
        var want: [String] = []
        for item in list {
            guard let id = item["recommendation"]?.stringValue else {
                return Result(name: row, passed: false, detail: "\(expectedPath): each proposal needs \"recommendation\" (an id)")
            }
            want.append(item["action"]?.stringValue.map { "\(id) \($0)" } ?? id)
        }
        let facts: CaseFacts
        do {
            facts = try engine.caseReader.read(document)
        } catch {
            return Result(
                name: row, passed: false,
                detail: "\(casePath) is not a valid case: \(error.issues.map(\.description).joined(separator: "; "))")
        }
        let plan = engine.evaluate(facts)
        if let report = plan.modules.first(where: { $0.descriptor.id == module }), report.status == .failed || report.status == .refused {
            return Result(name: row, passed: false, detail: "module \(report.status.rawValue): \(report.error ?? "")")
        }
        // The module's proposals, whether they made the plan or were superseded.
        let proposals =
            plan.resolution.recommendations.flatMap(\.sources).filter { $0.module == module }
            + plan.resolution.superseded.map(\.loser).filter { $0.module == module }
        // Compare as sorted lists; actions are compared where the expected file gives them.
        let gotKeys = proposals.map { p -> String in
            let item = list.first { $0["recommendation"]?.stringValue == p.proposal.recommendation.rawValue }
            return item?["action"] != nil ? "\(p.proposal.recommendation) \(p.proposal.action)" : p.proposal.recommendation.rawValue
        }.sorted()
        guard gotKeys == want.sorted() else {
            let shown = proposals.map { "\($0.proposal.recommendation) \($0.proposal.action)" }.sorted()
            return Result(
                name: row, passed: false,
                detail: "expected [\(want.sorted().joined(separator: ", "))], the module proposed [\(shown.joined(separator: ", "))]")
        }
        let superseded = plan.resolution.superseded.filter { $0.loser.module == module }.count
        return Result(
            name: row, passed: true,
            detail: want.isEmpty
                ? "no proposals, as expected"
                : "proposed \(want.sorted().joined(separator: ", "))\(superseded > 0 ? " (\(superseded) superseded in the plan)" : "")")
    }
}
