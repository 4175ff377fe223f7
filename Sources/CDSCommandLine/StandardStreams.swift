import CDSJSON

/// Unbuffered writes to the standard streams.
///
/// Results go to standard output through `output` only; diagnostics go to standard error.
package enum StandardStreams {
    /// Writes `text` to standard output. Returns false if the reader went away (EPIPE).
    @discardableResult
    package static func output(_ text: String) -> Bool { FileDescriptorIO.writeAll(1, Array(text.utf8)) }

    /// Writes one line to standard error.
    package static func error(_ line: String) { _ = FileDescriptorIO.writeAll(2, Array((line + "\n").utf8)) }
}
