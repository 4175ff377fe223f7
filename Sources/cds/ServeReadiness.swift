import CDSCommandLine
import CDSEngine
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The line `cds serve` writes once it is ready to read requests: for a person at a
/// terminal (`make run`), what is listening, the protocol and how to stop; always, an
/// info log line with the same facts.
enum ServeReadiness {
    static func announce(catalog: Catalog, workers: Int, terminal: Bool = isatty(2) == 1) {
        Logger(label: "cds.serve").info(
            "ready: JSON-RPC 2.0 on standard input and output",
            metadata: ["catalog": "\(catalog.version)", "sha256": "\(catalog.digest)", "workers": "\(workers)"])
        guard terminal else { return }
        StandardStreams.error(
            "cds serve \(Engine.version) (Catalog \(catalog.version)) is ready: JSON-RPC 2.0, one message per line on standard input, "
                + "replies on standard output (docs/protocol.md). Try {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}. "
                + "Stop with Ctrl-D (end of input) or Ctrl-C.")
    }
}
