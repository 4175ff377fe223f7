#if canImport(Glibc)
    import Glibc
#endif
import CDSJSON
import Logging

/// Reads a file descriptor in large blocks and frames it into lines until end of input
/// (or `shouldStop`), handing each block's frames to `deliver`. The last line is
/// delivered even without a final newline.
package struct LineReader {
    package var framer: LineFramer
    private let fd: Int32
    private let logger: Logger

    package init(fd: Int32, maxLineBytes: Int, logger: Logger) {
        self.fd = fd
        self.framer = LineFramer(maxLineBytes: maxLineBytes)
        self.logger = logger
    }

    /// Reads to the end; returns whether input ended normally (false on a read error).
    package mutating func run(shouldStop: () -> Bool = { false }, deliver: ([LineFramer.Frame]) -> Void) -> Bool {
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
}
