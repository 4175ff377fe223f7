/// Why a JSON text was refused, and where.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem. A struct rather than an enum so that kinds can be added.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's stable name, such as `invalid-syntax`.
        public var rawValue: String
        /// The code named `rawValue`.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's name.
        public var description: String { rawValue }

        /// The text breaks the RFC 8259 grammar.
        public static let invalidSyntax = Code(rawValue: "invalid-syntax")
        /// A byte sequence is not well-formed UTF-8 (overlong, surrogate, out of range, truncated).
        public static let invalidUTF8 = Code(rawValue: "invalid-utf8")
        /// A raw control character (U+0000...U+001F) inside a string.
        public static let controlCharacter = Code(rawValue: "control-character")
        /// A malformed number (`01`, `1.`, `.5`, `-`, `1e`).
        public static let invalidNumber = Code(rawValue: "invalid-number")
        /// A number that cannot be represented exactly (integer outside Int64, overflow to
        /// infinity, underflow to zero).
        public static let numberOutOfRange = Code(rawValue: "number-out-of-range")
        /// An invalid escape sequence in a string, including unpaired surrogate escapes.
        public static let invalidEscape = Code(rawValue: "invalid-escape")
        /// An object repeats a key.
        public static let duplicateKey = Code(rawValue: "duplicate-key")
        /// Arrays and objects nest deeper than the limit.
        public static let tooDeep = Code(rawValue: "too-deep")
        /// The text is longer than the limit.
        public static let tooLarge = Code(rawValue: "too-large")
        /// Something follows the value.
        public static let trailingData = Code(rawValue: "trailing-data")
        /// The text ends inside a value.
        public static let unexpectedEnd = Code(rawValue: "unexpected-end")
        /// The text is empty or only whitespace.
        public static let emptyInput = Code(rawValue: "empty-input")
    }

    /// The kind of problem.
    public var code: Code
    /// The 0-based byte offset of the offending byte.
    public var offset: Int
    /// What was found and what was expected.
    public var message: String

    /// An error.
    public init(_ code: Code, at offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    /// `byte N: message`.
    public var description: String { "byte \(offset): \(message)" }
}
