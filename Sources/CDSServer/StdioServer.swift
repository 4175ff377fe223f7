import CDSEngine
import CDSJSON
import Dispatch
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Newline-delimited JSON-RPC over a pair of file descriptors (standard input and output).
///
/// The calling thread reads and frames input and prepares each message; evaluation lanes
/// (one per worker) compute `case/evaluate` requests in parallel; a serial session queue
/// takes every job in reading order, completes it (cancellation, shutdown, the other
/// methods) and hands the replies to a serial writer that owns the output, the replies to
/// one run of messages (``OrderedPipeline``) in one write. Replies therefore
/// come in request order however many lanes there are. The reader never waits for the
/// writer, so a client that sends many requests before reading any reply cannot deadlock
/// the server; at most `maxInFlight` messages (a batch counts its members) are read ahead
/// of the session.
///
/// End of input means: answer everything read so far, flush, return status 0. SIGTERM or
/// SIGINT means: stop reading at the next line boundary (``LineReader``), answer every
/// message read, exactly once, flush, return 128 + the signal's number (143, 130). If the
/// replies cannot all be written within `shutdownTimeoutMilliseconds` of the signal (a
/// client that stopped reading), the process ends then with status 74 and the replies
/// not yet written are dropped (their count is logged).
package final class StdioServer: Sendable {
    package let core: RPCServerCore
    private let logger: Logger

    package init(core: RPCServerCore, logger: Logger = Logger(label: "cds.server")) {
        self.core = core
        self.logger = logger
    }

    /// The exit status after a shutdown deadline passed with replies unwritten (EX_IOERR).
    package static let statusWhenDeadlinePassed: Int32 = 74

    /// Serves until end of input, `exit` or a signal; returns the process exit status.
    /// `onShutdownSignal` runs once when SIGTERM or SIGINT arrives, after reading has stopped
    /// (the executable stops external modules there, so that a hung call ends at once).
    package func run(input: Int32, output: Int32, onShutdownSignal: @escaping @Sendable () -> Void = {}) -> Int32 {
        let core = self.core
        let logger = self.logger
        let writer = OutputChannel(fd: output, maxPendingBytes: core.configuration.maxPendingReplyBytes, logger: logger)
        let pipeline = OrderedPipeline(
            label: "cds.server.session", lanes: core.configuration.workers, maxInFlight: core.configuration.maxInFlight)
        let timeout = core.configuration.shutdownTimeoutMilliseconds
        // Set once every reply is written: a deadline passing after that changes nothing.
        let finished = Locked(false)
        let shutdown = ShutdownSignal(logger: logger) { signo in
            logger.notice("signal \(signo): no more input is read; answering what was read, then exiting")
            onShutdownSignal()
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(timeout)) {
                guard !finished.withLock({ $0 }) else { return }
                logger.error(
                    "replies not written within the shutdown deadline are dropped; exiting",
                    metadata: ["deadlineMs": "\(timeout)", "unwrittenReplies": "\(writer.unwritten)"])
                _exit(Self.statusWhenDeadlinePassed)
            }
        }

        logger.info("serving JSON-RPC on standard input and output")
        var reader = LineReader(fd: input, maxLineBytes: core.configuration.maxLineBytes, logger: logger)
        let maxInFlight = core.configuration.maxInFlight
        _ = reader.run(stopDescriptor: shutdown?.stopDescriptor) { frames in
            let jobs = frames.compactMap(core.prepare)
            pipeline.submit(
                jobs.map(core.concurrentWork(for:)),
                weights: jobs.map { min(maxInFlight, $0.weight) },
                deliver: { index, computed in
                    // A reply is built only when the writer has room for it: for a client
                    // that does not read, one batch reply waits, not one per queued batch.
                    writer.waitForRoom()
                    if let line = core.execute(
                        jobs[index], computed: computed, piece: writer.stagePiece, parallel: { pipeline.onLanes($0) })
                    {
                        writer.stage(line)
                    }
                    if case .exit(let status) = core.lifecycle {
                        writer.commit()
                        writer.flush()
                        exit(status)
                    }
                },
                finish: writer.commit)
        }
        pipeline.drain()
        writer.flush()
        finished.withLock { $0 = true }
        if let signo = shutdown?.signal {
            logger.notice("stopped by signal \(signo); every message read was answered")
            return 128 + signo
        }
        logger.info("end of input; all replies written")
        return 0
    }
}

/// The only writer of protocol output: one line per reply, written whole, in order; the
/// lines of one run (``stage(_:)``, then ``commit()``) go out in one `writev`.
///
/// Replies wait here while the client is not reading, up to `maxPendingBytes`; beyond
/// that `commit` blocks the session queue, which stops taking jobs, and the reader stops
/// reading input: back-pressure instead of unbounded growth.
final class OutputChannel: Sendable {
    private let fd: Int32
    private let queue = DispatchQueue(label: "cds.server.writer")
    private let logger: Logger
    private let maxPendingBytes: Int
    private let pending = Locked<Int>(0)
    /// Lines handed to `commit` and not yet written.
    private let unwrittenLines = Locked<Int>(0)
    /// Lines of one run, written together by `commit` (touched by the delivering queue).
    private let staged = Locked<[[UInt8]]>([])
    private let drained = DispatchSemaphore(value: 0)

    /// The exit status when the reader has gone (EPIPE): 0 for a server whose client closed
    /// the session, an error for batch output that a consumer cut short.
    private let statusWhenReaderGone: Int32

    init(fd: Int32, maxPendingBytes: Int, logger: Logger, statusWhenReaderGone: Int32 = 0) {
        self.fd = fd
        self.maxPendingBytes = maxPendingBytes
        self.logger = logger
        self.statusWhenReaderGone = statusWhenReaderGone
    }

    /// Adds `line` to the lines that ``commit()`` hands to the writer together.
    func stage(_ line: [UInt8]) {
        staged.withLock { $0.append(line) }
    }

    /// Queues the staged lines, to be written with one `writev` (nothing if none).
    func commit() {
        commit(terminated: true)
    }

    /// Queues `piece`, the beginning or the middle of a line (its end comes later, as a
    /// line of its own), behind the lines staged so far; then waits for room. Nothing else
    /// can come between the pieces: only the session queue stages and commits.
    func stagePiece(_ piece: [UInt8]) {
        stage(piece)
        commit(terminated: false)
        waitForRoom()
    }

    private func commit(terminated: Bool) {
        let lines = staged.withLock { staged in
            defer { staged = [] }
            return staged
        }
        if !lines.isEmpty { enqueue(lines, terminated: terminated) }
    }

    /// Replies staged or queued and not yet written in full.
    var unwritten: Int { unwrittenLines.withLock { $0 } + staged.withLock { $0.count } }

    private func enqueue(_ lines: [[UInt8]], terminated: Bool) {
        let size = lines.reduce(lines.count) { $0 + $1.count }
        unwrittenLines.withLock { $0 += lines.count }
        while pending.withLock({ $0 > 0 && $0 + size > maxPendingBytes }) { drained.wait() }
        pending.withLock { $0 += size }
        queue.async { [self] in
            defer {
                pending.withLock { $0 -= size }
                unwrittenLines.withLock { $0 -= lines.count }
                drained.signal()
            }
            if !FileDescriptorIO.writeLines(fd, lines, terminateLast: terminated) {
                let code = errno
                // The client stopped reading (EPIPE) or output failed: nobody can receive
                // replies any more, so end now rather than compute unanswerable work.
                // A reader that closed its end (`| head`) is an ordinary way to stop: no error line.
                if code == EPIPE {
                    logger.info("the reader closed the output; exiting")
                } else {
                    logger.error("writing a reply failed; exiting", metadata: ["errno": "\(code)"])
                }
                exit(code == EPIPE ? statusWhenReaderGone : 74)
            }
        }
    }

    /// Waits while the replies queued fill `maxPendingBytes` (the client is not reading).
    func waitForRoom() {
        while pending.withLock({ $0 > 0 && $0 >= maxPendingBytes }) { drained.wait() }
    }

    /// Waits until every queued line is written.
    func flush() {
        queue.sync {}
    }
}

/// Keeps protocol output apart from everything else in the process.
package enum ProtocolOutput {
    /// Duplicates standard output to a private descriptor for protocol lines, then points
    /// descriptor 1 at standard error, so a stray `print` anywhere (ours or a library's)
    /// lands in the log instead of corrupting the protocol stream.
    package static func claimStandardOutput() -> Int32 {
        let fd = fcntl(1, F_DUPFD_CLOEXEC, 3)
        guard fd >= 0 else { return 1 }
        dup2(2, 1)
        return fd
    }
}
