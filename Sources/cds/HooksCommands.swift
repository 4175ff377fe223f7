import ArgumentParser
import CDSCommandLine
import CDSEngine
import CDSInterop
import CDSJSON

#if canImport(Glibc)
    import Glibc
#endif

/// `cds hooks`: the CDS Hooks service description.
struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "CDS Hooks 2.0 service description.",
        subcommands: [Discovery.self, Serve.self]
    )

    struct Discovery: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "discovery", abstract: "Print the cds-services discovery document (hook, id, title, description, prefetch).")

        @Flag(help: "Indent the JSON for reading.")
        var pretty = false

        @OptionGroup var global: CatalogOptions

        func run() throws {
            global.prepare()
            let discovery = try global.loadCatalog().cdsHooks.discovery
            StandardStreams.output((pretty ? discovery.serializedPretty() : discovery.serialized()) + "\n")
        }
    }

    /// `serve`: the HTTP service lives in its own executable, `cds-hooks`, so that `cds`
    /// starts without the HTTP stack. `cds hooks serve ARGS` runs it with `ARGS`, help
    /// included (`CDSCommand.main` does so before parsing; this command is what `cds hooks
    /// --help` lists, and runs it too when reached another way).
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve", abstract: HooksServeHelp.abstract,
            discussion: HooksServeHelp.discussion + " Its options: cds hooks serve --help.")

        @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The service's options (cds hooks serve --help)."))
        var arguments: [String] = []

        func run() throws { HooksExecutable.replaceProcess(arguments: arguments) }
    }
}

/// Finds and runs the `cds-hooks` executable in place of this process.
enum HooksExecutable {
    /// Where it is looked for, in order: beside this executable (a build directory), then
    /// `BINDIR/../libexec/cds` (what `make install` lays out).
    static func candidates(executableDirectory: String) -> [String] {
        let name = HooksServeHelp.executableName
        var paths = [executableDirectory + "/" + name]
        if let prefix = CatalogLocator.parent(of: executableDirectory) { paths.append(prefix + "/libexec/cds/" + name) }
        return paths
    }

    /// Replaces this process with `cds-hooks ARGS` (`execv`: the same process id and
    /// standard streams; called before `cds` sets up signals or opens anything); exits with
    /// status 69 when none is installed, 71 when it cannot be run.
    static func replaceProcess(arguments: [String]) -> Never {
        guard let directory = CatalogLocator.executableDirectory() else {
            StandardStreams.error(
                "cds: error: cannot find this executable's directory (/proc/self/exe) to run \(HooksServeHelp.executableName)")
            Glibc.exit(ExitStatus.unavailable.rawValue)
        }
        let paths = candidates(executableDirectory: directory)
        guard let path = paths.first(where: { access($0, X_OK) == 0 }) else {
            StandardStreams.error(
                "cds: error: cds hooks serve runs the HTTP service's executable, \(HooksServeHelp.executableName), and none is installed (looked for \(paths.joined(separator: " and "))); a build with CDS_WITHOUT_HTTP=1 has none"
            )
            Glibc.exit(ExitStatus.unavailable.rawValue)
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
        let reason = String(cString: strerror(errno))
        StandardStreams.error("cds: error: cannot run \(path): \(reason)")
        Glibc.exit(ExitStatus.systemError.rawValue)
    }
}

/// `cds feedback`: what clinicians did with the cards.
struct FeedbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Summarise recorded CDS Hooks feedback.",
        subcommands: [Report.self]
    )

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract:
                "Override rates per recommendation, then every outcome (accepted suggestions, override reason, comment), from a feedback log (cds serve --feedback-log)."
        )

        @Argument(help: ArgumentHelp("The feedback log.", valueName: "file"), completion: .file())
        var log: String

        func run() throws {
            let report: FeedbackLog.Report
            do {
                report = try FeedbackLog(path: log).report()
            } catch {
                StandardStreams.error("cds: error: \(error)")
                throw ExitStatus.caseUnreadable.code
            }
            var rows = [["RECOMMENDATION", "ACCEPTED", "OVERRIDDEN", "OVERRIDE RATE", "REASONS"]]
            for r in report.rows {
                let total = r.accepted + r.overridden
                let rate = total == 0 ? "-" : String(Int((Double(r.overridden) / Double(total) * 100).rounded())) + "%"
                let reasons = r.reasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(
                    separator: ", ")
                rows.append([r.recommendation, String(r.accepted), String(r.overridden), rate, reasons].map(FeedbackReportText.escaped))
            }
            var text = Table.render(rows)
            if !report.records.isEmpty { text += "\n" + Table.render(FeedbackReportText.recordRows(report.records)) }
            if report.skippedLines > 0 {
                text += "\(report.skippedLines) incomplete or unreadable line\(report.skippedLines == 1 ? "" : "s") skipped\n"
            }
            StandardStreams.output(text)
        }
    }
}
