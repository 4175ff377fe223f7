import CDSEngine
import CProcessSpawn

#if canImport(Glibc)
    import Glibc
#endif

/// Kills the process groups of the host's modules when the host dies, however it dies.
///
/// A host killed with SIGKILL runs no code, so the host cannot clean up after itself. The
/// guardian is a tiny `/bin/sh` loop started with the first module, in its own process group,
/// ignoring SIGINT, SIGTERM, SIGHUP and SIGQUIT. Its standard input is one end of a socket
/// pair whose other end only the host holds (close-on-exec, so no module inherits it). The
/// host tells it `+PGID` when a module starts and `-PGID` when it is reaped; when its input
/// ends (the host exited or was killed), the guardian sends SIGKILL to every group still
/// registered, then exits. Children a module forks stay in its group and go with it.
enum ProcessGuardian {
    private static let script = """
        trap '' INT TERM HUP QUIT
        g=' '
        while IFS= read -r l; do
          case $l in
            +*) g="$g${l#+} " ;;
            -*) n=${l#-}; p=${g%% $n *}; if [ "$p" != "$g" ]; then g="$p ${g#* $n }"; fi ;;
          esac
        done
        for p in $g; do kill -9 -$p 2>/dev/null; done
        """

    /// The host's end of the socket to the guardian (-1 if it could not start), and what it
    /// has not taken yet.
    private static let channel = Locked<(fd: Int32?, queue: GuardianQueue)>((nil, GuardianQueue()))

    /// Registers the process group `pgid` (a module just spawned as its group's leader).
    /// Waits (up to a second) until the guardian has it: a group it never heard of is one it
    /// cannot kill.
    static func watch(_ pgid: pid_t) { tell("+\(pgid)\n", waitMilliseconds: 1000) }

    /// Unregisters `pgid` once its group is gone (before its leader is reaped). Never waits:
    /// what the guardian does not take now is sent with the next message.
    static func forget(_ pgid: pid_t) { tell("-\(pgid)\n", waitMilliseconds: 0) }

    private static func tell(_ line: String, waitMilliseconds: Int64) {
        channel.withLock { channel in
            if channel.fd == nil { channel.fd = start() }
            guard let descriptor = channel.fd, descriptor >= 0 else { return }
            channel.queue.add(line)
            let deadline = Monotonic.milliseconds() + waitMilliseconds
            while true {
                // MSG_NOSIGNAL: a guardian that was killed is no reason for SIGPIPE in the host;
                // MSG_DONTWAIT: nor is a stopped one a reason to block (beyond the wait above).
                let gone = channel.queue.flush { bytes in
                    send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                }
                if gone || channel.queue.isEmpty { return }
                let remaining = deadline - Monotonic.milliseconds()
                if remaining <= 0 { return }
                var fds = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&fds, 1, Int32(remaining))
            }
        }
    }

    private static func start() -> Int32 {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else { return -1 }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Nothing else: a descriptor the host's process left inheritable (an embedding
        // program's pipe, say) would otherwise stay open for the guardian's whole life.
        _ = cds_spawn_close_from(&actions, 3)
        var attributes = SpawnAttributes()
        defer { attributes.destroy() }
        let argv: [UnsafeMutablePointer<CChar>?] = ["sh", "-c", script].map { (s: String) in strdup(s) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes.value, argv, environ)
        close(fds[1])
        guard status == 0 else {
            close(fds[0])
            return -1
        }
        return fds[0]
    }
}

/// The guardian's messages the host has not sent yet, in order, so that none is lost when
/// the guardian reads more slowly than the host writes: a lost `-PGID` would leave the
/// guardian to kill, at the host's death, a group whose id has been reused since. A `-PGID`
/// whose `+PGID` is still waiting here cancels it instead (the guardian never needed to know).
struct GuardianQueue {
    private(set) var lines: [[UInt8]] = []
    /// Bytes of `lines[0]` already sent.
    private var sent = 0

    var isEmpty: Bool { lines.isEmpty }

    mutating func add(_ line: String) {
        let bytes = Array(line.utf8)
        if bytes.first == UInt8(ascii: "-") {
            let registration = [UInt8(ascii: "+")] + bytes.dropFirst()
            // Only a line not yet begun can be taken back.
            if let i = lines.indices.last(where: { lines[$0] == registration }), i > 0 || sent == 0 {
                lines.remove(at: i)
                return
            }
        }
        lines.append(bytes)
    }

    /// Sends what it can through `send` (which returns the bytes it took, or -1 with
    /// `errno`); true if the guardian is gone (its socket closed), and the queue then dropped.
    mutating func flush(_ send: (UnsafeRawBufferPointer) -> Int) -> Bool {
        while let first = lines.first {
            let n = first.withUnsafeBytes { send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return false }
                lines.removeAll()
                sent = 0
                return true
            }
            sent += n
            if sent < first.count { return false }
            lines.removeFirst()
            sent = 0
        }
        return false
    }
}

/// `posix_spawnattr_t` for module processes and the guardian: a new process group, an empty
/// signal mask and default dispositions for the signals a host may block or ignore (ignored
/// and blocked signals survive `exec`, and a module that ignores SIGPIPE or blocks SIGTERM
/// would not stop when told).
struct SpawnAttributes {
    var value = posix_spawnattr_t()

    init() {
        posix_spawnattr_init(&value)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&value, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&value, &defaults)
        posix_spawnattr_setpgroup(&value, 0)
        posix_spawnattr_setflags(&value, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    }

    mutating func destroy() { posix_spawnattr_destroy(&value) }
}
