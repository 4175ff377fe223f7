#if canImport(Glibc)
    import Glibc
#endif
import CDSJSON
import Dispatch
import Logging

/// One running module executable with pipes to its standard streams.
///
/// Standard error is drained continuously into the host's log (a module that floods it
/// cannot block on a full pipe); standard output is read line by line with deadlines.
final class ModuleProcess: @unchecked Sendable {
    enum Received {
        case line([UInt8])
        case timeout
        case closed
        case tooLong
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    let pid: pid_t
    private let input: Int32
    private let output: Int32
    private var framer = LineFramer(maxLineBytes: 64 << 20)
    private var pending: [LineFramer.Frame] = []
    private var outputClosed = false
    private var reaped: Int32?

    private init(pid: pid_t, input: Int32, output: Int32) {
        self.pid = pid
        self.input = input
        self.output = output
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
        guard makePipe(&toChild), makePipe(&fromChild), makePipe(&errChild) else {
            throw SpawnError(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errChild[1], 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(toChild[0])
        close(fromChild[1])
        close(errChild[1])
        guard status == 0 else {
            close(toChild[1])
            close(fromChild[0])
            close(errChild[0])
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        let errorFD = errChild[0]
        DispatchQueue.global().async {
            var framer = LineFramer(maxLineBytes: 8192)
            var buffer = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(errorFD, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                let frames = n > 0 ? buffer.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } : framer.finish()
                for frame in frames {
                    if case .line(let bytes) = frame {
                        // Debug level: a module may echo case data, and no patient data is
                        // logged above debug.
                        logger.debug("module stderr", metadata: ["module": "\(label)", "line": "\(String(decoding: bytes, as: UTF8.self))"])
                    }
                }
                if n <= 0 { break }
            }
            close(errorFD)
        }
        // Writes to the module never block: see `send(_:until:)`.
        _ = fcntl(toChild[1], F_SETFL, fcntl(toChild[1], F_GETFL) | O_NONBLOCK)
        return ModuleProcess(pid: pid, input: toChild[1], output: fromChild[0])
    }

    /// Writes one line by `deadline` (monotonic ms; default: 10 s from now). False if the
    /// module no longer reads, or does not take the line in time (its input pipe is full
    /// because it stopped reading): a hung module can never block the host.
    func send(_ line: String, until deadline: Int64? = nil) -> Bool {
        let deadline = deadline ?? Monotonic.milliseconds() + 10_000
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        return bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = write(input, base + offset, buffer.count - offset)
                if n >= 0 {
                    offset += n
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

    /// The next line from the module, waiting at most until `deadline` (monotonic ms).
    func receive(until deadline: Int64) -> Received {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if !pending.isEmpty {
                switch pending.removeFirst() {
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
        close(input)
    }

    /// The exit status once the process ended within `milliseconds`, else nil.
    /// Exit codes are returned as is; death by signal N as 128 + N.
    func waitForExit(milliseconds: Int64) -> Int32? {
        if let reaped { return reaped }
        let deadline = Monotonic.milliseconds() + milliseconds
        repeat {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                reaped = code
                return code
            }
            if r < 0 { return -1 }
            usleep(2000)
        } while Monotonic.milliseconds() < deadline
        return nil
    }

    /// Stops the process: SIGTERM, then SIGKILL after `grace` ms; always reaps it.
    func terminate(grace: Int64 = 500) {
        if reaped == nil {
            kill(pid, SIGTERM)
            if waitForExit(milliseconds: grace) == nil {
                kill(pid, SIGKILL)
                _ = waitForExit(milliseconds: 5000)
            }
        }
        close(input)
        close(output)
    }

    /// Ends the process politely (its input closed), then forcibly if it lingers.
    func finish(grace: Int64 = 1000) {
        close(input)
        if waitForExit(milliseconds: grace) == nil {
            kill(pid, SIGTERM)
            if waitForExit(milliseconds: 500) == nil {
                kill(pid, SIGKILL)
                _ = waitForExit(milliseconds: 5000)
            }
        }
        close(output)
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
