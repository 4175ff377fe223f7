import CDSJSON

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of a bulk run on standard error: a live bar with patients per second and an
/// estimate of the time left when standard error is a terminal, else a line every few
/// seconds. Counts only, never patient data.
struct BulkProgress {
    private let fd: Int32
    private let terminal: Bool
    private let enabled: Bool
    private let interval: Double
    private let start = BulkProgress.now()
    private var evaluationStart: Double?
    private lazy var lastShown = start
    private var barShown = false

    init(fd: Int32 = 2, enabled: Bool) {
        self.fd = fd
        self.enabled = enabled
        terminal = isatty(fd) == 1
        interval = terminal ? 0.2 : 5
    }

    /// Seconds since the run began.
    var elapsed: Double { Self.now() - start }

    /// While the export is read and sorted.
    mutating func reading(bytes: Int64, of total: Int64) {
        guard due() else { return }
        let percent = total > 0 ? Int(100 * bytes / total) : 100
        show("reading and grouping the export: \(mib(bytes)) of \(mib(total)) MiB (\(percent) %)")
    }

    /// While patients are evaluated (`expected`: the Patient resources the export holds).
    mutating func evaluated(_ done: Int, expected: Int) {
        let now = Self.now()
        if evaluationStart == nil { evaluationStart = now }
        guard due() else { return }
        let seconds = max(1e-6, now - (evaluationStart ?? now))
        let rate = Double(done) / seconds
        let total = max(expected, done)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let rateText = "\(Int(rate.rounded())) patients/s"
        if terminal {
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            show("[\(bar)] \(done)/\(total) patients  \(rateText)  ETA \(Self.clock(eta))")
        } else {
            show("\(done) of \(total) patients evaluated, \(rateText), about \(Self.clock(eta)) left")
        }
    }

    /// Ends the live bar (if one is shown) and writes `line`.
    mutating func finish(_ line: String) {
        if barShown { write("\r\u{1B}[K") }
        barShown = false
        write("cds: \(line)\n")
    }

    private mutating func due() -> Bool {
        guard enabled else { return false }
        let now = Self.now()
        guard now - lastShown >= interval else { return false }
        lastShown = now
        return true
    }

    private mutating func show(_ text: String) {
        if terminal {
            write("\r\u{1B}[Kcds: " + text)
            barShown = true
        } else {
            write("cds: \(text)\n")
        }
    }

    private func write(_ text: String) { _ = FileDescriptorIO.writeAll(fd, Array(text.utf8)) }

    private func mib(_ bytes: Int64) -> String {
        let tenths = (bytes * 10) >> 20
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        let h = s / 3600
        let m = (s / 60) % 60
        let r = s % 60
        let mm = m < 10 ? "0\(m)" : "\(m)"
        let ss = r < 10 ? "0\(r)" : "\(r)"
        return h > 0 ? "\(h):\(mm):\(ss)" : "\(m):\(ss)"
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
