import CDSEngine
import CDSJSON
import CProcessSpawn
import Dispatch
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One running module executable with pipes to its standard streams.
///
/// The module is spawned as the leader of its own process group, and stopping it signals the
/// whole group, so children it forked go with it; the ``ProcessGuardian`` kills the group if
/// the host dies first. Standard error is drained continuously (a module that floods it cannot
/// block on a full pipe) into the host's log at debug level, escaped and within a byte budget
/// per evaluation; standard output is read line by line with deadlines.
///
/// Not `Sendable`: its framer, buffers and flags have no lock of their own. It has one owner
/// at a time (the handshake, then the ``OutOfProcessModule`` that keeps it under its mutex).
final class ModuleProcess {
    enum Received {
        case line([UInt8])
        case timeout
        case closed
        case tooLong
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    /// Bytes of a module's standard error logged per evaluation; the rest is counted.
    static let stderrBytesPerEvaluation = 4096

    let pid: pid_t
    private let input: Int32
    private let output: Int32
    /// What the module's standard error may still put into the log this evaluation.
    let stderrBudget: LogBudget
    private var framer = LineFramer(maxLineBytes: 64 << 20)
    private var pending: [LineFramer.Frame] = []
    private var pendingHead = 0
    /// One receive buffer for the life of the process (not a fresh zeroed one per receive).
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private var outputClosed = false
    private var inputClosed = false
    /// The output descriptor is closed (once: a second close could close a descriptor
    /// another thread has opened since under the same number).
    private var outputReleased = false
    private var reaped: Int32?

    private init(pid: pid_t, input: Int32, output: Int32, stderrBudget: LogBudget) {
        self.pid = pid
        self.input = input
        self.output = output
        self.stderrBudget = stderrBudget
    }

    /// Process groups of modules that have not been reaped, for ``killAllGroups()``.
    private static let liveGroups = Locked<Set<pid_t>>([])

    /// Sends SIGKILL to the process group of every module not yet reaped, without waiting
    /// for any lock a module call holds: a call blocked on a hung module then sees its output
    /// close and returns at once. Returns how many groups were signalled.
    @discardableResult
    static func killAllGroups() -> Int {
        liveGroups.withLock { groups in
            for g in groups { kill(-g, SIGKILL) }
            return groups.count
        }
    }

    /// Starts `executable` with `arguments`.
    static func spawn(_ executable: String, _ arguments: [String], label: String, logger: Logger) throws(SpawnError) -> ModuleProcess {
        guard access(executable, X_OK) == 0 else {
            throw SpawnError(description: "cannot execute \(executable): \(String(cString: strerror(errno)))")
        }
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        var errChild: [Int32] = [0, 0]
        func makePipe(_ fds: inout [Int32]) -> Bool {
            guard pipe(&fds) == 0 else { return false }
            // Descriptors must not leak into other children; dup2 in the child clears the flag.
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            return true
        }
        // Under the lock that module spawns share, so one module never inherits another's pipes.
        let piped = liveGroups.withLock { _ in makePipe(&toChild) && makePipe(&fromChild) && makePipe(&errChild) }
        guard piped else {
            throw SpawnError(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errChild[1], 2)
        // Nothing else: the host's own descriptors are close-on-exec, but one its process left
        // inheritable (an embedding program's pipe, say) would stay open in the module.
        _ = cds_spawn_close_from(&actions, 3)
        var attributes = SpawnAttributes()
        defer { attributes.destroy() }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let status = liveGroups.withLock { groups in
            let status = posix_spawn(&pid, executable, &actions, &attributes.value, argv, environ)
            if status == 0 { groups.insert(pid) }
            return status
        }
        close(toChild[0])
        close(fromChild[1])
        close(errChild[1])
        guard status == 0 else {
            close(toChild[1])
            close(fromChild[0])
            close(errChild[0])
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        ProcessGuardian.watch(pid)
        let budget = LogBudget(bytesPerEvaluation: stderrBytesPerEvaluation)
        drainStandardError(errChild[0], label: label, budget: budget, logger: logger)
        // Writes to the module never block: see `send(_:until:)`.
        _ = fcntl(toChild[1], F_SETFL, fcntl(toChild[1], F_GETFL) | O_NONBLOCK)
        return ModuleProcess(pid: pid, input: toChild[1], output: fromChild[0], stderrBudget: budget)
    }

    /// Logs the module's standard error line by line at debug level (a module may echo case
    /// data, and no patient data is logged above debug), escaped, within `budget`.
    private static func drainStandardError(_ fd: Int32, label: String, budget: LogBudget, logger: Logger) {
        let module = Logger.MetadataValue.string(ModuleText.escaped(label))
        DispatchQueue.global().async {
            var framer = LineFramer(maxLineBytes: 8192)
            var buffer = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                let frames = n > 0 ? buffer.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } : framer.finish()
                for frame in frames {
                    switch frame {
                    case .line(let bytes):
                        if budget.spend(bytes.count + 1) {
                            logger.debug(
                                "module stderr",
                                metadata: ["module": module, "line": "\(ModuleText.escaped(bytes, limit: budget.bytesPerEvaluation))"])
                        }
                    case .tooLong(let limit):
                        _ = budget.spend(limit)
                    }
                }
                if n <= 0 { break }
            }
            close(fd)
            logTruncation(label: label, dropped: budget.renew(), logger: logger)
        }
    }

    /// Starts a new evaluation: renews the standard-error budget, and logs (at debug) how
    /// much of the last evaluation's standard error did not fit (also logged when the
    /// module's standard error closes).
    func beginEvaluation(label: String, logger: Logger) {
        Self.logTruncation(label: label, dropped: stderrBudget.renew(), logger: logger)
    }

    private static func logTruncation(label: String, dropped: Int, logger: Logger) {
        if dropped > 0 {
            logger.debug("module stderr truncated", metadata: ["module": "\(ModuleText.escaped(label))", "droppedBytes": "\(dropped)"])
        }
    }

    /// Writes one line by `deadline` (monotonic ms; default: 10 s from now). False if the
    /// module no longer reads, or does not take the line in time (its input pipe is full
    /// because it stopped reading): a hung module can never block the host.
    func send(_ line: String, until deadline: Int64? = nil) -> Bool {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        return send(line: bytes, until: deadline)
    }

    /// Writes `bytes` (one line, its newline included) by `deadline`, as ``send(_:until:)``.
    func send(line bytes: [UInt8], until deadline: Int64? = nil) -> Bool {
        send(bytes, [], [], until: deadline)
    }

    /// Writes one line given in three pieces (`c` ends with its newline) by `deadline`, as
    /// ``send(_:until:)``, with `writev`: the pieces are not joined first.
    func send(_ a: [UInt8], _ b: [UInt8], _ c: [UInt8], until deadline: Int64? = nil) -> Bool {
        if inputClosed { return false }
        let deadline = deadline ?? Monotonic.milliseconds() + 10_000
        return a.withUnsafeBytes { a in
            b.withUnsafeBytes { b in
                c.withUnsafeBytes { c in
                    let total = a.count + b.count + c.count
                    var written = 0
                    while written < total {
                        // The vectors of what is not written yet.
                        var vectors = (iovec(), iovec(), iovec())
                        var used: Int32 = 0
                        withUnsafeMutableBytes(of: &vectors) { raw in
                            let v = raw.bindMemory(to: iovec.self)
                            var skip = written
                            func add(_ piece: UnsafeRawBufferPointer) {
                                if skip >= piece.count {
                                    skip -= piece.count
                                    return
                                }
                                v[Int(used)] = iovec(
                                    iov_base: UnsafeMutableRawPointer(mutating: piece.baseAddress.map { $0 + skip }),
                                    iov_len: piece.count - skip)
                                used += 1
                                skip = 0
                            }
                            add(a)
                            add(b)
                            add(c)
                        }
                        let n = withUnsafeBytes(of: &vectors) { raw in
                            writev(input, raw.bindMemory(to: iovec.self).baseAddress, used)
                        }
                        if n >= 0 {
                            written += n
                            continue
                        }
                        switch errno {
                        case EINTR:
                            continue
                        case EAGAIN:
                            let remaining = deadline - Monotonic.milliseconds()
                            if remaining <= 0 { return false }
                            var fds = pollfd(fd: input, events: Int16(POLLOUT), revents: 0)
                            _ = poll(&fds, 1, Int32(min(remaining, Int64(Int32.max))))
                        default:
                            return false
                        }
                    }
                    return true
                }
            }
        }
    }

    /// The next line from the module, waiting at most until `deadline` (monotonic ms).
    func receive(until deadline: Int64) -> Received {
        while true {
            if pendingHead < pending.count {
                let frame = pending[pendingHead]
                pendingHead += 1
                if pendingHead == pending.count {
                    pending.removeAll(keepingCapacity: true)
                    pendingHead = 0
                }
                switch frame {
                case .line(let bytes): return .line(bytes)
                case .tooLong: return .tooLong
                }
            }
            if outputClosed { return .closed }
            let remaining = deadline - Monotonic.milliseconds()
            if remaining <= 0 { return .timeout }
            var fds = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&fds, 1, Int32(min(remaining, Int64(Int32.max))))
            if ready < 0 {
                if errno == EINTR { continue }
                return .closed
            }
            if ready == 0 { return .timeout }
            let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                outputClosed = true
                pending += framer.finish()
            } else {
                pending += chunk.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        }
    }

    /// Closes the module's input (end of input for it).
    func closeInput() {
        guard !inputClosed else { return }
        inputClosed = true
        close(input)
    }

    /// The exit status once the process ended within `milliseconds`, else nil.
    /// Exit codes are returned as is; death by signal N as 128 + N.
    ///
    /// Once the leader has exited, and before it is reaped (its id cannot be reused while it
    /// is a zombie), whatever is left of its process group is killed.
    func waitForExit(milliseconds: Int64) -> Int32? {
        if let reaped { return reaped }
        let deadline = Monotonic.milliseconds() + milliseconds
        repeat {
            var info = siginfo_t()
            let r = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if r == 0 && info.si_signo == SIGCHLD {
                return reap()
            }
            if r < 0 && errno != EINTR { return reap() }
            usleep(2000)
        } while Monotonic.milliseconds() < deadline
        return nil
    }

    /// Kills the rest of the group, forgets it, and reaps the exited leader.
    private func reap() -> Int32 {
        Self.liveGroups.withLock { groups in
            kill(-pid, SIGKILL)
            groups.remove(pid)
        }
        ProcessGuardian.forget(pid)
        var status: Int32 = 0
        var r: pid_t
        repeat { r = waitpid(pid, &status, 0) } while r < 0 && errno == EINTR
        let code: Int32 = r != pid ? -1 : (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        reaped = code
        return code
    }

    /// Stops the process group: SIGTERM, then SIGKILL after `grace` ms; always reaps the
    /// leader.
    func terminate(grace: Int64 = 500) {
        if reaped == nil {
            kill(-pid, SIGTERM)
            if waitForExit(milliseconds: grace) == nil {
                kill(-pid, SIGKILL)
                _ = waitForExit(milliseconds: 5000)
            }
        }
        closeInput()
        releaseOutput()
    }

    /// Closes the module's output descriptor, once.
    private func releaseOutput() {
        guard !outputReleased else { return }
        outputReleased = true
        outputClosed = true
        close(output)
    }

    /// Ends the process politely (its input closed), then forcibly if it lingers; its group
    /// goes with it.
    func finish(grace: Int64 = 1000) {
        closeInput()
        if waitForExit(milliseconds: grace) == nil {
            kill(-pid, SIGTERM)
            if waitForExit(milliseconds: 500) == nil {
                kill(-pid, SIGKILL)
                _ = waitForExit(milliseconds: 5000)
            }
        }
        releaseOutput()
    }
}

/// Milliseconds of a monotonic clock.
enum Monotonic {
    static func milliseconds() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
    }
}

/// A readable name for an exit code from ``ModuleProcess/waitForExit(milliseconds:)``.
func describeExit(_ code: Int32?) -> String {
    guard let code else { return "still running" }
    if code > 128 {
        let names: [Int32: String] = [4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"]
        let signal = code - 128
        return "killed by signal \(signal)" + (names[signal].map { " (\($0))" } ?? "")
    }
    return "exited with status \(code)"
}
