import CDSEngine
import CDSModuleAPI
import CDSModuleProtocol
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The external modules of a host: started and handshaken once, at start.
package struct ExternalModules: Sendable {
    /// Modules that run (including ones that failed to start: they report why in every plan).
    package var modules: [OutOfProcessModule] = []
    /// Modules refused at start (an unsupported protocol major).
    package var refusals: [ModuleRegistry.Refusal] = []
    /// Priorities from manifests, for modules the Catalog policy does not name.
    package var priorities: [String: Int] = [:]

    package init() {}

    /// Starts every module of `manifests`: all are spawned and sent `initialize` first, then
    /// their answers are read in turn, so start-up takes as long as the slowest module, not
    /// the sum of all of them.
    package static func start(_ manifests: [ModuleManifest], catalog: CatalogView, policy: SupervisionPolicy = .init(), logger: Logger)
        -> ExternalModules
    {
        var result = ExternalModules()
        let request = Handshake.request(catalog, version: ModuleProtocol.current)
        var greeted: [Result<ModuleProcess, Handshake.Failure>] = []
        for manifest in manifests {
            greeted.append(Result { () throws(Handshake.Failure) in try Handshake.greet(manifest, request: request, logger: logger) })
        }
        for (manifest, greeting) in zip(manifests, greeted) {
            if let p = manifest.priority { result.priorities[manifest.id] = p }
            let placeholder = ModuleDescriptor(
                id: manifest.id, version: SemanticVersion(0, 0, 0), summary: "external module \(manifest.executable)", reads: [])
            do throws(Handshake.Failure) {
                let process = try greeting.get()
                var descriptor: ModuleDescriptor
                do {
                    descriptor = try Handshake.answer(process, manifest: manifest)
                    if descriptor.pack == nil { descriptor.pack = manifest.packID }
                } catch {
                    process.terminate()
                    throw error
                }
                result.modules.append(
                    OutOfProcessModule(
                        descriptor: descriptor, manifest: manifest, catalog: catalog, policy: policy, logger: logger, process: process,
                        unavailable: nil))
                logger.info("external module started", metadata: ["module": "\(manifest.id)", "pid": "\(process.pid)"])
            } catch {
                if error.incompatible {
                    result.refusals.append(
                        ModuleRegistry.Refusal(descriptor: placeholder, reason: "module \"\(manifest.id)\" \(error.description)"))
                } else {
                    result.modules.append(
                        OutOfProcessModule(
                            descriptor: placeholder, manifest: manifest, catalog: catalog, policy: policy, logger: logger, process: nil,
                            unavailable: error.description))
                }
                logger.error("external module did not start", metadata: ["module": "\(manifest.id)", "reason": "\(error.description)"])
            }
        }
        return result
    }

    /// Stops every module process (all are asked to shut down first, then each is waited for).
    package func stop() {
        Self.stop(modules, waitingForCalls: true)
    }

    /// Stops `modules` politely, in phases so that they end at the same time. With
    /// `waitingForCalls` false (exit paths), a module in the middle of a call is skipped,
    /// for the caller to kill (``ModuleProcess/killAllGroups()``), instead of waited for.
    static func stop(_ modules: [OutOfProcessModule], waitingForCalls: Bool) {
        let held = modules.filter { $0.beginStopping(waiting: waitingForCalls) }
        for module in held { module.continueStopping() }
        for module in held { module.endStopping() }
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
            ExternalModules.stop(ExitHook.modules.withLock { $0 }, waitingForCalls: false)
            ModuleProcess.killAllGroups()
        }
    }()
}
