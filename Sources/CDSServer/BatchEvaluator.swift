import CDSEngine
import CDSJSON
import Dispatch
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `cds evaluate --batch`: many cases, one per line (NDJSON), evaluated on every lane at
/// once; one output line per input line, in input order.
///
/// An input line is a case document, a FHIR R4 Bundle or a CDS Hooks request, as for
/// `cds evaluate`. Its output line is what `case/evaluate` would return as its result (the
/// plan, or with `format` cds-hooks the cards), or, when the line cannot be evaluated,
/// `{"line":N,"error":{code,message,data}}` with the error `case/evaluate` would give
/// (N counts input lines from 1, blank lines included). Blank lines give no output line.
package final class BatchEvaluator: Sendable {
    /// Limits and options of a batch run.
    package struct Configuration: Sendable {
        package var request = EvaluationRequest()
        /// Evaluation lanes; default: the number of online processors.
        package var workers = ServerConfiguration.onlineProcessors
        /// Longest accepted input line in bytes.
        package var maxLineBytes = ServerConfiguration().maxLineBytes
        /// Deepest accepted nesting in an input line.
        package var maxDepth = ServerConfiguration().maxDepth
        /// Lines read ahead of the one being written.
        package var maxInFlight = 64
        /// Output bytes held for a reader that does not keep up, before input reading pauses.
        package var maxPendingOutputBytes = 16 << 20
        /// Called after each output line is staged, with the counts so far (the
        /// command line draws a progress bar from it).
        package var progress: (@Sendable (_ evaluated: Int, _ failed: Int) -> Void)?
        /// Runs once when SIGTERM arrives, after reading has stopped (the executable stops
        /// external modules there, so that a hung module call ends at once).
        package var onShutdownSignal: @Sendable () -> Void = {}

        package init() {}
    }

    /// What a run did.
    package struct Summary: Sendable, Equatable {
        /// Cases evaluated (a plan or cards written).
        package var evaluated = 0
        /// Lines answered with an error.
        package var failed = 0
        /// Whether SIGTERM stopped the run before the end of input.
        package var interrupted = false
        /// Whether reading the input failed (the lines read before were answered).
        package var readFailed = false

        /// The exit status: 0 when every line was evaluated, 65 (EX_DATAERR) when some line
        /// was answered with an error, 74 (EX_IOERR) when the input could not be read to
        /// its end (or the output could not be written), 143 when SIGTERM stopped the run.
        package var exitStatus: Int32 { interrupted ? 143 : readFailed ? 74 : failed > 0 ? 65 : 0 }

        package init() {}
    }

    package let engine: Engine
    package let configuration: Configuration
    private let parser: JSONParser
    private let logger: Logger

    package init(engine: Engine, configuration: Configuration, logger: Logger = Logger(label: "cds.batch")) {
        self.engine = engine
        self.configuration = configuration
        self.parser = JSONParser(limits: .init(maxDepth: configuration.maxDepth, maxBytes: configuration.maxLineBytes))
        self.logger = logger
    }

    /// What `case/evaluate` gives for one input line: its result, or its error (also the
    /// evaluation step of `cds evaluate --bulk`, so that both give the same bytes).
    package func outcome(_ frame: LineFramer.Frame) -> Result<MethodResult, RPCError> {
        let outcome: Result<MethodResult, RPCError>
        switch frame {
        case .tooLong(let limit):
            outcome = .failure(.messageTooLarge(limit: limit))
        case .line(let bytes):
            do {
                let input = try parser.parse(bytes)
                do throws(RPCError) {
                    outcome = .success(try configuration.request.run(on: engine, input: input))
                } catch {
                    outcome = .failure(error)
                }
            } catch {
                outcome = .failure(.parseError(error.message, offset: error.offset))
            }
        }
        return outcome
    }

    /// The output line (without newline) for input line `number`, and whether it was evaluated.
    package func evaluate(_ frame: LineFramer.Frame, number: Int) -> (line: [UInt8], evaluated: Bool) {
        switch outcome(frame) {
        case .success(let result):
            return (result.text(), true)
        case .failure(let error):
            var w = JSONWriter(capacity: 256)
            w.object { o in
                o.member("line", integer: Int64(number))
                o.member("error", error.json)
            }
            return (w.bytes, false)
        }
    }

    /// Evaluates every line of `input` and writes the results to `output`. SIGTERM stops
    /// reading at the next line boundary; every line read before it is still answered,
    /// whole, before the run ends.
    package func run(input: Int32, output: Int32) -> Summary {
        // Output cut short (`| head`) means lines went unanswered: EX_IOERR, not success.
        let writer = OutputChannel(
            fd: output, maxPendingBytes: configuration.maxPendingOutputBytes, logger: logger, statusWhenReaderGone: 74)
        let pipeline = OrderedPipeline(label: "cds.batch", lanes: configuration.workers, maxInFlight: configuration.maxInFlight)
        let summary = Locked(Summary())

        // SIGTERM stops reading at the next line boundary (``LineReader``), as in `cds serve`.
        let onShutdownSignal = configuration.onShutdownSignal
        let shutdown = ShutdownSignal(signals: [SIGTERM], logger: logger) { [logger] _ in
            logger.notice("SIGTERM: finishing the lines already read, then stopping")
            summary.withLock { $0.interrupted = true }
            onShutdownSignal()
        }

        var number = 0
        var reader = LineReader(fd: input, maxLineBytes: configuration.maxLineBytes, logger: logger)
        let ending = reader.run(stopDescriptor: shutdown?.stopDescriptor) { frames in
            var lines: [(frame: LineFramer.Frame, number: Int)] = []
            for frame in frames {
                number += 1
                if !frame.isBlank { lines.append((frame, number)) }
            }
            pipeline.submit(
                lines.map { line in { [self] in evaluate(line.frame, number: line.number) } },
                deliver: { [configuration] _, result in
                    guard let result else { return }
                    writer.stage(result.line)
                    let counts = summary.withLock { s in
                        if result.evaluated { s.evaluated += 1 } else { s.failed += 1 }
                        return (s.evaluated, s.failed)
                    }
                    configuration.progress?(counts.0, counts.1)
                },
                finish: writer.commit)
        }
        pipeline.drain()
        writer.flush()
        var result = summary.withLock { $0 }
        result.readFailed = ending == .readFailed
        if result.interrupted {
            logger.notice("stopped by SIGTERM", metadata: ["evaluated": "\(result.evaluated)", "failed": "\(result.failed)"])
        }
        logger.info("batch finished", metadata: ["evaluated": "\(result.evaluated)", "failed": "\(result.failed)"])
        return result
    }
}
