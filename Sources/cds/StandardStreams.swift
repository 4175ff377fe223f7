#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Unbuffered writes to the standard streams, retried on EINTR and partial writes.
///
/// Results go to standard output through `output` only; diagnostics go to standard error.
enum StandardStreams {
    /// Writes `text` to standard output. Returns false if the reader went away (EPIPE).
    @discardableResult
    static func output(_ text: String) -> Bool { write(fd: 1, text) }

    /// Writes one line to standard error.
    static func error(_ line: String) { _ = write(fd: 2, line + "\n") }

    private static func write(fd: Int32, _ text: String) -> Bool {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = systemWrite(fd, base + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}

private func systemWrite(_ fd: Int32, _ pointer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    write(fd, pointer, count)
}
