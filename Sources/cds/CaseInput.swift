#if canImport(Glibc)
    import Glibc
#endif

/// Reads a case document from a file or standard input, with a size limit.
enum CaseInput {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let limit = 1 << 20

    static func read(_ path: String) throws -> [UInt8] {
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { if fd != 0 { close(fd) } }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "\(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return result }
            result += chunk[0..<n]
            if result.count > limit { throw Failure(description: "\(path): larger than \(limit) bytes") }
        }
    }
}
