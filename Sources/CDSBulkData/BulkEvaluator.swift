import CDSEngine
import CDSInterop
import CDSJSON
import CDSServer
import Dispatch
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `cds evaluate --bulk DIR`: a FHIR Bulk Data export in, one NDJSON line per patient out,
/// in patient id order (byte order).
///
/// Two passes. The first reads every export line, finds its patient (``ResourceKey``) and
/// hands `patient \0 type \0 id \0 line` to an ``ExternalSorter``, which holds at most
/// the memory budget and writes sorted runs to temporary files beyond it. The second
/// merges the runs: each patient's resources arrive together, in (type, id, line) order,
/// identical lines once; deleted resources are dropped. A patient whose Patient resource
/// is in the export becomes one FHIR Bundle,
/// `{"resourceType":"Bundle","id":ID,"type":"collection","entry":[{"resource":R},...]}`
/// with each resource's line spliced verbatim, evaluated exactly as `cds evaluate --batch`
/// evaluates a line (``BatchEvaluator/outcome(_:)``) on the lanes of an
/// ``OrderedPipeline``. Its output line is `{"patient":ID,"plan":PLAN}` (with the
/// cds-hooks format `{"patient":ID,"response":{"cards":[...]}}`) or
/// `{"patient":ID,"error":ERROR}` with the error `--batch` would give. Resources of a
/// patient the export does not hold, and resources that name no patient, are counted,
/// never attached to anyone.
package final class BulkEvaluator: Sendable {
    /// Limits and options of a bulk run.
    package struct Configuration: Sendable {
        /// The evaluation (format, as-of date) and its limits, as for `--batch`.
        package var batch = BatchEvaluator.Configuration()
        /// Bytes of export lines held in memory while grouping; beyond, sorted runs go to
        /// temporary files.
        package var memoryBudget = 64 << 20
        /// Where the temporary files go.
        package var temporaryDirectory = "/tmp"
        /// Progress on standard error.
        package var progress = true

        package init() {
            batch.maxInFlight = 32
        }
    }

    /// What a run did.
    package struct Summary: Sendable, Equatable {
        /// Patients evaluated (one output line each).
        package var patients = 0
        /// Of which a plan (or cards) was written.
        package var plans = 0
        /// Of which an error was written.
        package var errors = 0
        /// Resources of a patient whose Patient resource the export does not hold.
        package var unknownPatient = 0
        /// Resources that name no patient (per type and reason in ``unattachedReasons``).
        package var unattached = 0
        package var unattachedReasons: [String: Int] = [:]
        /// Resources dropped because a deletion record names them.
        package var deleted = 0
        /// Lines that appeared more than once, identical (kept once).
        package var duplicates = 0
        /// Lines that are not JSON, or longer than the line limit.
        package var unreadable = 0
        /// Sorted runs written to temporary files.
        package var runs = 0
        /// Seconds spent reading the export and sorting it into runs (the first pass).
        package var groupingSeconds = 0.0
        package var interrupted = false
        package var readFailed = false

        /// Resources not attached to anyone.
        package var ignored: Int { unknownPatient + unattached + deleted }

        /// As for `--batch`: 0 when every patient got a plan, 65 when some patient got an
        /// error or some line could not be read, 74 when the export (or a temporary file)
        /// could not be read or written, 143 when SIGTERM stopped the run.
        package var exitStatus: Int32 { interrupted ? 143 : readFailed ? 74 : errors > 0 || unreadable > 0 ? 65 : 0 }

        package init() {}
    }

    package let configuration: Configuration
    private let batch: BatchEvaluator
    private let logger: Logger

    package init(engine: Engine, configuration: Configuration, logger: Logger = Logger(label: "cds.bulk")) {
        self.configuration = configuration
        self.batch = BatchEvaluator(engine: engine, configuration: configuration.batch, logger: logger)
        self.logger = logger
    }

    /// The key under which the bulk output writes a result.
    private var resultKey: String { configuration.batch.request.format == .cdsHooks ? "response" : "plan" }

    /// Evaluates the export and writes one line per patient to `output`.
    package func run(_ export: BulkExport, output: Int32) -> Summary {
        var progress = BulkProgress(enabled: configuration.progress)
        let stop = Locked(false)
        signal(SIGTERM, SIG_IGN)
        let termination = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        termination.setEventHandler { stop.withLock { $0 = true } }
        termination.resume()
        defer { termination.cancel() }

        var summary = Summary()
        let sorter = ExternalSorter(
            budget: configuration.memoryBudget, directory: configuration.temporaryDirectory,
            maxRecordBytes: configuration.batch.maxLineBytes + 4096)
        var deleted = Set<String>()
        var expected = 0
        let merged: MergedRecords
        do {
            try read(export, into: sorter, deleted: &deleted, expected: &expected, summary: &summary, progress: &progress, stop: stop)
            merged = try sorter.finish()
        } catch {
            StandardStreams.error("cds: error: \(error)")
            summary.readFailed = true
            return summary
        }
        summary.runs = sorter.runsWritten
        summary.groupingSeconds = progress.elapsed
        if stop.withLock({ $0 }) {
            // Stopped while grouping: nothing was written.
            summary.interrupted = true
            progress.finish(Self.describe(summary, seconds: progress.elapsed))
            return summary
        }
        expected = max(0, expected)
        evaluate(merged, deleted: deleted, expected: expected, output: output, summary: &summary, progress: &progress, stop: stop)
        progress.finish(Self.describe(summary, seconds: progress.elapsed))
        for (reason, count) in summary.unattachedReasons.sorted(by: { $0.key < $1.key }) {
            StandardStreams.error("cds: note: \(count) resource\(count == 1 ? "" : "s") attached to no patient: \(reason)")
        }
        return summary
    }

    /// The final summary line.
    static func describe(_ s: Summary, seconds: Double) -> String {
        var parts = [
            "\(s.patients) patients: \(s.plans) \(s.plans == 1 ? "plan" : "plans"), \(s.errors) \(s.errors == 1 ? "error" : "errors")",
            "\(s.ignored) resources ignored (\(s.unattached) naming no patient, \(s.unknownPatient) of patients not in the export, \(s.deleted) deleted)",
        ]
        if s.unreadable > 0 { parts.append("\(s.unreadable) unreadable \(s.unreadable == 1 ? "line" : "lines")") }
        if s.duplicates > 0 { parts.append("\(s.duplicates) duplicate \(s.duplicates == 1 ? "line" : "lines") kept once") }
        if s.runs > 0 { parts.append("grouped through \(s.runs) sorted runs on disk") }
        if s.interrupted { parts.append("stopped by SIGTERM") }
        func tenths(_ t: Double) -> String {
            let n = Int((t * 10).rounded())
            return "\(n / 10).\(n % 10)"
        }
        parts.append("\(tenths(seconds)) s (grouping \(tenths(s.groupingSeconds)) s)")
        return "bulk: " + parts.joined(separator: "; ")
    }

    // MARK: - Pass 1: read and group

    private struct ReadFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// One export line as the first pass sees it (computed on any lane).
    private enum Classified: Sendable {
        case record([UInt8], isPatient: Bool)
        case deletions([String])
        case unattached(String)
        case unreadable(String)
    }

    private static func classify(_ bytes: [UInt8], parser: JSONParser) -> Classified {
        let resource: JSONValue
        do throws(JSONParseError) {
            resource = try parser.parse(bytes)
        } catch {
            return .unreadable("invalid JSON at byte \(error.offset): \(error.message)")
        }
        switch ResourceKey.of(resource) {
        case .resource(let patient, let type, let id):
            var record: [UInt8] = []
            record.reserveCapacity(patient.utf8.count + type.utf8.count + id.utf8.count + bytes.count + 3)
            record += patient.utf8
            record.append(0)
            record += type.utf8
            record.append(0)
            record += id.utf8
            record.append(0)
            record += bytes
            return .record(record, isPatient: type == "Patient")
        case .deletions(let references):
            return .deletions(references)
        case .unattached(let reason):
            return .unattached("\(resource["resourceType"]?.stringValue ?? "resource"): \(reason)")
        }
    }

    /// What the first pass gathers (touched on its delivery queue only).
    private struct ReadState: Sendable {
        // `ExternalSorter` is not thread-safe, and `read` keeps its own reference to it: the
        // state is used only under its `Locked` (from the pipeline's serial queue), and
        // the caller touches the sorter again only after `pipeline.drain()`.
        nonisolated(unsafe) let sorter: ExternalSorter
        var deleted = Set<String>()
        var expected = 0
        var summary: Summary
        var progress: BulkProgress
        var done: Int64 = 0
        var total: Int64
        var warnings = 0
        var failure: ExternalSorter.Failure?

        mutating func apply(_ line: Classified, bytes: Int, at place: String) {
            done += Int64(bytes + 1)
            switch line {
            case .record(let record, let isPatient):
                if isPatient { expected += 1 }
                guard failure == nil else { return }
                do { try sorter.add(record) } catch { failure = error }
            case .deletions(let references):
                deleted.formUnion(references)
            case .unattached(let reason):
                summary.unattached += 1
                summary.unattachedReasons[reason, default: 0] += 1
            case .unreadable(let why):
                summary.unreadable += 1
                warnings += 1
                if warnings <= 20 {
                    StandardStreams.error("cds: warning: \(place): \(why)")
                } else if warnings == 21 {
                    StandardStreams.error("cds: warning: more unreadable lines; only their count is reported")
                }
            }
            progress.reading(bytes: done, of: total)
        }
    }

    /// The first pass: every line parsed and keyed on the lanes, handed in file order to
    /// the sorter.
    private func read(
        _ export: BulkExport, into sorter: ExternalSorter, deleted: inout Set<String>, expected: inout Int,
        summary: inout Summary, progress: inout BulkProgress, stop: Locked<Bool>
    ) throws {
        let parser = JSONParser(limits: .init(maxDepth: configuration.batch.maxDepth, maxBytes: configuration.batch.maxLineBytes))
        let limit = configuration.batch.maxLineBytes
        let state = Locked(ReadState(sorter: sorter, summary: summary, progress: progress, total: export.totalBytes))
        let pipeline = OrderedPipeline(label: "cds.bulk.read", lanes: configuration.batch.workers, maxInFlight: 256)
        for file in export.deletedFiles + export.files {
            let fd = open(file.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw ReadFailure(description: "\(file.path): cannot open: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var reader = LineReader(fd: fd, maxLineBytes: limit, logger: logger)
            var number = 0
            let path = file.path
            let shouldStop = { state.withLock { $0.failure != nil } || stop.withLock { $0 } }
            let complete = reader.run(shouldStop: shouldStop) { frames in
                var works: [(@Sendable () -> Classified)?] = []
                var places: [(number: Int, bytes: Int)] = []
                for frame in frames {
                    number += 1
                    guard !frame.isBlank else { continue }
                    switch frame {
                    case .tooLong:
                        works.append { .unreadable("longer than \(limit) bytes; not read") }
                        places.append((number, limit))
                    case .line(let bytes):
                        works.append { Self.classify(bytes, parser: parser) }
                        places.append((number, bytes.count))
                    }
                }
                pipeline.submit(
                    works,
                    deliver: { [places] i, line in
                        guard let line else { return }
                        state.withLock { $0.apply(line, bytes: places[i].bytes, at: "\(path):\(places[i].number)") }
                    }, finish: {})
            }
            pipeline.drain()
            if let failure = state.withLock({ $0.failure }) { throw failure }
            guard complete else { throw ReadFailure(description: "\(file.path): reading failed: \(String(cString: strerror(errno)))") }
        }
        let result = state.withLock { $0 }
        deleted = result.deleted
        summary = result.summary
        progress = result.progress
        expected = result.expected - deleted.filter { $0.hasPrefix("Patient/") }.count
    }

    // MARK: - Pass 2: one Bundle per patient

    /// One patient's resources as they leave the merge.
    private struct Group {
        var patient: [UInt8] = []
        var lines: [[UInt8]] = []
        var last: [UInt8] = []
        var hasPatient = false
        var bytes = 0
    }

    private func evaluate(
        _ records: MergedRecords, deleted: Set<String>, expected: Int, output: Int32, summary: inout Summary,
        progress: inout BulkProgress, stop: Locked<Bool>
    ) {
        var records = records
        let pipeline = OrderedPipeline(label: "cds.bulk", lanes: configuration.batch.workers, maxInFlight: configuration.batch.maxInFlight)
        let counts = Locked(Summary())
        let shared = Locked(progress)
        let staged = Locked<[[UInt8]]>([])
        let limit = configuration.batch.maxLineBytes
        var pending: [(@Sendable () -> (line: [UInt8], evaluated: Bool))?] = []
        let batchSize = max(1, configuration.batch.maxInFlight / (2 * max(1, configuration.batch.workers)))

        func submit() {
            guard !pending.isEmpty else { return }
            pipeline.submit(
                pending,
                deliver: { _, result in
                    guard let result else { return }
                    staged.withLock { $0.append(result.line) }
                    let done = counts.withLock { s in
                        s.patients += 1
                        if result.evaluated { s.plans += 1 } else { s.errors += 1 }
                        return s.patients
                    }
                    shared.withLock { $0.evaluated(done, expected: expected) }
                },
                finish: {
                    let lines = staged.withLock { lines in
                        defer { lines = [] }
                        return lines
                    }
                    if !lines.isEmpty && !FileDescriptorIO.writeLines(output, lines) {
                        // Output cut short means patients went unanswered: EX_IOERR.
                        _ = FileDescriptorIO.writeAll(2, Array("cds: error: writing the output failed; stopping\n".utf8))
                        exit(74)
                    }
                })
            pending = []
        }

        var group = Group()
        func close(_ group: Group) {
            guard !group.patient.isEmpty else { return }
            guard group.hasPatient else {
                summary.unknownPatient += group.lines.count
                return
            }
            let patient = group.patient
            let lines = group.lines
            let tooLarge = group.bytes > limit
            pending.append { [self] in evaluate(patient: patient, lines: lines, tooLarge: tooLarge) }
            if pending.count >= batchSize { submit() }
        }

        do {
            while let record = try records.next() {
                // patient \0 type \0 id \0 line
                var fields: [ArraySlice<UInt8>] = []
                var start = 0
                for i in record.indices where record[i] == 0 && fields.count < 3 {
                    fields.append(record[start..<i])
                    start = i + 1
                }
                guard fields.count == 3 else { continue }
                let line = record[start...]
                if !deleted.isEmpty,
                    deleted.contains(String(decoding: fields[1], as: UTF8.self) + "/" + String(decoding: fields[2], as: UTF8.self))
                {
                    summary.deleted += 1
                    continue
                }
                if !group.patient.elementsEqual(fields[0]) || group.patient.isEmpty {
                    close(group)
                    if stop.withLock({ $0 }) {
                        group = Group()
                        summary.interrupted = true
                        break
                    }
                    group = Group(patient: Array(fields[0]))
                    group.bytes = Self.bundleSize(patient: group.patient.count, lines: [])
                }
                if group.last == record {
                    summary.duplicates += 1
                    continue
                }
                group.last = record
                if fields[1].elementsEqual("Patient".utf8) { group.hasPatient = true }
                group.bytes += Self.entrySize(line.count)
                if group.bytes <= limit { group.lines.append(Array(line)) }
            }
        } catch {
            StandardStreams.error("cds: error: \(error)")
            summary.readFailed = true
        }
        close(group)
        submit()
        pipeline.drain()
        let c = counts.withLock { $0 }
        summary.patients = c.patients
        summary.plans = c.plans
        summary.errors = c.errors
        progress = shared.withLock { $0 }
    }

    /// The length of ``bundle(patient:lines:)`` for an id of `patient` bytes and lines of
    /// `lines` bytes (known before the Bundle is built, so that a patient beyond the line
    /// limit is never held whole): 63 and the id, then per entry ``entrySize(_:)``.
    package static func bundleSize(patient: Int, lines: [Int]) -> Int {
        lines.reduce(63 + patient) { $0 + entrySize($1) }
    }

    /// `{"resource":`, the line, `}`, and a comma (one fewer than entries: counted in 63).
    static func entrySize(_ line: Int) -> Int { line + 14 }

    /// The Bundle that the bulk run and the Spark job both give `cds` for one patient.
    package static func bundle(patient: [UInt8], lines: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(80 + patient.count) { $0 + $1.count + 14 })
        bytes += #"{"resourceType":"Bundle","id":""#.utf8
        bytes += patient
        bytes += #"","type":"collection","entry":["#.utf8
        for (i, line) in lines.enumerated() {
            if i > 0 { bytes.append(0x2C) }
            bytes += #"{"resource":"#.utf8
            bytes += line
            bytes.append(0x7D)
        }
        bytes += "]}".utf8
        return bytes
    }

    /// One patient's output line, and whether it holds a plan.
    private func evaluate(patient: [UInt8], lines: [[UInt8]], tooLarge: Bool) -> (line: [UInt8], evaluated: Bool) {
        let frame: LineFramer.Frame =
            tooLarge ? .tooLong(limit: configuration.batch.maxLineBytes) : .line(Self.bundle(patient: patient, lines: lines))
        var out: [UInt8] = Array(#"{"patient":""#.utf8)
        out += patient
        switch batch.outcome(frame) {
        case .success(let result):
            out += #"",""#.utf8
            out += resultKey.utf8
            out += #"":"#.utf8
            out += result.text()
            out.append(0x7D)
            return (out, true)
        case .failure(let error):
            var w = JSONWriter(capacity: 256)
            w.value(error.json)
            out += #"","error":"#.utf8
            out += w.bytes
            out.append(0x7D)
            return (out, false)
        }
    }
}

/// Diagnostics on standard error.
enum StandardStreams {
    static func error(_ line: String) { _ = FileDescriptorIO.writeAll(2, Array((line + "\n").utf8)) }
}
