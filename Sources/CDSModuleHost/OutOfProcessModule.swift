import CDSEngine
import CDSJSON
import CDSModuleAPI
import CDSModuleProtocol
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// An external module, seen by the engine as any other ``AssessmentModule``.
///
/// Each `assess` is one request to the module process with the manifest's deadline. A
/// module that does not answer in time is stopped (SIGTERM, then SIGKILL, to its whole
/// process group); one that crashes, closes its output or answers with anything but a
/// well-formed reply is counted as failed. After a failure the process is restarted on a
/// later call, no sooner than the backoff delay, and held to its first handshake (same id,
/// version, API version and `reads`); after `failureThreshold` consecutive failures the
/// module is not called until the cooldown ends. Every failure surfaces as a thrown
/// ``ModuleError``, so the plan reports the module as failed with the reason. Nothing the
/// module wrote is quoted in a reason, and what it puts into the host's log is escaped.
///
/// A call is in two steps (``start(_:)`` sends, ``Call/finish()`` collects) so that the
/// engine can have every external module of an evaluation compute at once; the module is
/// held (one request at a time) from the first step to the second.
// @unchecked Sendable, because `mutex` is held across calls (``start(_:)`` to
// ``Call/finish()``, ``beginStopping(waiting:)`` to ``endStopping()``), which no scoped lock
// box can express: `state` (and the non-Sendable `ModuleProcess` in it) is read and written
// only with `mutex` held; every other stored property is an immutable `let` of a Sendable type.
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
        /// The request's text after the case for the last `asOf` sent (the same date from
        /// call to call, as a rule): written once, not per call.
        var tail: (asOf: CalendarDate, bytes: [UInt8])?
        /// The request's text before the case, rewritten in place for each call's id.
        var head: [UInt8] = []
    }

    /// Guards `state`; held from `start` to `finish` of a call, so not a scoped lock.
    private let mutex = Mutex()
    private var state: State

    /// Set by ``ExternalModules/terminateAll()``: no call is made or restarted any more.
    static let stopping = Locked(false)

    init(
        descriptor: ModuleDescriptor, manifest: ModuleManifest, catalog: CatalogView, policy: SupervisionPolicy, logger: Logger,
        process: ModuleProcess?, unavailable: String?
    ) {
        self.descriptor = descriptor
        self.manifest = manifest
        self.catalog = catalog
        self.policy = policy
        self.logger = logger
        var s = State()
        s.process = process
        self.state = s
        self.unavailableReason = unavailable
    }

    package func assess(_ facts: CaseFacts, context: AssessmentContext) throws -> [Proposal] {
        try start(HostedEvaluation(facts: facts, context: context)).finish()
    }

    /// One call: either already over (`outcome`), or sent and holding the module's mutex
    /// until ``finish()``.
    final class Call: HostedCall {
        private let module: OutOfProcessModule
        private var outcome: Result<[Proposal], ModuleError>?
        private let id: Int64
        private let deadline: Int64

        init(_ module: OutOfProcessModule, outcome: Result<[Proposal], ModuleError>?, id: Int64 = 0, deadline: Int64 = 0) {
            self.module = module
            self.outcome = outcome
            self.id = id
            self.deadline = deadline
        }

        func finish() throws -> [Proposal] {
            if outcome == nil {
                outcome = Result { () throws(ModuleError) in try module.collect(id: id, deadline: deadline) }
                module.mutex.unlock()
            }
            return try outcome?.get() ?? []
        }

        deinit {
            // A call never collected still releases the module (and fails it: its reply
            // would otherwise be read as the answer to the next request).
            if outcome == nil {
                if module.state.process != nil { _ = module.fail(&module.state, "the host abandoned the call") }
                module.mutex.unlock()
            }
        }
    }

    package func start(_ evaluation: HostedEvaluation) -> any HostedCall {
        mutex.lock()
        do throws(ModuleError) {
            let (id, deadline) = try send(evaluation)
            return Call(self, outcome: nil, id: id, deadline: deadline)
        } catch {
            mutex.unlock()
            return Call(self, outcome: .failure(error))
        }
    }

    /// Starts the process if needed and sends the request; the request id and its deadline.
    private func send(_ evaluation: HostedEvaluation) throws(ModuleError) -> (Int64, Int64) {
        if let reason = unavailableReason { throw ModuleError("did not start: \(reason)") }
        if Self.stopping.withLock({ $0 }) { throw ModuleError("not called: the host is stopping") }
        let now = Monotonic.milliseconds()
        if now < state.circuitOpenUntil {
            throw ModuleError(
                "not called: \(state.consecutiveFailures) consecutive failures, paused for \((state.circuitOpenUntil - now + 999) / 1000) s more; last: \(state.lastFailure)"
            )
        }
        if state.process == nil {
            if now < state.restartNotBefore {
                throw ModuleError("restarting after a failure in \(state.restartNotBefore - now) ms; last: \(state.lastFailure)")
            }
            do {
                let (process, started) = try Handshake.start(manifest, catalog: catalog, logger: logger)
                if let change = Self.handshakeChange(from: descriptor, to: started) {
                    process.terminate(grace: policy.terminationGraceMilliseconds)
                    throw ModuleError("refused the restarted module: \(change)")
                }
                state.process = process
            } catch let failure as Handshake.Failure {
                throw fail(&state, failure.description)
            } catch let error as ModuleError {
                throw fail(&state, error.message)
            } catch {
                throw fail(&state, "\(error)")
            }
        }
        guard let process = state.process else { throw ModuleError("no process") }
        let id = state.nextID
        state.nextID += 1
        process.beginEvaluation(label: manifest.id, logger: logger)
        let deadline = Monotonic.milliseconds() + Int64(manifest.timeoutMilliseconds)
        let tail: [UInt8]
        if let cached = state.tail, cached.asOf == evaluation.context.asOf {
            tail = cached.bytes
        } else {
            tail = Self.requestTail(evaluation)
            state.tail = (evaluation.context.asOf, tail)
        }
        Self.writeRequestHead(id: id, into: &state.head)
        // The case's bytes, shared by every module of the evaluation, are written from where
        // they are: the line goes out in three pieces, nothing copied.
        guard process.send(state.head, evaluation.caseJSON, tail, until: deadline) else {
            throw fail(
                &state,
                "did not take the request within \(manifest.timeoutMilliseconds) ms ("
                    + describeExit(process.waitForExit(milliseconds: 100)) + ")")
        }
        return (id, deadline)
    }

    /// How a restarted module's handshake differs from the first one, or nil if it does not.
    static func handshakeChange(from first: ModuleDescriptor, to restarted: ModuleDescriptor) -> String? {
        if restarted.id != first.id { return "it reports id \"\(ModuleText.escaped(restarted.id))\", first \"\(first.id)\"" }
        if restarted.version != first.version { return "it reports version \(restarted.version), first \(first.version)" }
        if restarted.apiVersion != first.apiVersion || !ModuleAPIVersion.current.canLoad(externalModuleBuiltAgainst: restarted.apiVersion) {
            return "it reports module API \(restarted.apiVersion), first \(first.apiVersion)"
        }
        if restarted.reads != first.reads {
            return "it reads " + ModuleText.escaped(restarted.reads.map(\.rawValue).joined(separator: " ")) + ", first "
                + first.reads.map(\.rawValue).joined(separator: " ")
        }
        return nil
    }

    /// The `assess` request line: ``writeRequestHead(id:into:)``, the case bytes
    /// (serialised once per evaluation), ``requestTail(_:)``. Calls send the three pieces
    /// as they are; this joins them (for tests).
    static func assessRequest(id: Int64, _ evaluation: HostedEvaluation) -> [UInt8] {
        var head: [UInt8] = []
        writeRequestHead(id: id, into: &head)
        return head + evaluation.caseJSON + requestTail(evaluation)
    }

    /// Makes `head` the request's text before the case: `{"jsonrpc":"2.0","id":N,"method":
    /// "assess","params":{"case":`, in the buffer `head` already has.
    static func writeRequestHead(id: Int64, into head: inout [UInt8]) {
        let start: StaticString = #"{"jsonrpc":"2.0","id":"#
        let end: StaticString = #","method":"assess","params":{"case":"#
        head.removeAll(keepingCapacity: true)
        head.append(contentsOf: UnsafeBufferPointer(start: start.utf8Start, count: start.utf8CodeUnitCount))
        head.append(contentsOf: String(id).utf8)
        head.append(contentsOf: UnsafeBufferPointer(start: end.utf8Start, count: end.utf8CodeUnitCount))
    }

    /// The request's text after the case: `,"context":{"asOf":"YYYY-MM-DD"}}}` and the newline.
    static func requestTail(_ evaluation: HostedEvaluation) -> [UInt8] {
        var context = JSONWriter(capacity: 32)
        context.object { w in w.member("asOf", string: evaluation.context.asOf.description) }
        return Array(#","context":"#.utf8) + context.bytes + Array("}}\n".utf8)
    }

    /// Receives and checks the reply to request `id`.
    private func collect(id: Int64, deadline: Int64) throws(ModuleError) -> [Proposal] {
        guard let process = state.process else { throw ModuleError("no process") }
        let received = process.receive(until: deadline)
        if case .line = received {
        } else if Self.stopping.withLock({ $0 }) {
            throw fail(&state, "not answered: the host is stopping, so the module was stopped")
        }
        switch received {
        case .timeout:
            throw fail(&state, "no answer within \(manifest.timeoutMilliseconds) ms; stopped it (SIGTERM, then SIGKILL)")
        case .closed:
            throw fail(&state, "closed its output during assess (" + describeExit(process.waitForExit(milliseconds: 1000)) + ")")
        case .tooLong:
            throw fail(&state, "answered with a line longer than 64 MiB")
        case .line(let bytes):
            // A reason never quotes what the module wrote: it may be case data, and reasons
            // reach the log and the plan.
            let reply: JSONValue
            do {
                reply = try JSONParser().parse(bytes)
            } catch {
                throw fail(&state, "answered with invalid JSON (byte \(error.offset) of a \(bytes.count)-byte line: \(error.message))")
            }
            guard reply["jsonrpc"] == "2.0", reply["id"] == .integer(id) else {
                throw fail(&state, "answered with something other than the reply to request \(id) (a \(bytes.count)-byte line)")
            }
            if let error = reply["error"] {
                // The module answered properly that it cannot assess this case.
                state.consecutiveFailures = 0
                let message =
                    error["message"]?.stringValue.map { ModuleText.escaped($0) }
                    ?? "error code \(error["code"]?.integerValue.map(String.init) ?? "missing")"
                throw ModuleError(message)
            }
            guard let list = reply["result"]?["proposals"]?.arrayValue else {
                throw fail(&state, "reply lacks result.proposals")
            }
            var proposals: [Proposal] = []
            for (i, item) in list.enumerated() {
                do {
                    proposals.append(try Proposal(protocolJSON: item))
                } catch {
                    throw fail(&state, "proposal \(i + 1): \(error.message)")
                }
            }
            state.consecutiveFailures = 0
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
        logger.warning(
            "external module failed",
            metadata: ["module": "\(descriptor.id)", "reason": "\(reason)", "consecutive": "\(s.consecutiveFailures)"])
        return ModuleError(reason)
    }

    /// Why the module could not start at host start, if it could not.
    package let unavailableReason: String?

    /// The executable the manifest names.
    package var location: String { manifest.executable }

    /// Ends the module process (shutdown, exit, then signals if needed).
    package func stop() {
        ExternalModules.stop([self], waitingForCalls: true)
    }

    /// First step of stopping: takes the module (waiting for a call in progress, or, if not
    /// `waiting`, leaving a module a call holds to be killed) and sends `shutdown`.
    /// True if the module is now held, for ``continueStopping()`` and ``endStopping()``.
    func beginStopping(waiting: Bool) -> Bool {
        if waiting {
            mutex.lock()
        } else if !mutex.tryLock() {
            // A call holds the module; the exit path then kills every group still alive
            // (``ModuleProcess/killAllGroups()``), which ends that call too.
            return false
        }
        if let process = state.process {
            _ = process.send(#"{"jsonrpc":"2.0","id":0,"method":"shutdown"}"#, until: Monotonic.milliseconds() + 500)
        }
        return true
    }

    /// Second step: reads the answer to `shutdown`, sends `exit` and closes the input.
    func continueStopping() {
        guard let process = state.process else { return }
        _ = process.receive(until: Monotonic.milliseconds() + 500)
        _ = process.send(#"{"jsonrpc":"2.0","method":"exit"}"#, until: Monotonic.milliseconds() + 500)
        process.closeInput()
    }

    /// Last step: waits for the process to end (then signals its group), releases the module.
    func endStopping() {
        state.process?.finish(grace: 1000)
        state.process = nil
        mutex.unlock()
    }
}

/// A pthread mutex that can be held across calls (``Locked`` only lends its value to a
/// closure).
// @unchecked Sendable: the pointer is allocated once in `init`, never reassigned and freed
// only in `deinit` (when no thread holds a reference); the pthread calls on it are thread-safe.
final class Mutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }
}

/// Starting a module process and negotiating the protocol.
enum Handshake {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// The module speaks a protocol major this host does not support.
        var incompatible = false
    }

    static func start(_ manifest: ModuleManifest, catalog: CatalogView, logger: Logger) throws(Failure) -> (ModuleProcess, ModuleDescriptor)
    {
        let process = try greet(manifest, request: request(catalog, version: ModuleProtocol.current), logger: logger)
        do {
            return (process, try answer(process, manifest: manifest))
        } catch {
            process.terminate()
            throw error
        }
    }

    /// The `initialize` request line.
    static func request(_ catalog: CatalogView, version: ProtocolVersion) -> String {
        let request: JSONValue = [
            "jsonrpc": "2.0", "id": 0, "method": .string(ModuleProtocol.initialize),
            "params": ["protocolVersion": version.json, "host": ["name": "cds"], "catalog": catalog.protocolJSON],
        ]
        return request.serialized()
    }

    /// Spawns the module and sends it `request` (the `initialize` line) without waiting for
    /// the answer, so that many modules can start at once.
    static func greet(_ manifest: ModuleManifest, request: String, logger: Logger) throws(Failure) -> ModuleProcess {
        let process: ModuleProcess
        do {
            process = try ModuleProcess.spawn(manifest.executable, manifest.arguments, label: manifest.id, logger: logger)
        } catch {
            throw Failure(description: error.description)
        }
        guard process.send(request) else {
            let failure = Failure(description: "exited before the handshake (" + describeExit(process.waitForExit(milliseconds: 500)) + ")")
            process.terminate()
            throw failure
        }
        return process
    }

    static func initialize(_ process: ModuleProcess, manifest: ModuleManifest, catalog: CatalogView, version: ProtocolVersion)
        throws(Failure) -> ModuleDescriptor
    {
        guard process.send(request(catalog, version: version)) else {
            throw Failure(description: "exited before the handshake (" + describeExit(process.waitForExit(milliseconds: 500)) + ")")
        }
        return try answer(process, manifest: manifest)
    }

    /// Reads and checks the answer to `initialize`.
    static func answer(_ process: ModuleProcess, manifest: ModuleManifest) throws(Failure) -> ModuleDescriptor {
        switch process.receive(until: Monotonic.milliseconds() + Int64(manifest.timeoutMilliseconds)) {
        case .timeout:
            throw Failure(description: "no answer to initialize within \(manifest.timeoutMilliseconds) ms")
        case .closed, .tooLong:
            throw Failure(description: "no answer to initialize (" + describeExit(process.waitForExit(milliseconds: 500)) + ")")
        case .line(let bytes):
            guard let reply = try? JSONParser().parse(bytes), reply["jsonrpc"] == "2.0", reply["id"] == 0 else {
                throw Failure(description: "answered initialize with something that is not its JSON-RPC reply (a \(bytes.count)-byte line)")
            }
            if let error = reply["error"] {
                let incompatible = error["code"]?.integerValue == ModuleProtocol.unsupportedVersion
                throw Failure(
                    description: "refused initialize: " + ModuleText.escaped(error["message"]?.stringValue ?? error.serialized()),
                    incompatible: incompatible)
            }
            guard let spoken = ProtocolVersion(json: reply["result"]?["protocolVersion"]) else {
                throw Failure(description: "initialize result lacks protocolVersion")
            }
            guard ModuleProtocol.supportedMajors.contains(spoken.major) else {
                throw Failure(
                    description:
                        "speaks module protocol \(spoken); this host supports major \(ModuleProtocol.supportedMajors.map(String.init).joined(separator: ", "))",
                    incompatible: true)
            }
            do {
                let descriptor = try ModuleDescriptor(protocolJSON: reply["result"]?["module"] ?? .null)
                guard descriptor.id == manifest.id else {
                    throw Failure(
                        description:
                            "reports id \"\(ModuleText.escaped(descriptor.id))\" but its manifest \(manifest.origin) says \"\(manifest.id)\""
                    )
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
