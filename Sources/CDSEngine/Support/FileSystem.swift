import CDSJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading and writing whole files without Foundation (keeps start-up small).
package enum FileSystem {
    package struct ReadError: Error, CustomStringConvertible {
        package var path: String
        package var reason: String
        package var description: String { "\(path): \(reason)" }
    }

    /// The bytes of the file at `path` (`-` reads standard input), refusing anything
    /// larger than `limit`. With `regularOnly`, anything but a regular file (a FIFO, a
    /// device, a directory, `-`) is refused before a byte is read: the file is opened
    /// with `O_NONBLOCK`, so a FIFO cannot hang the caller.
    package static func read(_ path: String, limit: Int = 64 << 20, regularOnly: Bool = false) throws(ReadError) -> [UInt8] {
        if regularOnly && path == "-" { throw ReadError(path: path, reason: "not a regular file") }
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC | (regularOnly ? O_NONBLOCK : 0))
        guard fd >= 0 else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        defer { if fd != 0 { close(fd) } }
        if regularOnly {
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw ReadError(path: path, reason: "not a regular file") }
            guard st.st_size <= limit else { throw ReadError(path: path, reason: "larger than \(limit) bytes") }
        }
        do {
            return try FileDescriptorIO.readAll(fd, limit: limit)
        } catch {
            throw ReadError(path: path, reason: error.reason)
        }
    }

    /// The real path of `relative` inside `directory`, refusing what could reach outside
    /// it: an empty or absolute path, a `..` component, or a symbolic link whose target
    /// lies outside `directory` (both are resolved with `realpath`).
    package static func resolve(_ relative: String, inside directory: String) throws(ReadError) -> String {
        guard !relative.isEmpty, !relative.hasPrefix("/") else {
            throw ReadError(path: relative, reason: "must be a relative path inside the Catalog directory")
        }
        guard !relative.split(separator: "/", omittingEmptySubsequences: false).contains("..") else {
            throw ReadError(path: relative, reason: "must not contain \"..\"")
        }
        guard let base = realPath(directory) else { throw ReadError(path: directory, reason: String(cString: strerror(errno))) }
        guard let full = realPath(join(directory, relative)) else {
            throw ReadError(path: relative, reason: String(cString: strerror(errno)))
        }
        guard full.hasPrefix(base == "/" ? "/" : base + "/") else {
            throw ReadError(path: relative, reason: "resolves to \(full), outside the Catalog directory")
        }
        return full
    }

    package static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
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
