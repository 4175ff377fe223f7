#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import CDSJSON

/// Reading and writing whole files without Foundation (keeps start-up small).
package enum FileSystem {
    package struct ReadError: Error, CustomStringConvertible {
        package var path: String
        package var reason: String
        package var description: String { "\(path): \(reason)" }
    }

    /// The bytes of the file at `path` (`-` reads standard input), refusing anything
    /// larger than `limit`.
    package static func read(_ path: String, limit: Int = 64 << 20) throws(ReadError) -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        defer { if fd != 0 { close(fd) } }
        do {
            return try FileDescriptorIO.readAll(fd, limit: limit)
        } catch {
            throw ReadError(path: path, reason: error.reason)
        }
    }

    /// Whether `path` names an existing regular file.
    package static func isFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Joins two path components.
    package static func join(_ a: String, _ b: String) -> String {
        a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// Replaces the file at `path` with `bytes` atomically: written to a temporary file
    /// beside it, flushed to disk, then renamed over it. A crash leaves the old or the new
    /// file, never a half-written one.
    package static func writeAtomically(_ bytes: [UInt8], to path: String) throws(ReadError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        let ok = FileDescriptorIO.writeAll(fd, bytes) && fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ReadError(path: path, reason: ok ? String(cString: strerror(errno)) : reason)
        }
    }

    /// The entry names of a directory (without `.` and `..`), or `nil` if unreadable.
    package static func directoryNames(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
