/// How `cds hooks serve` listens and what it accepts.
package struct HooksServiceConfiguration: Sendable {
    package var host = "127.0.0.1"
    /// 0: any free port (the readiness line names it).
    package var port = 8080
    /// Where `/cds-services` is mounted: "" (the root) or "/a/b" (no trailing slash).
    package var basePath = ""
    /// Largest accepted request body; more gets 413.
    package var maxBodyBytes = 1 << 20
    /// A connection with no traffic for this long is closed (keep-alive connections too).
    package var idleTimeoutSeconds: Int64 = 60
    /// A request body not received within this time gets 408.
    package var requestTimeoutSeconds: Int64 = 15
    /// Origins browsers may call from (CORS); "*" for any.
    package var corsOrigins: [String] = ["*"]
    /// Evaluation lanes.
    package var workers = 2
    /// Most requests waiting for a lane; more get 503.
    package var maxQueued = 256

    package init() {}

    /// Whether `host` is a loopback address (where `--allow-unauthenticated` may be used).
    package static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.") && host.split(separator: ".").count == 4
    }

    /// `--base-path` as given ("/", "/cds/", "cds") in the form routes use ("", "/cds").
    package static func normalisedBasePath(_ text: String) -> String? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.allSatisfy({ $0.allSatisfy { $0.isLetter || $0.isNumber || "-._~".contains($0) } }) else { return nil }
        return parts.isEmpty ? "" : "/" + parts.joined(separator: "/")
    }
}
