#if canImport(Glibc)
    import Glibc
#endif
import CDSEngine
import CDSModuleAPI
import Logging

/// The external modules of a host: started and handshaken once, at start.
package struct ExternalModules: Sendable {
    /// Modules that run (including ones that failed to start: they report why in every plan).
    package var modules: [OutOfProcessModule] = []
    /// Modules refused at start (an unsupported protocol major).
    package var refusals: [ModuleRegistry.Refusal] = []
    /// Priorities from manifests, for modules the Catalog policy does not name.
    package var priorities: [String: Int] = [:]

    package init() {}

    /// Starts every module of `manifests`.
    package static func start(_ manifests: [ModuleManifest], catalog: CatalogView, policy: SupervisionPolicy = .init(), logger: Logger) -> ExternalModules {
        var result = ExternalModules()
        for manifest in manifests {
            if let p = manifest.priority { result.priorities[manifest.id] = p }
            let placeholder = ModuleDescriptor(
                id: manifest.id, version: SemanticVersion(0, 0, 0), summary: "external module \(manifest.executable)", reads: [])
            do {
                let (process, descriptor) = try Handshake.start(manifest, catalog: catalog, logger: logger)
                result.modules.append(
                    OutOfProcessModule(descriptor: descriptor, manifest: manifest, catalog: catalog, policy: policy, logger: logger, process: process, unavailable: nil))
                logger.info("external module started", metadata: ["module": "\(manifest.id)", "pid": "\(process.pid)"])
            } catch {
                if error.incompatible {
                    result.refusals.append(ModuleRegistry.Refusal(descriptor: placeholder, reason: "module \"\(manifest.id)\" \(error.description)"))
                } else {
                    result.modules.append(
                        OutOfProcessModule(descriptor: placeholder, manifest: manifest, catalog: catalog, policy: policy, logger: logger, process: nil, unavailable: error.description))
                }
                logger.error("external module did not start", metadata: ["module": "\(manifest.id)", "reason": "\(error.description)"])
            }
        }
        return result
    }

    /// Stops every module process.
    package func stop() {
        for module in modules { module.stop() }
    }

    /// Stops every module process when the host process exits, however it exits (return
    /// from main, `exit` from any thread), so that no module outlives its host, not even
    /// one that hangs and would never notice its input closing. A module in the middle of
    /// a call is killed (with its process group) rather than waited for. A host killed
    /// outright runs no exit code; the ``ProcessGuardian`` covers that case.
    package func stopAtExit() {
        ExitHook.modules.withLock { $0 += modules }
        ExitHook.install
    }

    /// Stops every external module of this process now, from any thread, without waiting
    /// for a module call in progress: each module's process group gets SIGKILL, so a call
    /// blocked on a hung module returns at once (the module is reported as failed, "the host
    /// is stopping"), and no module is called or restarted afterwards. For a host that is
    /// shutting down (SIGTERM, SIGINT): call it once reading has stopped, before waiting for
    /// the evaluations in flight. Returns the number of module process groups signalled.
    @discardableResult
    package static func terminateAll() -> Int {
        OutOfProcessModule.stopping.withLock { $0 = true }
        return ModuleProcess.killAllGroups()
    }
}

enum ExitHook {
    static let modules = Locked<[OutOfProcessModule]>([])
    static let install: Void = {
        atexit {
            for module in ExitHook.modules.withLock({ $0 }) { module.stopWithoutWaiting() }
            ModuleProcess.killAllGroups()
        }
    }()
}
