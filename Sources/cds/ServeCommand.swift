import ArgumentParser
import CDSCommandLine
import CDSEngine
import CDSModuleHost
import CDSServer
import CSystemTuning
import Logging

/// `cds serve`: JSON-RPC 2.0 for EHR integrations, one message per line on stdin/stdout.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        // `CDSCommand.main` parses this command as a root of its own, first: a super-command
        // name makes argument-parser skip its check for `--generate-completion-script`
        // (half of the parse's cost; the full tree handles that option, as anything this
        // command alone cannot parse). Under `cds`, as a subcommand, it changes nothing.
        _superCommandName: "cds",
        abstract: "Serve JSON-RPC 2.0 on standard input and output, one message per line (docs/protocol.md).",
        discussion: """
            Logs go to standard error. End of input ends the session after every reply is written (status 0). \
            SIGTERM or SIGINT stops reading at the next line boundary, answers every message read, then exits \
            with 128 + the signal number (143, 130); replies not written within --shutdown-timeout-ms of the \
            signal (a client that stopped reading) are dropped and the status is 74.
            """
    )

    @Option(help: ArgumentHelp("Longest accepted message line in bytes.", valueName: "bytes"))
    var maxLineBytes = ServerConfiguration().maxLineBytes

    @Option(help: ArgumentHelp("Deepest accepted nesting of arrays and objects in a message.", valueName: "levels"))
    var maxDepth = ServerConfiguration().maxDepth

    @Option(help: ArgumentHelp("Most messages in one batch.", valueName: "count"))
    var maxBatch = ServerConfiguration().maxBatch

    @Option(
        help: ArgumentHelp(
            "Most reply bytes held for a client that does not read, before the server stops reading input.", valueName: "bytes"))
    var maxPendingReplyBytes = ServerConfiguration().maxPendingReplyBytes

    @Option(help: ArgumentHelp("Most messages read ahead of the one being answered; then input waits.", valueName: "count"))
    var maxInFlight = ServerConfiguration().maxInFlight

    @Option(
        help: ArgumentHelp(
            "After SIGTERM or SIGINT, the most time to answer what was read and write the replies; then exit 74, dropping what is unwritten.",
            valueName: "ms"))
    var shutdownTimeoutMs = ServerConfiguration().shutdownTimeoutMilliseconds

    @Option(
        help: ArgumentHelp(
            "Evaluation lanes: case/evaluate requests computed in parallel, replies still in request order. Default: the number of online processors.",
            valueName: "count"))
    var workers = ServerConfiguration.onlineProcessors

    @Flag(help: "Also answer the example methods of the JSON-RPC 2.0 specification (subtract, sum, ...), for conformance testing.")
    var jsonrpcSpecExamples = false

    @Option(
        help: ArgumentHelp("Append CDS Hooks feedback (feedback/record) to this file; without it the method is refused.", valueName: "file")
    )
    var feedbackLog: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard maxLineBytes >= 1024 else { throw ValidationError("--max-line-bytes must be at least 1024") }
        guard (1...1000).contains(maxDepth) else { throw ValidationError("--max-depth must be within 1...1000") }
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be within 1...256") }
        guard (1...3_600_000).contains(shutdownTimeoutMs) else { throw ValidationError("--shutdown-timeout-ms must be within 1...3600000") }
        guard (1...1_000_000).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be within 1...1000000") }
    }

    func run() throws {
        global.prepare()
        // Two malloc arenas: set by `CDSCommand.main` before any thread allocates.
        let protocolOutput = ProtocolOutput.claimStandardOutput()
        // A reader on the other end of a pipe is woken once per pipe-full: a 1 MiB pipe
        // instead of 64 KiB means far fewer wake-ups on both sides at high throughput.
        _ = cds_grow_pipe(protocolOutput, 1 << 20)
        let engine = try global.makeEngine()
        var configuration = ServerConfiguration()
        configuration.maxLineBytes = maxLineBytes
        configuration.maxDepth = maxDepth
        configuration.maxBatch = max(1, maxBatch)
        configuration.maxPendingReplyBytes = max(1 << 16, maxPendingReplyBytes)
        configuration.workers = workers
        configuration.maxInFlight = maxInFlight
        configuration.shutdownTimeoutMilliseconds = shutdownTimeoutMs
        configuration.specificationExamples = jsonrpcSpecExamples
        let hooks = CDSHooksSession(feedbackLog: feedbackLog)
        let server = StdioServer(core: RPCServerCore(engine: engine, configuration: configuration, methodSets: [hooks]))
        ServeReadiness.announce(catalog: engine.catalog, workers: workers)
        // A module call hung at the signal would hold its evaluation until the module's
        // deadline: stop every external module now (its evaluation reports it as failed).
        let status = server.run(input: 0, output: protocolOutput, onShutdownSignal: { _ = ExternalModules.terminateAll() })
        if status != 0 { throw ExitCode(status) }
    }
}
