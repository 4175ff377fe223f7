import ArgumentParser
import CDSCommandLine
import CDSEngine
import CDSHooksService
import CDSJSON
import CDSModuleAPI
import CDSServer
import Dispatch

/// `cds hooks serve`: the CDS Hooks 2.0 service over HTTP (docs/ehr-integration.md,
/// "Running the HTTP service"). The `cds-hooks` executable; `cds hooks serve` replaces
/// itself with it (`execv`), keeping its process id, standard streams and signals.
@main
struct HooksServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        // Reached as `cds hooks serve`, which runs this executable: help and errors name it so.
        commandName: "cds hooks serve",
        abstract: HooksServeHelp.abstract,
        discussion: HooksServeHelp.discussion,
        version: cdsVersion
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port; the readiness line names it).")
    var port = 8080

    @Option(help: ArgumentHelp("Path under which /cds-services is served.", valueName: "path"))
    var basePath = "/"

    @Option(help: ArgumentHelp("The trust file: trusted issuers and their public keys (docs/ehr-integration.md).", valueName: "file"))
    var trust: String?

    @Flag(help: "Accept requests without a JWT. Local development only: refused with a non-loopback --host.")
    var allowUnauthenticated = false

    @Option(help: ArgumentHelp("Largest accepted request body in bytes.", valueName: "bytes"))
    var maxBodyBytes = HooksServiceConfiguration().maxBodyBytes

    @Option(help: ArgumentHelp("Seconds a connection may be idle before it is closed.", valueName: "seconds"))
    var idleTimeout = HooksServiceConfiguration().idleTimeoutSeconds

    @Option(help: ArgumentHelp("Seconds within which a request body must arrive.", valueName: "seconds"))
    var requestTimeout = HooksServiceConfiguration().requestTimeoutSeconds

    @Option(help: ArgumentHelp("An origin browsers may call from (CORS); repeatable. Default: any (*).", valueName: "origin"))
    var corsOrigin: [String] = []

    @Option(help: ArgumentHelp("Evaluation lanes. Default: the number of online processors.", valueName: "count"))
    var workers = ServerConfiguration.onlineProcessors

    @Option(help: ArgumentHelp("Append CDS Hooks feedback to this file (the log cds serve --feedback-log writes).", valueName: "file"))
    var feedbackLog: String?

    @Option(
        help: ArgumentHelp("The date to evaluate as of when a request has none (YYYY-MM-DD). Default: today (UTC).", valueName: "date"))
    var asOf: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be within 0...65535") }
        guard HooksServiceConfiguration.normalisedBasePath(basePath) != nil else {
            throw ValidationError("--base-path \(basePath): letters, digits and -._~ between slashes only")
        }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard idleTimeout >= 1, requestTimeout >= 1 else {
            throw ValidationError("--idle-timeout and --request-timeout must be at least 1")
        }
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be within 1...256") }
        if let asOf, CalendarDate(asOf) == nil { throw ValidationError("--as-of \(asOf): expected a date YYYY-MM-DD") }
        if allowUnauthenticated {
            guard trust == nil else { throw ValidationError("--allow-unauthenticated and --trust exclude each other") }
            guard HooksServiceConfiguration.isLoopback(host) else {
                throw ValidationError(
                    "--allow-unauthenticated is for local development only and is refused with the non-loopback --host \(host)")
            }
        } else if trust == nil {
            throw ValidationError("--trust FILE is required (or --allow-unauthenticated, for local development on a loopback host)")
        }
    }

    func run() throws {
        global.prepare()
        let engine = try global.makeEngine()
        var configuration = HooksServiceConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.basePath = HooksServiceConfiguration.normalisedBasePath(basePath) ?? ""
        configuration.maxBodyBytes = maxBodyBytes
        configuration.idleTimeoutSeconds = idleTimeout
        configuration.requestTimeoutSeconds = requestTimeout
        configuration.corsOrigins = corsOrigin.isEmpty ? ["*"] : corsOrigin
        configuration.workers = workers
        let backend = HooksBackend(engine: engine, asOf: asOf.flatMap(CalendarDate.init), feedbackLog: feedbackLog)
        let trustPath = trust
        let host = self.host
        let settings = configuration
        let status = Blocking.run { () async -> Int32 in
            var authenticator: ClientAuthenticator?
            if let trustPath {
                do {
                    authenticator = ClientAuthenticator(trust: try await TrustConfiguration.load(path: trustPath))
                } catch {
                    StandardStreams.error("cds: error: \(error)")
                    return ExitStatus.configuration.rawValue
                }
            } else {
                StandardStreams.error(
                    "cds: warning: --allow-unauthenticated: every request is accepted without a JWT; for local development only, never in production"
                )
            }
            let service = HooksHTTPService(backend: backend, authenticator: authenticator, configuration: settings)
            do {
                try await service.run { port in StandardStreams.error("listening on http://\(host):\(port)") }
            } catch {
                StandardStreams.error("cds: error: cannot serve on \(host):\(settings.port): \(error)")
                return ExitStatus.systemError.rawValue
            }
            StandardStreams.error("cds: stopped")
            return 0
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// Runs async work to completion from synchronous code (the command's `run`), on the
/// concurrency pool, while the calling thread waits.
enum Blocking {
    static func run(_ body: @escaping @Sendable () async -> Int32) -> Int32 {
        let done = DispatchSemaphore(value: 0)
        let result = Locked<Int32>(70)
        Task {
            let status = await body()
            result.withLock { $0 = status }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }
    }
}
