import CDSEngine
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM and SIGINT turned into an orderly stop of a server session.
///
/// A real handler (not `SIG_IGN`, which child processes would inherit across `exec`)
/// writes the signal's number to a pipe; that is all it does, which is async-signal-safe.
/// A watcher thread reads the pipe and, on the first signal, records it, wakes the reader
/// (``stopDescriptor`` becomes readable and stays so) and calls `onSignal` once. Later
/// signals are only logged: the stop is already under way, and its deadline bounds it.
final class ShutdownSignal: Sendable {
    /// Readable once a signal has arrived (never drained): the reader polls it beside its input.
    let stopDescriptor: Int32
    private let stopWriter: Int32
    private let received = Locked<Int32?>(nil)

    /// The signal that stopped the session, if one did.
    var signal: Int32? { received.withLock { $0 } }

    /// Installs the handlers for `signals`; `onSignal` runs on the watcher thread after the
    /// first one. Nil when the pipes cannot be made (the default dispositions then stay).
    init?(signals: [Int32] = [SIGTERM, SIGINT], logger: Logger, onSignal: @escaping @Sendable (Int32) -> Void) {
        var signalPipe: [Int32] = [-1, -1]
        var stopPipe: [Int32] = [-1, -1]
        guard pipe(&signalPipe) == 0 else { return nil }
        guard pipe(&stopPipe) == 0 else {
            close(signalPipe[0])
            close(signalPipe[1])
            return nil
        }
        // Not inherited by module processes.
        for fd in signalPipe + stopPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        stopDescriptor = stopPipe[0]
        stopWriter = stopPipe[1]
        // The handler must never block: a full pipe (a storm of signals) drops the byte.
        _ = fcntl(signalPipe[1], F_SETFL, fcntl(signalPipe[1], F_GETFL) | O_NONBLOCK)
        SignalPipe.descriptor = signalPipe[1]
        let readEnd = signalPipe[0]
        let received = self.received
        let stopWriter = self.stopWriter
        // A thread of its own: it blocks in `read` for the life of the process.
        LaneThread().submit {
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                guard n == 1 else { return }
                let signo = Int32(byte)
                let first = received.withLock { current -> Bool in
                    guard current == nil else { return false }
                    current = signo
                    return true
                }
                guard first else {
                    logger.notice("signal \(signo) again: the stop is already under way")
                    continue
                }
                var one: UInt8 = 1
                _ = write(stopWriter, &one, 1)
                onSignal(signo)
            }
        }
        // A parent may have started us with these signals blocked (a process spawned from a
        // libdispatch thread inherits its mask): they would stay pending and never stop the
        // session. Threads started after this inherit the unblocked mask.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signo in signals { sigaddset(&unblock, signo) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signo in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signo in
                let saved = errno
                var byte = UInt8(truncatingIfNeeded: signo)
                _ = write(SignalPipe.descriptor, &byte, 1)
                errno = saved
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signo, &action, nil)
        }
    }
}

/// The write end of the signal pipe, set once before any handler is installed (so the
/// handler never triggers a lazy initialisation) and only read after.
private enum SignalPipe {
    nonisolated(unsafe) static var descriptor: Int32 = -1
}
