import CDSEngine
import CDSJSON
import Logging

/// The transport-independent JSON-RPC 2.0 server: it turns framed lines into reply lines.
///
/// Work is split in two so that a server can read ahead while it evaluates:
/// ``prepare(_:)`` (the reading side) parses and classifies a message and applies
/// cancellations at once; ``execute(_:)`` (the evaluating side) runs it and returns the
/// reply line. `execute` must be called from one thread at a time, in reading order,
/// which keeps replies in request order.
package final class RPCServerCore: @unchecked Sendable {
    /// A unit of work handed from the reading side to the evaluating side.
    package enum Job: Sendable {
        /// Already answered while reading (parse errors and the like).
        case reply(String)
        /// One message.
        case single(RPCMessage)
        /// A batch (answered with an array, or nothing if every member is a notification).
        case batch([RPCMessage])
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
    private let methods: [String: Method]

    // Evaluating-side state, touched only by `execute`.
    var initialized = false
    var shutdownRequested = false
    /// Cards this session returned (uuid -> recommendation), for feedback. Bounded: when it
    /// reaches `maxIssuedCards` it starts over, and older cards become unknown.
    var issuedCards: [String: String] = [:]
    static let maxIssuedCards = 100_000
    package private(set) var lifecycle: Lifecycle = .running

    package init(engine: Engine, configuration: ServerConfiguration = .init(), logger: Logger = Logger(label: "cds.server")) {
        self.engine = engine
        self.configuration = configuration
        self.logger = logger
        self.parser = configuration.parser
        var methods = Self.builtinMethods
        if configuration.specificationExamples {
            methods.merge(Self.specificationExampleMethods) { a, _ in a }
        }
        self.methods = methods
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
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
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
                return .reply(Self.line(RPCMessage.response(id: .null, error: .invalidRequest("a batch of \(elements.count) messages exceeds the limit of \(configuration.maxBatch)"))))
            }
            let messages = elements.map(RPCMessage.init)
            messages.forEach(noteArrival)
            return .batch(messages)
        case .object:
            let message = RPCMessage(value)
            noteArrival(message)
            return .single(message)
        default:
            return .reply(Self.line(RPCMessage.response(id: .null, error: .invalidRequest("a message must be an object or an array, found \(value.typeName)"))))
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

    // MARK: evaluating side

    /// Runs a job; returns the reply line (without newline), or `nil` when nothing is owed.
    package func execute(_ job: Job) -> String? {
        switch job {
        case .reply(let line):
            return line
        case .single(let message):
            return respond(to: message).map(Self.line)
        case .batch(let messages):
            let replies = messages.compactMap(respond(to:))
            return replies.isEmpty ? nil : Self.line(.array(replies))
        }
    }

    /// Parses, runs and answers one line at once (tests and simple embeddings).
    package func handle(_ line: String) -> String? {
        prepare(.line(Array(line.utf8))).flatMap(execute)
    }

    private func respond(to message: RPCMessage) -> JSONValue? {
        switch message {
        case .response:
            logger.debug("ignoring a response object sent to the server")
            return nil
        case .invalid(let error, let id):
            return RPCMessage.response(id: id, error: error)
        case .notification(let method, let params):
            notify(method, params)
            return nil
        case .request(let id, let method, let params):
            if cancellations.start(id) {
                return RPCMessage.response(id: id, error: .requestCancelled)
            }
            do {
                return RPCMessage.response(id: id, result: try call(method, params))
            } catch {
                return RPCMessage.response(id: id, error: error)
            }
        }
    }

    private func call(_ method: String, _ params: JSONValue?) throws(RPCError) -> JSONValue {
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

    static func line(_ value: JSONValue) -> String { value.serialized() }
}

/// A method handler. `acceptsNotifications` marks methods that do work when called as a
/// notification (their result is discarded); others ignore notifications.
struct Method: Sendable {
    var acceptsNotifications = false
    var run: @Sendable (RPCServerCore, JSONValue?) throws(RPCError) -> JSONValue
}
