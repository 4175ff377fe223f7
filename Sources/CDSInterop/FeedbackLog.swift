import CDSEngine
import CDSJSON

#if canImport(Glibc)
    import Glibc
#endif

/// An append-only log of card outcomes (CDS Hooks feedback), one JSON object per line.
///
/// Front ends call ``record(_:overrideReasons:card:)`` (validation, then a durable append);
/// `cds feedback report` calls ``report()``.
///
/// Every append takes an exclusive `flock` on the log, so several servers can share one
/// file: under the lock it repairs a torn last line (a writer killed mid-write), writes its
/// lines with one `write` on an `O_APPEND` descriptor and `fsync`s before the lock is
/// released. If a write fails part-way (a full disk), the file is cut back to the length it
/// had under the lock, so it always ends at a whole line and no other writer's line is cut.
/// Old lines are never rewritten. Nothing is acknowledged before its `fsync` has returned.
package struct FeedbackLog: Sendable {
    /// Why the log could not be read or written.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    package let path: String
    /// How long an append waits for another writer's lock before it gives up.
    package var lockTimeoutMilliseconds = 5000

    package init(path: String) { self.path = path }

    /// Appends `entries`, durably, or throws and leaves the log as it was. Returns the
    /// number of bytes of a torn last line that were cut off before the append (0 mostly).
    @discardableResult
    package func append(_ entries: [JSONValue]) throws(Failure) -> Int {
        // O_NONBLOCK: a FIFO in the log's place must not hang the server (refused below).
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw Failure(description: "cannot write \(path): not a regular file; nothing was recorded")
        }
        try lock(fd)
        defer { _ = flock(fd, LOCK_UN) }
        let repaired = try repairTornTail(fd)
        guard fstat(fd, &st) == 0 else {
            throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno))); nothing was recorded")
        }
        let before = st.st_size
        let bytes = Array(entries.map { $0.serialized() + "\n" }.joined().utf8)
        guard FileDescriptorIO.writeAll(fd, bytes), fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = ftruncate(fd, before)
            _ = fsync(fd)
            throw Failure(description: "cannot write \(path): \(reason); nothing was recorded")
        }
        if before == 0 { syncDirectory() }
        return repaired
    }

    /// Takes the exclusive lock, waiting at most ``lockTimeoutMilliseconds``.
    private func lock(_ fd: Int32) throws(Failure) {
        var waited = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, waited < lockTimeoutMilliseconds else {
                throw Failure(description: "cannot write \(path): another writer holds its lock; nothing was recorded")
            }
            usleep(2000)
            waited += 2
        }
    }

    /// Cuts a last line that has no newline (a writer died mid-write, before it could
    /// acknowledge it) back to the end of the last whole line. Runs under the lock. A tail
    /// that does not start like a record (`{`), or is longer than any append, is not a torn
    /// record: the file is then refused rather than cut.
    private func repairTornTail(_ fd: Int32) throws(Failure) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return 0 }
        let size = st.st_size
        var end = size
        var cut: off_t = 0
        var chunk = [UInt8](repeating: 0, count: 4096)
        var first: UInt8 = 0
        while end > 0 {
            let start = max(0, end - off_t(chunk.count))
            let want = Int(end - start)
            let got = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, start) }
            guard got == want else {
                throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno))); nothing was recorded")
            }
            if let i = chunk[0..<want].lastIndex(of: 0x0A) {
                cut = start + off_t(i) + 1
                if i + 1 < want { first = chunk[i + 1] }
                break
            }
            first = chunk[0]
            end = start
            guard size - end <= Self.maxTornBytes else { break }
        }
        guard cut < size else { return 0 }
        guard first == UInt8(ascii: "{"), size - cut <= Self.maxTornBytes else {
            throw Failure(
                description: "cannot write \(path): it does not end with a whole line and its tail is not a record; nothing was recorded")
        }
        guard ftruncate(fd, cut) == 0, fsync(fd) == 0 else {
            throw Failure(
                description: "cannot repair the torn last line of \(path): \(String(cString: strerror(errno))); nothing was recorded")
        }
        return Int(size - cut)
    }

    /// The longest torn tail that is cut: more than any one append writes (a request line).
    static let maxTornBytes: off_t = 256 << 20

    /// Makes a newly created log's directory entry durable.
    private func syncDirectory() {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        _ = fsync(dfd)
        close(dfd)
    }
}
