import CDSJSON

#if canImport(Glibc)
    import Glibc
#endif

/// Sorts byte records (no newline inside) of any total size in bounded memory: records
/// are held until they reach the budget, then sorted and written to a temporary file (a
/// run); ``finish()`` merges the runs. Records compare as bytes (`memcmp`, shorter first
/// on a common prefix).
///
/// Run files are unlinked as soon as they are created, so nothing is left behind however
/// the process ends. Memory: the budget while adding; while merging, one read buffer per
/// run (at most ``maxFanIn`` runs at once; more are first merged into longer runs).
package final class ExternalSorter {
    /// Why sorting failed (temporary files).
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// Most runs merged at once.
    package static let maxFanIn = 64
    /// Bytes of bookkeeping counted per held record besides its bytes.
    static let recordOverhead = 48

    private let budget: Int
    private let directory: String
    private let maxRecordBytes: Int
    private var held: [[UInt8]] = []
    private var heldBytes = 0
    private var runs: [Int32] = []

    /// Runs written to disk so far.
    package var runsWritten = 0

    /// `budget` bytes of records held in memory at most; runs go to `directory`.
    package init(budget: Int, directory: String, maxRecordBytes: Int) {
        self.budget = max(1 << 16, budget)
        self.directory = directory
        self.maxRecordBytes = maxRecordBytes
    }

    deinit {
        for fd in runs { close(fd) }
    }

    /// Adds one record.
    package func add(_ record: [UInt8]) throws(Failure) {
        held.append(record)
        heldBytes += record.count + Self.recordOverhead
        if heldBytes >= budget { try spill() }
    }

    /// Every record added, in order.
    package func finish() throws(Failure) -> MergedRecords {
        held.sort(by: Self.precedes)
        if runs.isEmpty {
            defer { held = [] }
            return MergedRecords(sources: [.memory(held, 0)])
        }
        if !held.isEmpty { try spill() }
        while runs.count > Self.maxFanIn {
            let batch = Array(runs.prefix(Self.maxFanIn))
            runs.removeFirst(batch.count)
            var merged = MergedRecords(sources: try sources(batch))
            let fd = try createRun()
            var writer = RunWriter(fd: fd)
            while let record = try merged.next() { try writer.append(record) }
            try writer.finish()
            for old in batch { close(old) }
            runs.append(fd)
        }
        return MergedRecords(sources: try sources(runs))
    }

    private func sources(_ fds: [Int32]) throws(Failure) -> [MergedRecords.Source] {
        var sources: [MergedRecords.Source] = []
        for fd in fds { sources.append(.file(try RunReader(fd: fd, maxRecordBytes: maxRecordBytes))) }
        return sources
    }

    /// Sorts the held records and writes them as one run.
    private func spill() throws(Failure) {
        held.sort(by: Self.precedes)
        let fd = try createRun()
        runs.append(fd)
        var writer = RunWriter(fd: fd)
        for record in held { try writer.append(record) }
        try writer.finish()
        runsWritten += 1
        held = []
        heldBytes = 0
    }

    private func createRun() throws(Failure) -> Int32 {
        var template =
            Array((directory.hasSuffix("/") ? directory : directory + "/").utf8CString.dropLast()) + Array("cds-bulk-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            let fd = mkstemp(base)
            if fd >= 0 {
                unlink(base)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            return fd
        }
        guard fd >= 0 else {
            throw Failure(description: "\(directory): cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// Byte order, a shorter record first on a common prefix.
    static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let common = min(a.count, b.count)
        let c = a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                guard common > 0, let x = pa.baseAddress, let y = pb.baseAddress else { return Int32(0) }
                return memcmp(x, y, common)
            }
        }
        return c != 0 ? c < 0 : a.count < b.count
    }
}

/// The merged, sorted records of an ``ExternalSorter``.
package struct MergedRecords {
    enum Source {
        case memory([[UInt8]], Int)
        case file(RunReader)

        mutating func next() throws(ExternalSorter.Failure) -> [UInt8]? {
            switch self {
            case .memory(let records, let index):
                guard index < records.count else { return nil }
                self = .memory(records, index + 1)
                return records[index]
            case .file(var reader):
                let record = try reader.next()
                self = .file(reader)
                return record
            }
        }
    }

    private var sources: [Source]
    /// A min-heap of (record, source index).
    private var heap: [(record: [UInt8], source: Int)] = []
    private var started = false

    init(sources: [Source]) {
        self.sources = sources
    }

    /// The next record in order, or nil at the end.
    package mutating func next() throws(ExternalSorter.Failure) -> [UInt8]? {
        if !started {
            started = true
            for i in sources.indices {
                if let record = try sources[i].next() { push((record, i)) }
            }
        }
        guard let top = heap.first else { return nil }
        if let following = try sources[top.source].next() {
            heap[0] = (following, top.source)
            siftDown(0)
        } else {
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                siftDown(0)
            }
        }
        return top.record
    }

    private func less(_ i: Int, _ j: Int) -> Bool {
        let a = heap[i]
        let b = heap[j]
        if ExternalSorter.precedes(a.record, b.record) { return true }
        if ExternalSorter.precedes(b.record, a.record) { return false }
        return a.source < b.source
    }

    private mutating func push(_ item: (record: [UInt8], source: Int)) {
        heap.append(item)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < heap.count && less(l, m) { m = l }
            if r < heap.count && less(r, m) { m = r }
            guard m != i else { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}

/// Buffered writing of one run file.
struct RunWriter {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 20)
    }

    mutating func append(_ record: [UInt8]) throws(ExternalSorter.Failure) {
        buffer.append(contentsOf: record)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func finish() throws(ExternalSorter.Failure) {
        try flush()
        guard lseek(fd, 0, SEEK_SET) == 0 else {
            throw ExternalSorter.Failure(description: "cannot rewind a temporary file: \(String(cString: strerror(errno)))")
        }
    }

    private mutating func flush() throws(ExternalSorter.Failure) {
        guard FileDescriptorIO.writeAll(fd, buffer) else {
            throw ExternalSorter.Failure(description: "cannot write a temporary file: \(String(cString: strerror(errno)))")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Buffered reading of one run file, record by record.
struct RunReader {
    let fd: Int32
    private var framer: LineFramer
    private var pending: [[UInt8]] = []
    private var position = 0
    private var ended = false

    init(fd: Int32, maxRecordBytes: Int) throws(ExternalSorter.Failure) {
        self.fd = fd
        framer = LineFramer(maxLineBytes: maxRecordBytes)
    }

    mutating func next() throws(ExternalSorter.Failure) -> [UInt8]? {
        while position >= pending.count {
            if ended { return nil }
            var chunk = [UInt8](repeating: 0, count: 128 << 10)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ExternalSorter.Failure(description: "cannot read a temporary file: \(String(cString: strerror(errno)))")
            }
            let frames = n == 0 ? framer.finish() : chunk.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            ended = n == 0
            pending = frames.compactMap { frame in
                if case .line(let bytes) = frame { return bytes }
                return nil
            }
            position = 0
        }
        defer { position += 1 }
        return pending[position]
    }
}
