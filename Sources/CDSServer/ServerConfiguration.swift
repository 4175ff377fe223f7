import CDSJSON

#if canImport(Glibc)
    import Glibc
#endif

/// Limits and options of a JSON-RPC server session.
package struct ServerConfiguration: Sendable {
    /// Longest accepted line in bytes (without its newline). Longer lines get one
    /// -32002 error and are skipped up to the next newline.
    package var maxLineBytes: Int = 4 << 20
    /// Deepest accepted nesting of arrays and objects in a message.
    package var maxDepth: Int = 64
    /// Most messages read ahead of the one being answered.
    package var maxInFlight: Int = 32
    /// Evaluation lanes: `case/evaluate` requests computed in parallel (replies still go
    /// out in request order). Default: the number of online processors.
    package var workers: Int = ServerConfiguration.onlineProcessors
    /// Most reply bytes waiting for a client that does not read; then the server stops
    /// reading input until the client catches up (back-pressure).
    package var maxPendingReplyBytes: Int = 64 << 20
    /// After SIGTERM or SIGINT, how long the server may take to answer what it read and
    /// write the replies; then it exits (status 74) and replies still unwritten are dropped.
    package var shutdownTimeoutMilliseconds: Int = 5000
    /// Most members of one batch.
    package var maxBatch: Int = 1000
    /// Register the example methods of the JSON-RPC 2.0 specification (`subtract`, `sum`,
    /// ...) so that its examples can be replayed as written. Off in production.
    package var specificationExamples = false

    package init() {}

    /// The number of processors online, at least 1.
    package static var onlineProcessors: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The parser for incoming messages under these limits.
    var parser: JSONParser { JSONParser(limits: .init(maxDepth: maxDepth, maxBytes: maxLineBytes)) }
}
