import CDSEngine

/// Text a module produced, made safe for the host's log and for plans.
///
/// A module is untrusted: what it writes must not forge log lines (newlines), move a
/// terminal's cursor or rewrite its title (escape sequences), or cut a log line short (NUL).
/// Printable ASCII is kept except `\`; everything else, including every non-ASCII byte, is
/// written as `\n`, `\r`, `\t`, `\\` or `\xHH`, so the result is plain printable ASCII.
enum ModuleText {
    /// `bytes` escaped, at most `limit` bytes of them, with `…(N more bytes)` when cut.
    static func escaped(_ bytes: some Collection<UInt8>, limit: Int = 200) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(min(bytes.count, limit) + 16)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var taken = 0
        for b in bytes {
            if taken == limit { break }
            taken += 1
            switch b {
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x20...0x7E: out.append(b)
            default: out += [0x5C, 0x78, hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
            }
        }
        var text = String(decoding: out, as: UTF8.self)
        if bytes.count > taken { text += "…(\(bytes.count - taken) more bytes)" }
        return text
    }

    /// A module-supplied string escaped like ``escaped(_:limit:)``.
    static func escaped(_ text: String, limit: Int = 200) -> String { escaped(text.utf8, limit: limit) }
}

/// A byte budget for what one module may put into the host's log per evaluation.
///
/// The standard-error drain spends it line by line; each `assess` request renews it. What
/// does not fit is counted, and the count is logged once when the budget is renewed.
final class LogBudget: Sendable {
    private struct State {
        var remaining: Int
        var dropped = 0
    }

    let bytesPerEvaluation: Int
    private let state: Locked<State>

    init(bytesPerEvaluation: Int) {
        self.bytesPerEvaluation = bytesPerEvaluation
        state = Locked(State(remaining: bytesPerEvaluation))
    }

    /// Whether a line of `count` bytes may be logged (and if so, spends it).
    func spend(_ count: Int) -> Bool {
        state.withLock { s in
            if count <= s.remaining {
                s.remaining -= count
                return true
            }
            s.remaining = 0
            s.dropped += count
            return false
        }
    }

    /// Starts a new evaluation's budget; returns how many bytes the last one dropped.
    func renew() -> Int {
        state.withLock { s in
            let dropped = s.dropped
            s.remaining = bytesPerEvaluation
            s.dropped = 0
            return dropped
        }
    }
}
