import ArgumentParser

/// Every exit status of `cds`, in one place. The commands exit with these; `cds --help`,
/// the README and docs/operations.md print `ExitStatus.summary` word for word (a test
/// compares them).
package enum ExitStatus: Int32, CaseIterable {
    case success = 0
    /// `module check`: a check failed; `repl` with piped input: a command failed; `serve`:
    /// the `exit` notification came without `shutdown`.
    case checkFailed = 1
    case usage = 64
    case invalidCase = 65
    case caseUnreadable = 66
    /// `hooks serve`: the HTTP service's executable, `cds-hooks`, is not installed.
    case unavailable = 69
    /// `hooks serve`: cannot listen on the address, or cannot run `cds-hooks`.
    case systemError = 71
    case cannotCreate = 73
    case inputOutput = 74
    case configuration = 78
    case interrupted = 130
    case terminated = 143

    /// What the status means, for people.
    package var meaning: String {
        switch self {
        case .success: "success"
        case .checkFailed: "a check failed (module check; repl with piped input: a command failed; serve: exit without shutdown)"
        case .usage: "usage error (unknown command or option, bad value)"
        case .invalidCase: "invalid case or input (evaluate --batch: some line could not be evaluated; --bulk: some patient or line)"
        case .caseUnreadable: "case file missing or unreadable"
        case .unavailable: "a part of cds is not installed (hooks serve: the cds-hooks executable)"
        case .systemError: "the system refused (hooks serve: cannot listen on the address or run cds-hooks)"
        case .cannotCreate: "cannot create the output (module new)"
        case .inputOutput:
            "reading input or writing output failed (evaluate --batch: also when the reader closed the output early, as `| head` does; serve: replies not written within --shutdown-timeout-ms after a signal)"
        case .configuration: "Catalog or module configuration invalid or not found"
        case .interrupted: "stopped by SIGINT after answering every request already read (serve)"
        case .terminated: "stopped by SIGTERM after answering every line or request already read (serve, evaluate --batch, --bulk)"
        }
    }

    /// The status to throw from a command's `run()`.
    package var code: ExitCode { ExitCode(rawValue) }

    /// One line: `Exit status: 0 success; 1 ...; 143 ....`
    package static var summary: String {
        "Exit status: " + allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ") + "."
    }
}
