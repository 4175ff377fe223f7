import ArgumentParser
import CDSEngine
import CDSInterop
import CDSJSON

/// `cds hooks`: the CDS Hooks service description.
struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "CDS Hooks 2.0 service description.",
        subcommands: [Discovery.self] + httpSubcommands
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
