#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole reads and writes on file descriptors, retried on EINTR and short transfers: the
/// I/O under every JSON Lines stream and file of the product (one implementation).
public enum FileDescriptorIO {
    /// Why a read failed.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The system's description, or the limit that was exceeded.
        public var reason: String
        public var description: String { reason }
    }

    /// Writes all of `bytes`; false on an error (EPIPE included), with `errno` set.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, base + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Reads until end of input, refusing more than `limit` bytes.
    public static func readAll(_ fd: Int32, limit: Int) throws(Failure) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(reason: String(cString: strerror(errno)))
            }
            if n == 0 { return result }
            result += chunk[0..<n]
            if result.count > limit { throw Failure(reason: "larger than \(limit) bytes") }
        }
    }
}
