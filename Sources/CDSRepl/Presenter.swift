import CDSJSON
import CLibedit

#if canImport(Glibc)
    import Glibc
#endif

/// Writes command output to a terminal the way a person reads it: lines wrapped at word
/// boundaries to the terminal's width, and output taller than the screen through a pager
/// (`$PAGER`, else `less -R`), as git and psql do. Piped output is written as it is.
package struct Presenter {
    /// Whether standard output is a terminal (wrapping and paging apply only then).
    let terminal: Bool

    package init(terminal: Bool) {
        self.terminal = terminal
    }

    /// The terminal's columns and rows, if standard output is one.
    package static func size() -> (columns: Int, rows: Int)? {
        var columns: Int32 = 0
        var rows: Int32 = 0
        guard cds_terminal_size(1, &columns, &rows) == 0 else { return nil }
        return (Int(columns), Int(rows))
    }

    package func present(_ text: String) {
        guard terminal, let size = Self.size() else {
            _ = FileDescriptorIO.writeAll(1, Array(text.utf8))
            return
        }
        let wrapped = Self.wrap(text, width: size.columns)
        let lines = wrapped.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
        if lines >= size.rows, let pager = Self.pagerCommand(), page(wrapped, through: pager) { return }
        _ = FileDescriptorIO.writeAll(1, Array(wrapped.utf8))
    }

    /// `$PAGER` when set (empty: no pager), else `less -R` when less is installed.
    static func pagerCommand() -> String? {
        if let pager = getenv("PAGER").map({ String(cString: $0) }) { return pager.isEmpty ? nil : pager }
        guard let path = getenv("PATH").map({ String(cString: $0) }) else { return nil }
        for dir in path.split(separator: ":") where access("\(dir)/less", X_OK) == 0 { return "less -R" }
        return nil
    }

    private func page(_ text: String, through command: String) -> Bool {
        // As git does: unless the person chose otherwise, less keeps colours (R), leaves the
        // text on the screen when it quits (X) and quits at once if it all fits (F).
        setenv("LESS", "FRX", 0)
        guard let pipe = popen(command, "w") else { return false }
        _ = text.withCString { fputs($0, pipe) }
        return pclose(pipe) != -1
    }

    /// Each line wider than `width` broken at spaces; the continuation lines are indented
    /// like the line's first word, plus two. A word longer than the width stays whole.
    package static func wrap(_ text: String, width: Int) -> String {
        guard width >= 20 else { return text }
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard Style.width(String(line)) > width else {
                out.append(String(line))
                continue
            }
            let indent = line.prefix(while: { $0 == " " }).count
            let hang = String(repeating: " ", count: min(indent + 2, width / 2))
            var current = String(repeating: " ", count: indent)
            var currentWidth = indent
            var first = true
            for word in line.dropFirst(indent).split(separator: " ", omittingEmptySubsequences: false) {
                let w = Style.width(String(word))
                let lead = first ? 0 : 1
                if !first && currentWidth + lead + w > width {
                    out.append(current)
                    current = hang + word
                    currentWidth = hang.count + w
                } else {
                    current += (first ? "" : " ") + word
                    currentWidth += lead + w
                }
                first = false
            }
            out.append(current)
        }
        return out.joined(separator: "\n")
    }
}
