import ArgumentParser
import CDSBulkData
import CDSCommandLine
import CDSEngine
import CDSInterop
import CDSModuleAPI
import CDSServer
import CSystemTuning

#if canImport(Glibc)
    import Glibc
#endif

extension EvaluateCommand {
    func validateBulk() throws {
        guard !batch else { throw ValidationError("--bulk and --batch: choose one") }
        guard !pretty && !explain else { throw ValidationError("--bulk writes one JSON document per line: not with --pretty or --explain") }
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be within 1...256") }
        guard (1...1_000_000).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be within 1...1000000") }
        guard (1...1_048_576).contains(memoryBudget) else { throw ValidationError("--memory-budget must be within 1...1048576 (MiB)") }
    }

    /// `--bulk`: the export folder, one line per patient; exits with the batch statuses.
    func runBulk(_ engine: Engine) throws -> Never {
        let export: BulkExport
        do {
            export = try BulkExport.open(directory: casePath)
        } catch {
            StandardStreams.error("cds: error: \(error)")
            throw ExitCode(66)
        }
        if export.errorFiles > 0 {
            StandardStreams.error("cds: note: the manifest lists \(export.errorFiles) error file(s) (OperationOutcome); they are not read")
        }
        let protocolOutput = ProtocolOutput.claimStandardOutput()
        _ = cds_grow_pipe(protocolOutput, 1 << 20)
        var configuration = BulkEvaluator.Configuration()
        configuration.batch.request = EvaluationRequest(
            format: format == "cds-hooks" ? .cdsHooks : .plan, asOf: asOf.flatMap(CalendarDate.init))
        configuration.batch.workers = workers
        // --max-in-flight's default is --batch's; a bulk run holds whole patients in flight.
        configuration.batch.maxInFlight =
            maxInFlight == BatchEvaluator.Configuration().maxInFlight ? configuration.batch.maxInFlight : maxInFlight
        configuration.memoryBudget = memoryBudget << 20
        configuration.temporaryDirectory = tempDir ?? getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let summary = BulkEvaluator(engine: engine, configuration: configuration).run(export, output: protocolOutput)
        throw ExitCode(summary.exitStatus)
    }
}
