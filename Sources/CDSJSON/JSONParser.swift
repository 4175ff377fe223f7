import CJSONC

/// A strict RFC 8259 parser over json-c.
///
/// json-c 0.16 accepts more than RFC 8259 (NaN, Infinity, single quotes, comments, trailing
/// commas, raw control characters, overlong UTF-8, trailing data) and silently changes
/// some values (duplicate keys keep the last, big integers saturate, `1e400` becomes
/// infinity). So a Swift validator first checks the exact grammar, UTF-8, the limits and
/// number ranges in one pass; json-c then builds the tree, which is converted to
/// ``JSONValue`` and released. Every refusal is a ``JSONParseError`` with a byte offset.
public struct JSONParser: Sendable {
    /// Bounds on what one document may cost.
    public struct Limits: Sendable, Hashable {
        /// Maximum nesting of arrays and objects (clamped to 1...1000).
        public var maxDepth: Int
        /// Maximum length of the text in bytes.
        public var maxBytes: Int

        /// Limits; the defaults suit a clinical case (64 levels, 8 MiB).
        public init(maxDepth: Int = 64, maxBytes: Int = 8 << 20) {
            self.maxDepth = maxDepth
            self.maxBytes = maxBytes
        }
    }

    /// The limits this parser enforces.
    public let limits: Limits

    /// A parser with the given limits.
    public init(limits: Limits = .init()) {
        self.limits = Limits(maxDepth: min(max(limits.maxDepth, 1), 1000), maxBytes: max(limits.maxBytes, 0))
    }

    /// Parses one JSON text (surrounding whitespace allowed, nothing else).
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        guard bytes.count <= limits.maxBytes else {
            throw JSONParseError(.tooLarge, at: limits.maxBytes, "document is longer than the limit of \(limits.maxBytes) bytes")
        }
        var validator = StrictValidator(bytes, maxDepth: limits.maxDepth)
        try validator.validateDocument()
        return try JSONCTree.parse(bytes, depth: limits.maxDepth, memberCounts: validator.memberCounts)
    }

    /// Parses one JSON text.
    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        do {
            return try bytes.withUnsafeBytes { buffer in try parse(buffer) }
        } catch let error as JSONParseError {
            throw error
        } catch {
            preconditionFailure("unreachable: parse throws only JSONParseError")
        }
    }

    /// Parses one JSON text given as a string.
    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}
