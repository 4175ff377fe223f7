import CDSEngine
import CDSJSON
import Logging

/// The transport-independent JSON-RPC 2.0 server: it turns framed lines into reply lines.
///
/// Work is split so that a server can read ahead while it evaluates, and evaluate several
/// requests at once: ``prepare(_:)`` (the reading side) parses and classifies a message and
/// applies cancellations at once; ``concurrentWork(for:)`` hands out the part of a request
/// to a concurrent method (`case/evaluate`) that may run on any thread, in parallel with
/// other requests; ``execute(_:computed:)`` (the session side) runs or completes a job and
/// returns the reply line. `execute` must be called from one thread at a time, in reading
/// order, which keeps replies in request order and session state (initialisation,
/// shutdown, cancellation, and the state of registered ``RPCMethodSet``s) sequential.
package final class RPCServerCore: Sendable {
    /// A unit of work handed from the reading side to the evaluating side.
    package enum Job: Sendable {
        /// Already answered while reading (parse errors and the like).
        case reply([UInt8])
        /// One message.
        case single(RPCMessage)
        /// A batch (answered with an array, or nothing if every member is a notification).
        case batch([RPCMessage])

        /// What the job counts for in the read-ahead budget (`maxInFlight`): a batch its
        /// members, anything else 1, so that a client that does not read holds as many
        /// messages in memory whether it sends them one per line or in batches.
        package var weight: Int {
            if case .batch(let messages) = self { return max(1, messages.count) }
            return 1
        }
    }

    /// What the session does next, as decided by the last executed job.
    package enum Lifecycle: Sendable, Equatable {
        case running
        /// `exit` arrived; the process should end with this status once replies are flushed.
        case exit(Int32)
    }

    package let engine: Engine
    package let configuration: ServerConfiguration
    package let cancellations = CancellationTracker()
    let logger: Logger
    private let parser: JSONParser
    private let methods: [String: RPCMethod]
    /// The method sets registered beyond the built-in methods, told of every reply sent.
    private let methodSets: [any RPCMethodSet]

    /// Evaluating-side state, touched only by `execute` (one thread at a time, so the lock is
    /// never contended; it is what lets the compiler check that the core is `Sendable`).
    private struct Session {
        var initialized = false
        var shutdownRequested = false
        var lifecycle: Lifecycle = .running
    }
    private let session = Locked(Session())

    var initialized: Bool {
        get { session.withLock { $0.initialized } }
        set { session.withLock { $0.initialized = newValue } }
    }
    var shutdownRequested: Bool {
        get { session.withLock { $0.shutdownRequested } }
        set { session.withLock { $0.shutdownRequested = newValue } }
    }
    package private(set) var lifecycle: Lifecycle {
        get { session.withLock { $0.lifecycle } }
        set { session.withLock { $0.lifecycle = newValue } }
    }

    /// A core answering the built-in methods and those of `methodSets` (a built-in method
    /// wins over a method set's method of the same name).
    package init(
        engine: Engine, configuration: ServerConfiguration = .init(), logger: Logger = Logger(label: "cds.server"),
        methodSets: [any RPCMethodSet] = []
    ) {
        self.engine = engine
        self.configuration = configuration
        self.logger = logger
        self.parser = configuration.parser
        var methods = Self.builtinMethods
        if configuration.specificationExamples {
            methods.merge(Self.specificationExampleMethods) { a, _ in a }
        }
        for set in methodSets { methods.merge(set.methods) { a, _ in a } }
        self.methods = methods
        self.methodSets = methodSets
    }

    /// The names of the methods this server answers.
    package var methodNames: [String] { methods.keys.sorted() }

    // MARK: reading side

    /// Parses and classifies one frame; `nil` for a blank line. Cancellation notifications
    /// take effect here, before any queued request runs.
    package func prepare(_ frame: LineFramer.Frame) -> Job? {
        let bytes: [UInt8]
        switch frame {
        case .tooLong(let limit):
            return .reply(Self.line(RPCMessage.response(id: .null, error: .messageTooLarge(limit: limit))))
        case .line(let line):
            bytes = line
        }
        if frame.isBlank { return nil }
        let value: JSONValue
        do {
            value = try parser.parse(bytes)
        } catch {
            logger.debug("unparseable message", metadata: ["error": "\(error)"])
            return .reply(Self.line(RPCMessage.response(id: .null, error: .parseError(error.message, offset: error.offset))))
        }
        switch value {
        case .array(let elements):
            if elements.isEmpty {
                return .reply(Self.line(RPCMessage.response(id: .null, error: .invalidRequest("an empty batch"))))
            }
            if elements.count > configuration.maxBatch {
                return .reply(
                    Self.line(
                        RPCMessage.response(
                            id: .null,
                            error: .invalidRequest("a batch of \(elements.count) messages exceeds the limit of \(configuration.maxBatch)")))
                )
            }
            let messages = elements.map(RPCMessage.init)
            messages.forEach(noteArrival)
            return .batch(messages)
        case .object:
            let message = RPCMessage(value)
            noteArrival(message)
            return .single(message)
        default:
            return .reply(
                Self.line(
                    RPCMessage.response(
                        id: .null, error: .invalidRequest("a message must be an object or an array, found \(value.typeName)"))))
        }
    }

    private func noteArrival(_ message: RPCMessage) {
        switch message {
        case .request(let id, _, _):
            cancellations.requestArrived(id)
        case .notification(let method, let params):
            if let id = Self.cancelledID(method: method, params: params) { cancellations.cancel(id) }
        default:
            break
        }
    }

    /// The request id a cancellation notification names (`$/cancelRequest` {id} or MCP's
    /// `notifications/cancelled` {requestId}).
    static func cancelledID(method: String, params: JSONValue?) -> JSONValue? {
        switch method {
        case "$/cancelRequest": params?["id"]
        case "notifications/cancelled": params?["requestId"]
        default: nil
        }
    }

    // MARK: concurrent side

    /// What a request computes before its turn: its whole reply line, or the error.
    package typealias Computed = Result<PreparedReply, RPCError>

    /// A successful request's reply, ready to send, and its result (for the method sets).
    package struct PreparedReply: Sendable {
        package var line: [UInt8]
        package var result: MethodResult
    }

    /// The part of `job` that may run now, on any thread, concurrently with other jobs:
    /// non-nil only for a single request to a method that reads no session state. Its
    /// value goes to ``execute(_:computed:)`` when the job's turn comes, which still
    /// applies cancellation and shutdown in order.
    package func concurrentWork(for job: Job) -> (@Sendable () -> Computed)? {
        guard case .single(.request(let id, let method, let params)) = job, let handler = methods[method], handler.concurrent,
            !method.hasPrefix("rpc.")
        else { return nil }
        return { [self] in
            let started = RequestLog.start(logger)
            do throws(RPCError) {
                let result = try handler.run(self, params)
                RequestLog.finish(logger, started, method: method, id: id, error: nil)
                return .success(PreparedReply(line: Response(id: id, outcome: .success(result)).line(), result: result))
            } catch {
                RequestLog.finish(logger, started, method: method, id: id, error: error)
                return .failure(error)
            }
        }
    }

    // MARK: session side

    /// How many members of a batch each lane computes per hand-off (``execute(_:computed:piece:parallel:)``).
    static let batchWindowPerLane = 16

    /// How many bytes of a batch reply are handed to `piece` at a time (see ``execute(_:computed:piece:)``).
    static let batchPieceBytes = 1 << 20

    /// Runs a job; returns the reply line (without newline), or `nil` when nothing is owed.
    /// `computed` is the result of the job's ``concurrentWork(for:)``, if it ran. With
    /// `piece`, a batch reply longer than ``batchPieceBytes`` is handed over in pieces as it
    /// is written (the returned line is then its rest), so that it is never whole in memory.
    /// With `parallel`, a batch's concurrent members (`case/evaluate`) are computed with
    /// it, ``batchWindowPerLane`` per lane at a time, ahead of their turn; cancellation and shutdown still
    /// apply to each in member order.
    package func execute(
        _ job: Job, computed: Computed? = nil, piece: ((_ bytes: [UInt8]) -> Void)? = nil,
        parallel: ((_ works: [@Sendable () -> Computed]) -> [Computed])? = nil
    ) -> [UInt8]? {
        switch job {
        case .reply(let line):
            return line
        case .single(let message):
            if let computed, case .request(let id, _, _) = message {
                return complete(id: id, computed)
            }
            return respond(to: message)?.line()
        case .batch(let messages):
            // Each member's response is written as soon as it is made, and then dropped:
            // a batch holds one result at a time, not all of them, besides its reply line.
            var w = JSONWriter(capacity: 1024)
            var answered = 0
            // Members computed ahead a window at a time: lanes busy, a bounded number of
            // results held (16 per lane: a batch of up to that many is one hand-off to the
            // lanes and back, not one per few members).
            let window = parallel == nil ? messages.count : Self.batchWindowPerLane * max(1, configuration.workers)
            w.array { w in
                var start = 0
                while start < messages.count {
                    let members = messages[start..<min(messages.count, start + window)]
                    start = members.endIndex
                    var computed = [Computed?](repeating: nil, count: members.count)
                    if let parallel {
                        let works = members.map { concurrentWork(for: .single($0)) }
                        let ahead = works.indices.filter { works[$0] != nil }
                        let results = parallel(ahead.compactMap { works[$0] })
                        for (i, result) in zip(ahead, results) { computed[i] = result }
                    }
                    for (message, result) in zip(members, computed) {
                        if let result, case .request(let id, _, _) = message {
                            let reply = complete(id: id, result)
                            if answered == 0 {
                                // Room for the rest at this member's size, once (up to a piece):
                                // growing the buffer member by member copies the reply again each time.
                                w.reserveCapacity(additional: min(Self.batchPieceBytes, (reply.count + 1) * messages.count))
                            }
                            w.splice(writtenValue: reply)
                            answered += 1
                        } else if let response = respond(to: message) {
                            response.write(to: &w)
                            answered += 1
                        }
                        if let piece, w.byteCount >= Self.batchPieceBytes { piece(w.takeBytes()) }
                    }
                }
            }
            return answered == 0 ? nil : w.bytes
        }
    }

    /// The turn of a request whose result was computed ahead: cancellation and shutdown
    /// still apply, in order, and method sets hear of a result only when its reply goes out.
    private func complete(id: JSONValue, _ computed: Computed) -> [UInt8] {
        if cancellations.start(id) { return Response(id: id, outcome: .failure(.requestCancelled)).line() }
        if shutdownRequested { return Response(id: id, outcome: .failure(.shuttingDown)).line() }
        switch computed {
        case .success(let reply):
            replySent(reply.result)
            return reply.line
        case .failure(let error):
            return Response(id: id, outcome: .failure(error)).line()
        }
    }

    private func replySent(_ result: MethodResult) {
        for set in methodSets { set.replySent(result) }
    }

    /// Parses, runs and answers one line at once (tests and simple embeddings).
    package func handle(_ line: String) -> String? {
        prepare(.line(Array(line.utf8))).flatMap { execute($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    private func respond(to message: RPCMessage) -> Response? {
        switch message {
        case .response:
            logger.debug("ignoring a response object sent to the server")
            return nil
        case .invalid(let error, let id):
            return Response(id: id, outcome: .failure(error))
        case .notification(let method, let params):
            notify(method, params)
            return nil
        case .request(let id, let method, let params):
            if cancellations.start(id) {
                return Response(id: id, outcome: .failure(.requestCancelled))
            }
            let started = RequestLog.start(logger)
            do throws(RPCError) {
                let result = try call(method, params)
                replySent(result)
                RequestLog.finish(logger, started, method: method, id: id, error: nil)
                return Response(id: id, outcome: .success(result))
            } catch {
                RequestLog.finish(logger, started, method: method, known: methods[method] != nil, id: id, error: error)
                return Response(id: id, outcome: .failure(error))
            }
        }
    }

    private func call(_ method: String, _ params: JSONValue?) throws(RPCError) -> MethodResult {
        guard let handler = methods[method], !method.hasPrefix("rpc.") else { throw .methodNotFound(method) }
        if shutdownRequested { throw .shuttingDown }
        return try handler.run(self, params)
    }

    private func notify(_ method: String, _ params: JSONValue?) {
        switch method {
        case "exit":
            lifecycle = .exit(shutdownRequested ? 0 : 1)
        case "$/cancelRequest", "notifications/cancelled", "initialized", "notifications/initialized":
            break
        default:
            if let handler = methods[method], handler.acceptsNotifications {
                _ = try? handler.run(self, params)
            } else {
                logger.debug("ignoring notification", metadata: ["method": "\(method)"])
            }
        }
    }

    /// A reply line for a value (replies made while reading), serialised by json-c.
    static func line(_ value: JSONValue) -> [UInt8] { JSONFragment(value).bytes }
}

/// One Response object: the request's id and its result or error.
struct Response {
    var id: JSONValue
    var outcome: Result<MethodResult, RPCError>

    /// The response as one line, written straight into the array returned, sized for the
    /// whole of it from the result's estimate (copied once only when the estimate fell short).
    func line() -> [UInt8] {
        let capacity = ((try? outcome.get().estimatedSize) ?? 0) + 256
        var grown: JSONWriter?
        let line = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let written = JSONWriter.write(into: buffer) { write(to: &$0) }
            initialized = written.count ?? 0
            grown = written.grown
        }
        return grown?.bytes ?? line
    }

    func write(to w: inout JSONWriter) {
        w.object { o in
            o.member("jsonrpc", string: "2.0")
            o.member("id", id)
            switch outcome {
            case .success(let r):
                o.key("result")
                r.write(&o)
            case .failure(let e): o.member("error", e.json)
            }
        }
    }
}

/// What a method returns: how to write its result, and what it hands to the registered
/// method sets (``RPCMethodSet/replySent(_:)``) when the reply is sent, in order.
///
/// A result is written straight into its reply's buffer (a plan is not serialised on its
/// own first and then copied into the response).
package struct MethodResult: Sendable {
    /// Writes the result value.
    package var write: @Sendable (inout JSONWriter) -> Void
    /// About how many bytes `write` writes (the reply buffer is sized from it).
    package var estimatedSize: Int
    /// Values for the method sets, which recognise their own by type (the cards a CDS
    /// Hooks response issued, for ``CDSHooksSession``); the core does not read them.
    package var attachments: [any Sendable] = []

    /// A result already serialised.
    package init(result: JSONFragment) {
        self.write = { $0.fragment(result) }
        self.estimatedSize = result.bytes.count
    }

    /// A result that `write` writes, about `estimatedSize` bytes.
    package init(estimatedSize: Int, write: @escaping @Sendable (inout JSONWriter) -> Void) {
        self.write = write
        self.estimatedSize = estimatedSize
    }

    /// The result alone, as one line.
    package func text() -> [UInt8] {
        var w = JSONWriter(capacity: estimatedSize + 1)
        write(&w)
        return w.bytes
    }
}

/// A method handler. `acceptsNotifications` marks methods that do work when called as a
/// notification (their result is discarded); others ignore notifications. `concurrent`
/// marks methods that read only immutable state (the engine, the configuration), so that
/// requests to them may run in parallel, ahead of their turn (``RPCServerCore/concurrentWork(for:)``).
package struct RPCMethod: Sendable {
    var acceptsNotifications = false
    var concurrent = false
    var run: @Sendable (RPCServerCore, JSONValue?) throws(RPCError) -> MethodResult

    /// A method whose result is a value (serialised by json-c).
    package init(acceptsNotifications: Bool = false, _ body: @escaping @Sendable (RPCServerCore, JSONValue?) throws(RPCError) -> JSONValue)
    {
        self.acceptsNotifications = acceptsNotifications
        self.run = { core, params throws(RPCError) in MethodResult(result: JSONFragment(try body(core, params))) }
    }

    /// A method that builds its own result.
    package init(concurrent: Bool, _ body: @escaping @Sendable (RPCServerCore, JSONValue?) throws(RPCError) -> MethodResult) {
        self.concurrent = concurrent
        self.run = body
    }
}

/// Methods registered with a server core beyond its built-in ones, with session state of
/// their own (for example ``CDSHooksSession``). The core calls the methods and
/// ``replySent(_:)`` only from its session side, one at a time, in reading order.
package protocol RPCMethodSet: AnyObject, Sendable {
    /// The methods, by name.
    var methods: [String: RPCMethod] { get }
    /// A successful reply with `result` went out (in reply order).
    func replySent(_ result: MethodResult)
}
