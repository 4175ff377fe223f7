import CDSJSON
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file descriptor in large blocks and frames it into lines until end of input
/// (or a stop), handing each block's frames to `deliver`. The last line is delivered even
/// without a final newline.
///
/// A stop (the descriptor given to ``run(stopDescriptor:deliver:)`` became readable) ends
/// reading at a line boundary: a line already partly read is
/// read on to its newline, one byte at a time so that nothing after it is consumed, for at
/// most ``completionSeconds``; so every byte taken from the input belongs to a whole line
/// that is delivered. A line the client does not complete in time is dropped (logged).
package struct LineReader {
    package var framer: LineFramer
    private let fd: Int32
    private let logger: Logger
    /// How long a stop waits for the rest of a line already partly read.
    package static let completionSeconds = 2

    package init(fd: Int32, maxLineBytes: Int, logger: Logger) {
        self.fd = fd
        self.framer = LineFramer(maxLineBytes: maxLineBytes)
        self.logger = logger
    }

    /// How a run ended.
    package enum Ending: Sendable, Equatable {
        /// End of input.
        case endOfInput
        /// Reading failed (the lines read before were delivered).
        case readFailed
        /// Stopped at a line boundary before the end of input.
        case stopped
    }

    /// Reads a file to its end, or until `shouldStop` (asked before each block: for input
    /// that never waits, such as regular files); returns false on a read error only.
    package mutating func run(shouldStop: () -> Bool, deliver: ([LineFramer.Frame]) -> Void) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while !shouldStop() {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            switch n {
            case 0:
                deliver(framer.finish())
                return true
            case ..<0:
                if errno == EINTR { continue }
                logger.error("reading input failed", metadata: ["errno": "\(errno)"])
                deliver(framer.finish())
                return false
            default:
                deliver(chunk.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) })
            }
        }
        return true
    }

    /// Reads until end of input, a read error, or a stop: `stopDescriptor` readable (it is
    /// polled beside the input, so a stop interrupts a wait for input).
    package mutating func run(stopDescriptor: Int32?, deliver: ([LineFramer.Frame]) -> Void) -> Ending {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let stopDescriptor, Self.wait(input: fd, stop: stopDescriptor) {
                return completeLine(deliver: deliver)
            }
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            switch n {
            case 0:
                deliver(framer.finish())
                return .endOfInput
            case ..<0:
                if errno == EINTR || errno == EAGAIN { continue }
                logger.error("reading input failed", metadata: ["errno": "\(errno)"])
                deliver(framer.finish())
                return .readFailed
            default:
                deliver(chunk.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) })
            }
        }
    }

    /// Waits until `input` can be read or `stop` is readable; true for a stop.
    private static func wait(input: Int32, stop: Int32) -> Bool {
        var fds = [pollfd(fd: stop, events: Int16(POLLIN), revents: 0), pollfd(fd: input, events: Int16(POLLIN), revents: 0)]
        while true {
            let n = poll(&fds, 2, -1)
            if n < 0 {
                // Not pollable or poll failed: read anyway (a blocking read still works).
                if errno == EINTR { continue }
                return false
            }
            if fds[0].revents != 0 { return true }
            if fds[1].revents != 0 { return false }
        }
    }

    /// The stop: finishes a line already partly read (byte by byte, within the time
    /// allowed) and delivers it; nothing after its newline is read.
    private mutating func completeLine(deliver: ([LineFramer.Frame]) -> Void) -> Ending {
        guard framer.isWithinLine else { return .stopped }
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        deadline.tv_sec += Self.completionSeconds
        var byte: UInt8 = 0
        while framer.isWithinLine {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let left = Int(deadline.tv_sec - now.tv_sec) * 1000 + Int(deadline.tv_nsec - now.tv_nsec) / 1_000_000
            var input = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = left > 0 ? poll(&input, 1, Int32(left)) : 0
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else {
                logger.warning("stopping: a partly read line was not completed in time and is not answered")
                return .stopped
            }
            let n = Glibc.read(fd, &byte, 1)
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard n == 1 else {
                deliver(framer.finish())
                return n == 0 ? .endOfInput : .readFailed
            }
            deliver(withUnsafeBytes(of: byte) { framer.feed($0) })
        }
        return .stopped
    }
}
