import CDSEngine
import CDSJSON
import CDSModuleAPI
import CDSModuleProtocol
import Logging

/// An external module, seen by the engine as any other ``AssessmentModule``.
///
/// Each `assess` is one request to the module process with the manifest's deadline. A
/// module that does not answer in time is stopped (SIGTERM, then SIGKILL); one that
/// crashes, closes its output or answers with anything but a well-formed reply is counted
/// as failed. After a failure the process is restarted on a later call, no sooner than the
/// backoff delay; after `failureThreshold` consecutive failures the module is not called
/// until the cooldown ends. Every failure surfaces as a thrown ``ModuleError``, so the plan
/// reports the module as failed with the reason.
package final class OutOfProcessModule: HostedModule, @unchecked Sendable {
    package let descriptor: ModuleDescriptor
    let manifest: ModuleManifest
    let catalog: CatalogView
    let policy: SupervisionPolicy
    let logger: Logger

    private struct State {
        var process: ModuleProcess?
        var nextID: Int64 = 1
        var consecutiveFailures = 0
        var lastFailure = ""
        var restartNotBefore: Int64 = 0
        var circuitOpenUntil: Int64 = 0
        var unavailable: String?
    }

    private let state: Locked<State>

    init(descriptor: ModuleDescriptor, manifest: ModuleManifest, catalog: CatalogView, policy: SupervisionPolicy, logger: Logger, process: ModuleProcess?, unavailable: String?) {
        self.descriptor = descriptor
        self.manifest = manifest
        self.catalog = catalog
        self.policy = policy
        self.logger = logger
        var s = State()
        s.process = process
        s.unavailable = unavailable
        self.state = Locked(s)
    }

    package func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] {
        try state.withLock { s throws(ModuleError) -> [Proposal] in
            if let reason = s.unavailable { throw ModuleError("did not start: \(reason)") }
            let now = Monotonic.milliseconds()
            if now < s.circuitOpenUntil {
                throw ModuleError("not called: \(s.consecutiveFailures) consecutive failures, paused for \((s.circuitOpenUntil - now + 999) / 1000) s more; last: \(s.lastFailure)")
            }
            if s.process == nil {
                if now < s.restartNotBefore {
                    throw ModuleError("restarting after a failure in \(s.restartNotBefore - now) ms; last: \(s.lastFailure)")
                }
                do {
                    let (process, started) = try Handshake.start(manifest, catalog: catalog, logger: logger)
                    guard started.id == descriptor.id else {
                        process.terminate(grace: policy.terminationGraceMilliseconds)
                        throw ModuleError("restarted module reports id \"\(started.id)\", expected \"\(descriptor.id)\"")
                    }
                    s.process = process
                } catch let failure as Handshake.Failure {
                    throw fail(&s, failure.description)
                } catch let error as ModuleError {
                    throw fail(&s, error.message)
                } catch {
                    throw fail(&s, "\(error)")
                }
            }
            return try call(&s, c, context)
        }
    }

    private func call(_ s: inout State, _ c: ClinicalCase, _ context: AssessmentContext) throws(ModuleError) -> [Proposal] {
        guard let process = s.process else { throw ModuleError("no process") }
        let id = s.nextID
        s.nextID += 1
        let request: JSONValue = [
            "jsonrpc": "2.0", "id": .integer(id), "method": .string(ModuleProtocol.assess),
            "params": ["case": c.document, "context": ["asOf": .string(context.asOf.description)]],
        ]
        let deadline = Monotonic.milliseconds() + Int64(manifest.timeoutMilliseconds)
        guard process.send(request.serialized(), until: deadline) else {
            throw fail(&s, "did not take the request within \(manifest.timeoutMilliseconds) ms (" + describeExit(process.waitForExit(milliseconds: 100)) + ")")
        }
        switch process.receive(until: deadline) {
        case .timeout:
            throw fail(&s, "no answer within \(manifest.timeoutMilliseconds) ms; stopped it (SIGTERM, then SIGKILL)")
        case .closed:
            throw fail(&s, "closed its output during assess (" + describeExit(process.waitForExit(milliseconds: 1000)) + ")")
        case .tooLong:
            throw fail(&s, "answered with a line longer than 64 MiB")
        case .line(let bytes):
            let reply: JSONValue
            do {
                reply = try JSONParser().parse(bytes)
            } catch {
                throw fail(&s, "answered with invalid JSON (byte \(error.offset): \(error.message)): " + String(decoding: bytes.prefix(80), as: UTF8.self))
            }
            guard reply["jsonrpc"] == "2.0", reply["id"] == .integer(id) else {
                throw fail(&s, "answered with something other than the reply to request \(id): " + String(decoding: bytes.prefix(80), as: UTF8.self))
            }
            if let error = reply["error"] {
                // The module answered properly that it cannot assess this case.
                s.consecutiveFailures = 0
                throw ModuleError(error["message"]?.stringValue ?? "error \(error.serialized())")
            }
            guard let list = reply["result"]?["proposals"]?.arrayValue else {
                throw fail(&s, "reply lacks result.proposals")
            }
            var proposals: [Proposal] = []
            for (i, item) in list.enumerated() {
                do {
                    proposals.append(try Proposal(protocolJSON: item))
                } catch {
                    throw fail(&s, "proposal \(i + 1): \(error.message)")
                }
            }
            s.consecutiveFailures = 0
            return proposals
        }
    }

    /// Records a failure, stops the process, and returns the error to throw.
    private func fail(_ s: inout State, _ reason: String) -> ModuleError {
        s.process?.terminate(grace: policy.terminationGraceMilliseconds)
        s.process = nil
        s.consecutiveFailures += 1
        s.lastFailure = reason
        let now = Monotonic.milliseconds()
        let backoff = min(policy.backoffMilliseconds << Int64(min(s.consecutiveFailures - 1, 20)), policy.maximumBackoffMilliseconds)
        s.restartNotBefore = now + backoff
        if s.consecutiveFailures >= policy.failureThreshold {
            s.circuitOpenUntil = now + policy.cooldownMilliseconds
        }
        logger.warning("external module failed", metadata: ["module": "\(descriptor.id)", "reason": "\(reason)", "consecutive": "\(s.consecutiveFailures)"])
        return ModuleError(reason)
    }

    /// Why the module could not start at host start, if it could not.
    package var unavailableReason: String? { state.withLock { $0.unavailable } }

    /// The executable the manifest names.
    package var location: String { manifest.executable }

    /// Ends the module process (shutdown, exit, then signals if needed).
    package func stop() {
        state.withLock { s in
            guard let process = s.process else { return }
            _ = process.send(#"{"jsonrpc":"2.0","id":0,"method":"shutdown"}"#, until: Monotonic.milliseconds() + 500)
            _ = process.receive(until: Monotonic.milliseconds() + 500)
            _ = process.send(#"{"jsonrpc":"2.0","method":"exit"}"#, until: Monotonic.milliseconds() + 500)
            process.finish(grace: 1000)
            s.process = nil
        }
    }
}

/// Starting a module process and negotiating the protocol.
enum Handshake {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// The module speaks a protocol major this host does not support.
        var incompatible = false
    }

    static func start(_ manifest: ModuleManifest, catalog: CatalogView, logger: Logger) throws(Failure) -> (ModuleProcess, ModuleDescriptor) {
        let process: ModuleProcess
        do {
            process = try ModuleProcess.spawn(manifest.executable, manifest.arguments, label: manifest.id, logger: logger)
        } catch {
            throw Failure(description: error.description)
        }
        do {
            let descriptor = try initialize(process, manifest: manifest, catalog: catalog, version: ModuleProtocol.current)
            return (process, descriptor)
        } catch {
            process.terminate()
            throw error
        }
    }

    static func initialize(_ process: ModuleProcess, manifest: ModuleManifest, catalog: CatalogView, version: ProtocolVersion) throws(Failure) -> ModuleDescriptor {
        let request: JSONValue = [
            "jsonrpc": "2.0", "id": 0, "method": .string(ModuleProtocol.initialize),
            "params": ["protocolVersion": version.json, "host": ["name": "cds"], "catalog": catalog.protocolJSON],
        ]
        guard process.send(request.serialized()) else {
            throw Failure(description: "exited before the handshake (" + describeExit(process.waitForExit(milliseconds: 500)) + ")")
        }
        switch process.receive(until: Monotonic.milliseconds() + Int64(manifest.timeoutMilliseconds)) {
        case .timeout:
            throw Failure(description: "no answer to initialize within \(manifest.timeoutMilliseconds) ms")
        case .closed, .tooLong:
            throw Failure(description: "no answer to initialize (" + describeExit(process.waitForExit(milliseconds: 500)) + ")")
        case .line(let bytes):
            guard let reply = try? JSONParser().parse(bytes), reply["jsonrpc"] == "2.0", reply["id"] == 0 else {
                throw Failure(description: "answered initialize with something that is not its JSON-RPC reply: " + String(decoding: bytes.prefix(80), as: UTF8.self))
            }
            if let error = reply["error"] {
                let incompatible = error["code"]?.integerValue == ModuleProtocol.unsupportedVersion
                throw Failure(description: "refused initialize: \(error["message"]?.stringValue ?? error.serialized())", incompatible: incompatible)
            }
            guard let spoken = ProtocolVersion(json: reply["result"]?["protocolVersion"]) else {
                throw Failure(description: "initialize result lacks protocolVersion")
            }
            guard ModuleProtocol.supportedMajors.contains(spoken.major) else {
                throw Failure(
                    description: "speaks module protocol \(spoken); this host supports major \(ModuleProtocol.supportedMajors.map(String.init).joined(separator: ", "))",
                    incompatible: true)
            }
            do {
                let descriptor = try ModuleDescriptor(protocolJSON: reply["result"]?["module"] ?? .null)
                guard descriptor.id == manifest.id else {
                    throw Failure(description: "reports id \"\(descriptor.id)\" but its manifest \(manifest.origin) says \"\(manifest.id)\"")
                }
                return descriptor
            } catch let error as ModuleProtocolError {
                throw Failure(description: "initialize result: \(error.message)")
            } catch let error as Failure {
                throw error
            } catch {
                throw Failure(description: "\(error)")
            }
        }
    }
}
