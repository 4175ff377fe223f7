import CDSJSON
import CDSModuleAPI
import CDSModuleProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The module side of the module protocol, for any ``AssessmentModule``.
public enum ModuleServer {
    /// Serves `module` on standard input and output, then exits the process: status 0 after
    /// `shutdown` and `exit` or at end of input, 1 on `exit` without `shutdown`.
    public static func run(_ module: some AssessmentModule) -> Never {
        signal(SIGPIPE, SIG_IGN)
        watchForHostDeath()
        // Protocol lines go to a private copy of stdout; descriptor 1 becomes stderr, so a
        // stray print in module code cannot corrupt the protocol.
        let out = fcntl(1, F_DUPFD_CLOEXEC, 3)
        let output = out >= 0 ? out : 1
        if out >= 0 { dup2(2, 1) }
        var session = ModuleSession(module: module)
        var framer = LineFramer(maxLineBytes: 64 << 20)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            let frames = n > 0 ? chunk.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } : framer.finish()
            for frame in frames {
                let (reply, exitStatus) = session.handle(frame)
                if let reply, !FileDescriptorIO.writeAll(output, Array((reply + "\n").utf8)) { exit(0) }
                if let exitStatus { exit(exitStatus) }
            }
            if n <= 0 { exit(0) }
        }
    }
}

extension ModuleServer {
    /// Ends the process when the host dies, even in the middle of a long `assess` (when the
    /// request loop would not notice its input ending): a thread waits for the host's end of
    /// standard input to close, and if the parent process has changed by then (the host is
    /// gone and the module was re-parented), exits at once. A host that closes the input and
    /// stays alive (the normal `exit`) leaves the module to end by itself. The host also
    /// kills the module's process group when it dies; this is the module's own half.
    static func watchForHostDeath() {
        let host = getppid()
        guard host > 1 else { return }
        Thread.detach {
            var fds = pollfd(fd: 0, events: 0, revents: 0)
            while poll(&fds, 1, -1) < 0 && errno == EINTR {}
            // The kernel closes a dying process's files before it re-parents its children.
            for _ in 0..<40 {
                if getppid() != host { _exit(0) }
                usleep(50_000)
            }
        }
    }
}

/// A detached pthread, without Foundation.
enum Thread {
    private final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    static func detach(_ body: @escaping @Sendable () -> Void) {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let started = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
                return nil
            }, box)
        if started == 0 { pthread_detach(thread) } else { Unmanaged<Box>.fromOpaque(box).release() }
    }
}

/// The protocol state machine of one module process, independent of any file descriptor.
public struct ModuleSession<Module: AssessmentModule> {
    let module: Module
    var catalog: CatalogView?
    var shutdownRequested = false
    let parser = JSONParser(limits: .init(maxDepth: 64, maxBytes: 64 << 20))

    /// A session serving `module`, before its `initialize`.
    public init(module: Module) { self.module = module }

    /// Handles one frame: the reply line, if any, and the exit status once `exit` arrives.
    public mutating func handle(_ frame: LineFramer.Frame) -> (reply: String?, exit: Int32?) {
        guard case .line(let bytes) = frame else {
            return (response(id: .null, error: -32002, "message too large"), nil)
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return (nil, nil) }
        let message: JSONValue
        do {
            message = try parser.parse(bytes)
        } catch {
            return (response(id: .null, error: -32700, "parse error at byte \(error.offset): \(error.message)"), nil)
        }
        guard case .object(let o) = message, o["jsonrpc"] == "2.0", let method = o["method"]?.stringValue else {
            return (response(id: message["id"] ?? .null, error: -32600, "not a JSON-RPC 2.0 request"), nil)
        }
        guard let id = o["id"] else {
            if method == ModuleProtocol.exit { return (nil, shutdownRequested ? 0 : 1) }
            return (nil, nil)
        }
        switch method {
        case ModuleProtocol.initialize:
            return (initialize(id, o["params"]), nil)
        case ModuleProtocol.assess:
            return (assess(id, o["params"]), nil)
        case ModuleProtocol.shutdown:
            shutdownRequested = true
            return (result(id: id, .null), nil)
        default:
            return (response(id: id, error: -32601, "method not found: \(method)"), nil)
        }
    }

    mutating func initialize(_ id: JSONValue, _ params: JSONValue?) -> String {
        guard let requested = ProtocolVersion(json: params?["protocolVersion"]) else {
            return response(id: id, error: -32602, "initialize: expected protocolVersion {major, minor}")
        }
        guard requested.major == ModuleProtocol.current.major else {
            return response(
                id: id, error: ModuleProtocol.unsupportedVersion,
                "protocol \(requested) is not supported; this module speaks \(ModuleProtocol.current)",
                data: ["supported": .array([ModuleProtocol.current.json])])
        }
        guard let catalogJSON = params?["catalog"] else { return response(id: id, error: -32602, "initialize: expected catalog") }
        do {
            catalog = try CatalogView(protocolJSON: catalogJSON)
        } catch {
            return response(id: id, error: -32602, "initialize: \(error.message)")
        }
        return result(
            id: id,
            [
                "protocolVersion": ModuleProtocol.current.json,
                "module": module.descriptor.protocolJSON,
                "capabilities": [:],
            ])
    }

    func assess(_ id: JSONValue, _ params: JSONValue?) -> String {
        guard let catalog else { return response(id: id, error: -32002, "assess before initialize") }
        guard let document = params?["case"], case .object = document else {
            return response(id: id, error: -32602, "assess: expected case (an object)")
        }
        guard let asOfText = params?["context"]?["asOf"]?.stringValue, let asOf = CalendarDate(asOfText) else {
            return response(id: id, error: -32602, "assess: expected context.asOf (YYYY-MM-DD)")
        }
        do {
            // The host validated the document; the module reads it as facts within its `reads`.
            let facts = CaseFacts(document: document, reads: module.descriptor.reads)
            let proposals = try module.assess(facts, context: AssessmentContext(asOf: asOf, catalog: catalog))
            return result(id: id, ["proposals": .array(proposals.map(\.protocolJSON))])
        } catch let error as ModuleError {
            return response(id: id, error: ModuleProtocol.assessmentFailed, error.description)
        } catch {
            return response(id: id, error: ModuleProtocol.assessmentFailed, "\(error)")
        }
    }

    func result(id: JSONValue, _ value: JSONValue) -> String {
        JSONValue.object(["jsonrpc": "2.0", "id": id, "result": value]).serialized()
    }

    func response(id: JSONValue, error code: Int64, _ message: String, data: JSONValue? = nil) -> String {
        var e: JSONObject = ["code": .integer(code), "message": .string(message)]
        if let data { e["data"] = data }
        return JSONValue.object(["jsonrpc": "2.0", "id": id, "error": .object(e)]).serialized()
    }
}
