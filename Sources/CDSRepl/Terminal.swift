import CDSJSON
import CLibedit

#if canImport(Glibc)
    import Glibc
#endif

/// Where REPL input comes from.
package protocol LineSource {
    /// The next line, or `nil` at end of input.
    mutating func next() -> String?
    /// The next line of an entry that is not complete yet (a JSON value still open), or
    /// `nil` at end of input or when the person cancels the entry (Ctrl-C).
    mutating func continuation() -> String?
    /// A complete entry, for the history.
    mutating func record(_ entry: String)
    /// Called once when the session ends.
    mutating func finish()
}

extension LineSource {
    package mutating func continuation() -> String? { next() }
    package mutating func record(_ entry: String) {}
}

/// Piped input: lines as they come, no prompt, no echo (for scripts and tests).
package struct PlainLineSource: LineSource {
    /// Lines read so far. (A stored property also keeps the type from being zero-sized,
    /// which ThreadSanitizer's instrumentation of `inout` accesses mishandles.)
    package private(set) var linesRead = 0

    package init() {}

    package mutating func next() -> String? {
        guard let line = readLine(strippingNewline: true) else { return nil }
        linesRead += 1
        return line
    }

    package mutating func finish() {}
}

/// A terminal: libedit line editing, history kept across sessions and written line by
/// line, tab completion, UTF-8 input, and Ctrl-C that cancels the line being typed.
package struct EditorLineSource: LineSource {
    let prompt: String
    let historyPath: String?
    /// How many lines of history are kept.
    static let historyLimit: Int32 = 1000

    package init(prompt: String, historyPath: String?, completer: Completer) {
        self.prompt = prompt
        self.historyPath = historyPath
        // Before libedit starts (the first readline): the locale decides whether it reads
        // multibyte characters, and the SIGINT handler it finds is the one it forwards to.
        cds_adopt_ctype_locale()
        _ = cds_install_sigint()
        CompletionBridge.completer = completer
        cds_rl_set_readline_name("cds")
        cds_rl_set_completion(CompletionBridge.callback)
        cds_rl_set_append_character(0x20)
        stifle_history(Self.historyLimit)
        if let historyPath {
            _ = read_history(historyPath)
            // Rewritten once, trimmed to the limit; from here on each line is appended.
            _ = write_history(historyPath)
        }
    }

    /// The prompt of a line that continues an open JSON value.
    static let continuationPrompt = "...> "

    package mutating func next() -> String? {
        while true {
            switch read(prompt) {
            case .line(let line): return line
            case .interrupted: continue  // Ctrl-C: the line typed so far is dropped, a fresh prompt follows
            case .end: return nil
            }
        }
    }

    package mutating func continuation() -> String? {
        if case .line(let line) = read(Self.continuationPrompt) { return line }
        return nil
    }

    package mutating func record(_ entry: String) {
        guard !entry.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" }) else { return }
        _ = add_history(entry)
        // Written as it is entered: a session that ends abruptly keeps its history.
        if let historyPath { _ = append_history(1, historyPath) }
    }

    private enum Read {
        case line(String)
        case interrupted
        case end
    }

    private func read(_ prompt: String) -> Read {
        _ = cds_take_interrupt()
        guard let raw = readline(prompt) else {
            if cds_take_interrupt() != 0 {
                _ = FileDescriptorIO.writeAll(1, Array("^C\n".utf8))
                return .interrupted
            }
            return .end
        }
        defer { free(raw) }
        return .line(String(cString: raw))
    }

    package mutating func finish() {}

    /// `$XDG_STATE_HOME/cds/history`, else `~/.local/state/cds/history` (created if needed).
    package static func defaultHistoryPath() -> String? {
        let state: String
        if let xdg = getenv("XDG_STATE_HOME").map({ String(cString: $0) }), xdg.hasPrefix("/") {
            state = xdg
        } else if let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty {
            state = home + "/.local/state"
        } else {
            return nil
        }
        var path = ""
        for component in (state + "/cds").split(separator: "/") {
            path += "/" + component
            mkdir(path, 0o700)
        }
        return path + "/history"
    }
}

/// libedit calls a C function for completion; it reaches the Swift completer through here.
enum CompletionBridge {
    /// Set once before the first `readline`; read only on the REPL's thread.
    nonisolated(unsafe) static var completer: Completer?

    static let callback: cds_completion_function = { _, _, _ in
        guard let completer = CompletionBridge.completer, let buffer = cds_rl_line_buffer() else { return nil }
        let point = Int(cds_rl_point())
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: strlen(buffer))
        let before = String(decoding: bytes.prefix(point), as: UTF8.self)
        guard let matches = completer.complete(before) else {
            cds_rl_set_attempted_over(0)  // let libedit complete file names
            return nil
        }
        cds_rl_set_attempted_over(1)
        guard !matches.isEmpty else { return nil }
        // A directory is completed with its `/` and no space, so Tab goes on into it.
        cds_rl_set_append_character(matches.count == 1 && matches[0].hasSuffix("/") ? 0 : 0x20)
        // readline convention: [0] is the text to insert (the common prefix), then the
        // matches, then NULL; every string malloc'ed, libedit frees them. libedit reads
        // [1] and [2] to recognise a single match, so a single match is listed twice.
        let list = [commonPrefix(matches)] + matches
        guard
            let array = malloc((list.count + 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)?
                .assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)
        else { return nil }
        for (i, s) in list.enumerated() { array[i] = strdup(s) }
        array[list.count] = nil
        return array
    }

    static func commonPrefix(_ words: [String]) -> String {
        guard var prefix = words.first.map({ Array($0.utf8) }) else { return "" }
        for w in words.dropFirst() {
            let u = Array(w.utf8)
            var n = 0
            while n < prefix.count && n < u.count && prefix[n] == u[n] { n += 1 }
            prefix = Array(prefix[..<n])
        }
        return String(decoding: prefix, as: UTF8.self)
    }
}

/// Runs a session over a line source until `quit` or end of input. Returns whether every
/// command succeeded.
package func runREPL(_ session: ReplSession, source: inout some LineSource, write: (String) -> Void) -> Bool {
    var allSucceeded = true
    entries: while var line = source.next() {
        // A JSON value still open ({ or [ without its end) continues on the next line.
        while OpenJSON.isOpen(line) {
            guard let more = source.continuation() else { continue entries }
            line += "\n" + more
        }
        source.record(line)
        let result = session.execute(line)
        if result.failed { allSucceeded = false }
        if !result.output.isEmpty { write(result.output + "\n") }
        if result.quit { break }
    }
    source.finish()
    return allSucceeded
}

/// Whether a line ends inside a JSON object or array (brackets counted outside strings).
enum OpenJSON {
    static func isOpen(_ text: String) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in text.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): if depth > 0 { inString = true }
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return depth > 0
    }
}
