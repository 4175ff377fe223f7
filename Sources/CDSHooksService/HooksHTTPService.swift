import CDSEngine
import CDSInterop
import CDSJSON
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// `cds hooks serve`: CDS Hooks 2.0 over HTTP.
///
/// Routes (under the base path): `GET /cds-services` (discovery), `POST /cds-services/{id}`
/// (a hook call), `POST /cds-services/{id}/feedback`, and `OPTIONS` on each (CORS
/// preflight, unauthenticated). Every other request is authenticated first
/// (``ClientAuthenticator``); then the media type (415), the body size (413), the JSON
/// (400) and the request's shape (400) are checked; evaluations run on
/// ``EvaluationLanes``. Each request is logged once, on stderr, without patient data.
package final class HooksHTTPService: Sendable {
    package let backend: HooksBackend
    /// nil: `--allow-unauthenticated` (local development only).
    package let authenticator: ClientAuthenticator?
    package let configuration: HooksServiceConfiguration
    private let lanes: EvaluationLanes
    private let issued = Locked<[String: FeedbackLog.IssuedCard]>([:])
    private let boundPort: Locked<Int>
    private let accessLog: Logger
    private let logger: Logger

    /// Cards remembered for feedback; beyond this the oldest set is forgotten.
    static let maxIssuedCards = 100_000

    package init(backend: HooksBackend, authenticator: ClientAuthenticator?, configuration: HooksServiceConfiguration) {
        self.backend = backend
        self.authenticator = authenticator
        self.configuration = configuration
        lanes = EvaluationLanes(count: configuration.workers, maxQueued: configuration.maxQueued)
        boundPort = Locked(configuration.port)
        var access = Logger(label: "cds.http.access")
        access.logLevel = .info
        accessLog = access
        logger = Logger(label: "cds.http")
    }

    /// Serves until SIGTERM or SIGINT, then finishes the requests in hand and returns.
    /// `ready` is called with the bound port once the server listens.
    package func run(ready: @escaping @Sendable (Int) -> Void) async throws {
        let responder = CallbackResponder<BasicRequestContext> { [self] request, _ in await self.respond(to: request) }
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(idleTimeout: .seconds(configuration.idleTimeoutSeconds))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { [boundPort] channel in
                let port = channel.localAddress?.port ?? 0
                boundPort.withLock { $0 = port }
                ready(port)
            },
            logger: logger
        )
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// The endpoint URL a token's `aud` must name for `route` (a path below the base path).
    func audience(for route: String) -> String {
        if let base = authenticator?.trust.serviceBaseURL { return base + route }
        let host = configuration.host.contains(":") && !configuration.host.hasPrefix("[") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(boundPort.withLock { $0 })\(configuration.basePath)\(route)"
    }

    // MARK: Requests

    /// Answers one request, and logs it.
    package func respond(to request: Request) async -> Response {
        let start = ContinuousClock.now
        var client: String?
        var refusal: String?
        var response = await answer(request, client: &client, refusal: &refusal)
        cors(request, &response.headers)
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let path = String(request.uri.path.prefix(200))
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(path)", "status": "\(response.status.code)",
            "ms": "\((ms * 1000).rounded() / 1000)", "iss": "\(client ?? "-")",
        ]
        if let refusal { metadata["refused"] = "\(refusal)" }
        accessLog.info("request", metadata: metadata)
        return response
    }

    private enum Route {
        case discovery
        case hook
        case feedback
    }

    private func answer(_ request: Request, client: inout String?, refusal: inout String?) async -> Response {
        let fullPath = request.uri.path
        guard fullPath.hasPrefix(configuration.basePath + "/") else { return Self.plain(.notFound, "no such resource") }
        let routePath = String(fullPath.dropFirst(configuration.basePath.count))
        let segments = routePath.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let route: Route
        let allowed: String
        switch (segments.first, segments.count) {
        case ("cds-services"?, 1):
            (route, allowed) = (.discovery, "GET, OPTIONS")
        case ("cds-services"?, 2) where segments.last.map(String.init) == backend.settings.serviceID:
            (route, allowed) = (.hook, "POST, OPTIONS")
        case ("cds-services"?, 3)
        where segments.dropFirst().first.map(String.init) == backend.settings.serviceID && segments.last == "feedback":
            (route, allowed) = (.feedback, "POST, OPTIONS")
        default:
            return Self.plain(
                .notFound,
                "no such resource: this service answers GET \(configuration.basePath)/cds-services and POST \(configuration.basePath)/cds-services/\(backend.settings.serviceID)"
            )
        }
        if request.method == .options { return preflight(request, allowed: allowed) }
        guard allowed.hasPrefix(request.method.rawValue + ",") else {
            var r = Self.plain(.methodNotAllowed, "\(request.method.rawValue) is not allowed here; allowed: \(allowed)")
            r.headers[.allow] = allowed
            return r
        }
        if let authenticator {
            do {
                let identity = try await authenticator.authenticate(
                    authorization: request.headers[.authorization], audience: audience(for: routePath))
                client = identity.iss
            } catch {
                client = error.claimedIssuer
                refusal = error.reason
                return Self.refusal(error)
            }
        }
        if route == .discovery { return Self.json(.ok, backend.discovery()) }
        return await answerPost(request, route: route)
    }

    private func answerPost(_ request: Request, route: Route) async -> Response {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType == "application/json" || contentType.hasPrefix("application/json;") else {
            return Self.plain(
                .unsupportedMediaType, "the body must be application/json, found \(contentType.isEmpty ? "no Content-Type" : contentType)")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > configuration.maxBodyBytes {
            return Self.plain(.contentTooLarge, "the body is \(length) bytes; the limit is \(configuration.maxBodyBytes)")
        }
        let bytes: [UInt8]
        switch await body(of: request) {
        case .received(let b): bytes = b
        case .refused(let response): return response
        }
        let document: JSONValue
        do {
            document = try JSONParser(limits: .init(maxDepth: 64, maxBytes: configuration.maxBodyBytes)).parse(bytes)
        } catch {
            return Self.plain(.badRequest, "invalid JSON at byte \(error.offset): \(error.message)")
        }
        guard document.objectValue != nil else { return Self.plain(.badRequest, "/: the body must be a JSON object") }
        return route == .feedback ? await feedback(document) : await hook(document)
    }

    private enum Body {
        case received([UInt8])
        case refused(Response)
    }

    private func body(of request: Request) async -> Body {
        let limit = configuration.maxBodyBytes
        let timeout = configuration.requestTimeoutSeconds
        let body = request.body
        do {
            let buffer: ByteBuffer? = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask { try await body.collect(upTo: limit) }
                group.addTask {
                    try await Task.sleep(for: .seconds(timeout))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let buffer else { return .refused(Self.plain(.requestTimeout, "the body did not arrive within \(timeout) s")) }
            return .received(Array(buffer.readableBytesView))
        } catch is NIOTooManyBytesError {
            return .refused(Self.plain(.contentTooLarge, "the body is over the limit of \(limit) bytes"))
        } catch {
            return .refused(Self.plain(.badRequest, "the body could not be read"))
        }
    }

    private func hook(_ document: JSONValue) async -> Response {
        let settings = backend.settings
        guard let hook = document["hook"]?.stringValue else { return Self.plain(.badRequest, "/hook: must be a string") }
        guard hook == settings.hook else { return Self.plain(.badRequest, "/hook: this service answers \(settings.hook), not \(hook)") }
        guard let instance = document["hookInstance"]?.stringValue, !instance.isEmpty else {
            return Self.plain(.badRequest, "/hookInstance: must be a non-empty string (a UUID)")
        }
        guard let context = document["context"]?.objectValue else { return Self.plain(.badRequest, "/context: must be an object") }
        if settings.hook == "patient-view", context["patientId"]?.stringValue == nil {
            return Self.plain(.badRequest, "/context/patientId: must be a string")
        }
        if let prefetch = document["prefetch"], prefetch.objectValue == nil {
            return Self.plain(.badRequest, "/prefetch: must be an object")
        }
        let backend = self.backend
        guard let outcome = await lanes.run({ backend.evaluate(document) }) else {
            var r = Self.plain(.serviceUnavailable, "too many requests in hand; retry shortly")
            r.headers[.retryAfter] = "1"
            return r
        }
        switch outcome {
        case .cards(let bytes, let cards):
            remember(cards)
            return Self.json(.ok, bytes)
        case .missingPrefetch(let keys, let notes):
            return Self.plain(
                .preconditionFailed,
                (["prefetch this service asked for is missing, and it does not fetch data: \(keys.joined(separator: ", "))"] + notes)
                    .joined(separator: "\n"))
        case .invalid(let detail, let details):
            return Self.plain(.badRequest, ([detail] + details).joined(separator: "\n"))
        }
    }

    private func feedback(_ document: JSONValue) async -> Response {
        let backend = self.backend
        let issued = self.issued
        let result: Result<Int, HooksBackend.FeedbackRejection>? = await lanes.run {
            do throws(HooksBackend.FeedbackRejection) {
                return .success(try backend.recordFeedback(document) { uuid in issued.withLock { $0[uuid] } })
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success?:
            return Response(status: .ok)
        case .failure(let rejection)?:
            return Self.plain(HTTPResponse.Status(code: rejection.status), rejection.reason)
        case nil:
            var r = Self.plain(.serviceUnavailable, "too many requests in hand; retry shortly")
            r.headers[.retryAfter] = "1"
            return r
        }
    }

    private func remember(_ cards: [(uuid: String, card: FeedbackLog.IssuedCard)]) {
        issued.withLock { map in
            if map.count + cards.count > Self.maxIssuedCards { map.removeAll() }
            for card in cards { map[card.uuid] = card.card }
        }
    }

    // MARK: CORS

    private func allowedOrigin(_ request: Request) -> String? {
        guard let origin = request.headers[.origin] else { return nil }
        if configuration.corsOrigins.contains("*") { return "*" }
        return configuration.corsOrigins.contains(origin) ? origin : nil
    }

    private func cors(_ request: Request, _ headers: inout HTTPFields) {
        guard let origin = allowedOrigin(request) else { return }
        headers[.accessControlAllowOrigin] = origin
        if origin != "*" { headers[.vary] = "Origin" }
    }

    private func preflight(_ request: Request, allowed: String) -> Response {
        var response = Response(status: .noContent)
        response.headers[.allow] = allowed
        if allowedOrigin(request) != nil {
            response.headers[.accessControlAllowMethods] = allowed
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
            response.headers[.accessControlMaxAge] = "600"
        }
        return response
    }

    // MARK: Responses

    static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    static func refusal(_ failure: AuthenticationFailure) -> Response {
        guard failure.status == 401 else { return plain(.forbidden, failure.reason) }
        var response = plain(.unauthorized, "not authenticated: \(failure.reason)")
        let description = failure.reason.replacingQuotes
        response.headers[.wwwAuthenticate] =
            failure.tokenPresented
            ? "Bearer realm=\"cds-services\", error=\"invalid_token\", error_description=\"\(description)\""
            : "Bearer realm=\"cds-services\""
        return response
    }
}

extension String {
    /// Safe inside a quoted-string header parameter.
    fileprivate var replacingQuotes: String {
        String(map { $0 == "\"" || $0 == "\\" ? "'" : $0 }.filter { $0.isASCII && !$0.isNewline })
    }
}
