/// What `cds hooks serve` says about itself, shared by the stub in `cds` (which lists it
/// under `cds hooks`) and the `cds-hooks` executable that serves.
package enum HooksServeHelp {
    package static let abstract =
        "Serve CDS Hooks 2.0 over HTTP: discovery, hook calls and feedback, for JWT-authenticated CDS clients."

    package static let discussion = """
        Every request needs Authorization: Bearer <JWT> from an issuer in --trust (ES384 or RS384). \
        TLS: put a reverse proxy in front (docs/ehr-integration.md). Stops on SIGTERM or SIGINT after \
        answering the requests in hand. Logs (one access line per request) go to standard error.
        """

    /// The name of the HTTP service's executable, installed beside `cds` (or in
    /// `PREFIX/libexec/cds`): the HTTP stack lives there, so that `cds` itself starts
    /// without it (docs/performance.md, Start-up).
    package static let executableName = "cds-hooks"
}
