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
        /// The reason.
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

    /// Writes every line of `lines`, each followed by a newline (the last one only when
    /// `terminateLast`: a line written in pieces), with as few system calls as `writev`
    /// allows and without copying them into one buffer first; false on an error (EPIPE
    /// included), with `errno` set.
    public static func writeLines(_ fd: Int32, _ lines: [[UInt8]], terminateLast: Bool = true) -> Bool {
        var start = 0
        while start < lines.count {
            // At most 512 lines (1,024 vectors: IOV_MAX) per call.
            let end = min(lines.count, start + 512)
            var vectors: [iovec] = []
            vectors.reserveCapacity(2 * (end - start))
            let written = withVectors(lines[start..<end], &vectors) { vectors in
                if !terminateLast && end == lines.count { vectors.removeLast() }
                return writeVectors(fd, &vectors)
            }
            guard written else { return false }
            start = end
        }
        return true
    }

    /// One newline byte for the vectors; written once here and only read after (writev).
    nonisolated(unsafe) private static let newline: UnsafeMutableRawPointer = {
        let byte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        byte.storeBytes(of: 0x0A, as: UInt8.self)
        return byte
    }()

    /// Collects the lines' storage (each pinned while `body` runs) and newlines as vectors.
    private static func withVectors(_ lines: ArraySlice<[UInt8]>, _ vectors: inout [iovec], _ body: (inout [iovec]) -> Bool) -> Bool {
        guard let line = lines.first else { return body(&vectors) }
        return line.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 {
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: bytes.count))
            }
            vectors.append(iovec(iov_base: newline, iov_len: 1))
            return withVectors(lines.dropFirst(), &vectors, body)
        }
    }

    /// `writev` until every vector is written, resuming after short writes.
    private static func writeVectors(_ fd: Int32, _ vectors: inout [iovec]) -> Bool {
        var first = 0
        while first < vectors.count {
            let n = vectors.withUnsafeBufferPointer { writev(fd, $0.baseAddress?.advanced(by: first), Int32(vectors.count - first)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            var written = n
            while first < vectors.count && written >= vectors[first].iov_len {
                written -= vectors[first].iov_len
                first += 1
            }
            if written > 0 {
                vectors[first].iov_base += written
                vectors[first].iov_len -= written
            }
        }
        return true
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
