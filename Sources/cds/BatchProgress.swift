import CDSCommandLine
import CDSEngine
import CDSJSON

#if canImport(Glibc)
    import Glibc
#endif

/// `cds evaluate --batch` on standard error: a progress bar while it runs (only when
/// standard error is a terminal), and one summary line at the end.
final class BatchProgress: Sendable {
    private struct State {
        var lastDraw = 0.0
        var drawn = false
    }

    private let input: Int32
    private let inputSize: Int?
    private let started = BatchProgress.now()
    private let drawing: Bool
    private let state = Locked(State())

    /// `input` is the batch's input descriptor: for a regular file its size and the
    /// reader's position give the fraction done and an estimate of the time left.
    init(input: Int32, terminal: Bool = isatty(2) == 1) {
        self.input = input
        var st = stat()
        inputSize = fstat(input, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0 ? Int(st.st_size) : nil
        drawing = terminal
    }

    /// Redraws the bar at most ten times a second.
    func update(evaluated: Int, failed: Int) {
        guard drawing else { return }
        let now = Self.now()
        let due = state.withLock { s -> Bool in
            guard now - s.lastDraw >= 0.1 else { return false }
            s.lastDraw = now
            s.drawn = true
            return true
        }
        guard due else { return }
        let done = evaluated + failed
        let elapsed = max(now - started, 0.001)
        var line = "\r"
        if let inputSize {
            let position = Int(lseek(input, 0, SEEK_CUR))
            let fraction = min(1, max(0, Double(position) / Double(inputSize)))
            let width = 24
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += "\(Int(fraction * 100))%  "
            if fraction > 0.01 { line += "about \(Self.duration(elapsed * (1 - fraction) / fraction)) left  " }
        }
        line += "\(done) cases (\(failed) failed)  \(Int(Double(done) / elapsed)) cases/s\u{1B}[K"
        _ = FileDescriptorIO.writeAll(2, Array(line.utf8))
    }

    /// Clears the bar and writes the summary line.
    func finish(evaluated: Int, failed: Int) {
        let elapsed = Self.now() - started
        let clear = state.withLock { $0.drawn } ? "\r\u{1B}[K" : ""
        let done = evaluated + failed
        let rate = elapsed > 0 ? " (\(Int(Double(done) / elapsed)) cases/s)" : ""
        var text = "cds: batch: \(done) lines, \(evaluated) evaluated, \(failed) failed, in \(Self.duration(elapsed))\(rate)"
        if failed > 0 { text += "; \(failed) of \(done) lines could not be evaluated (see their \"error\" lines)" }
        StandardStreams.error(clear + text)
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// `0.4 s`, `12 s`, `3 min 05 s`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return "\((seconds * 10).rounded() / 10) s" }
        if seconds < 60 { return "\(Int(seconds.rounded())) s" }
        let s = Int(seconds.rounded())
        let rest = s % 60
        return "\(s / 60) min \(rest < 10 ? "0" : "")\(rest) s"
    }
}
