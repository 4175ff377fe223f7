/// Splits a byte stream into newline-delimited messages (JSON Lines framing).
///
/// Lines end at `\n`; one trailing `\r` is dropped, so CRLF clients work. A line whose
/// content (the bytes before `\n`, without that `\r`) is longer than `maxLineBytes` is
/// reported once as ``Frame/tooLong(limit:)`` and its bytes are
/// discarded up to the next newline, so memory stays bounded and the stream
/// resynchronises. Bytes are framed before any decoding, so input split anywhere (even
/// inside a UTF-8 character) frames identically.
public struct LineFramer: Sendable {
    /// One framed message.
    public enum Frame: Sendable, Hashable {
        /// A complete line, without its terminator.
        case line([UInt8])
        /// A line exceeded the limit; its content was dropped.
        case tooLong(limit: Int)

        /// A line of nothing but spaces, tabs and carriage returns (skipped, never answered).
        public var isBlank: Bool {
            guard case .line(let bytes) = self else { return false }
            return bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        }
    }

    /// The longest line content delivered whole; a longer line is reported as ``Frame/tooLong(limit:)`` and discarded.
    public let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var discarding = false

    /// A framer for lines of at most `maxLineBytes` bytes of content (at least 1).
    public init(maxLineBytes: Int) {
        self.maxLineBytes = max(1, maxLineBytes)
    }

    /// Consumes a chunk and returns the messages it completes.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) -> [Frame] {
        var frames: [Frame] = []
        var start = 0
        let count = chunk.count
        while start < count {
            var end = start
            while end < count && chunk[end] != 0x0A { end += 1 }
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<end])
            let complete = end < count
            if discarding {
                if complete { discarding = false }
            } else if exceedsLimit(piece) {
                frames.append(.tooLong(limit: maxLineBytes))
                buffer.removeAll(keepingCapacity: false)
                discarding = !complete
            } else {
                buffer.append(contentsOf: piece)
                if complete {
                    frames.append(.line(Self.dropCarriageReturn(buffer)))
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            start = end + (complete ? 1 : 0)
        }
        return frames
    }

    /// Whether `piece` added to the line so far makes its content longer than the limit.
    /// One byte more is allowed when it is a `\r`, which a following `\n` makes a
    /// terminator, not content: a line of exactly `maxLineBytes` ending in CRLF is accepted.
    private func exceedsLimit(_ piece: UnsafeRawBufferPointer) -> Bool {
        let total = buffer.count + piece.count
        if total <= maxLineBytes { return false }
        if total > maxLineBytes + 1 { return true }
        let last = piece.last ?? buffer.last
        return last != 0x0D
    }

    /// Whether a line has been started and not yet ended (bytes read after the last newline,
    /// kept or being skipped).
    public var isWithinLine: Bool { discarding || !buffer.isEmpty }

    /// Convenience for tests.
    public mutating func feed(_ bytes: [UInt8]) -> [Frame] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// End of input: a final line without a newline is still a message.
    public mutating func finish() -> [Frame] {
        defer {
            buffer.removeAll()
            discarding = false
        }
        guard !discarding, !buffer.isEmpty else { return [] }
        return [.line(Self.dropCarriageReturn(buffer))]
    }

    private static func dropCarriageReturn(_ line: [UInt8]) -> [UInt8] {
        line.last == 0x0D ? Array(line.dropLast()) : line
    }
}
