/// Writes compact JSON text straight into a byte buffer, member by member, and splices
/// pre-serialised ``JSONFragment``s without re-encoding them.
///
/// The output is byte for byte what ``JSONValue/serialized()`` (json-c with
/// `JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE`) gives for the same value: the
/// same escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as
/// lowercase `\u00xx`, `/` and non-ASCII text as they are), integers in decimal, doubles in
/// their shortest round-trip form. The test suite checks this against json-c on every value
/// it produces and a fuzz target checks it on arbitrary input, so json-c stays the
/// reference. The writer exists for the hot path: a reply made of Catalog text that never
/// changes is spliced from fragments instead of being rebuilt as a json-c tree each time.
///
/// Structure comes from nesting: ``object(_:)`` and ``array(_:)`` take a closure that
/// writes the members or elements, and commas are placed by the writer, so a well-nested
/// program cannot produce malformed text.
public struct JSONWriter: Sendable {
    /// The text written so far, UTF-8.
    public private(set) var bytes: [UInt8]
    /// Nothing written yet in the innermost open container.
    private var atContainerStart = true
    /// A member's key was just written: its value follows without a comma.
    private var afterKey = false

    /// An empty writer; `capacity` pre-sizes the buffer.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Hands over the bytes written so far and empties the buffer, keeping the writer's
    /// place in the structure: a long text can be sent in pieces while it is written.
    public mutating func takeBytes() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    /// The text written so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Makes room for `count` more bytes, so that writing them reallocates nothing. The
    /// buffer grows at least twofold when it must grow, so that many reservations in one
    /// buffer (the members of a batch reply) cost linear time, not a copy each.
    public mutating func reserveCapacity(additional count: Int) {
        let needed = bytes.count + count
        if needed > bytes.capacity { bytes.reserveCapacity(Swift.max(needed, 2 * bytes.capacity)) }
    }

    // MARK: structure

    /// Writes an object whose members `body` writes with ``key(_:)`` and a value, or the
    /// `member` conveniences.
    public mutating func object(_ body: (inout JSONWriter) throws -> Void) rethrows {
        try container(UInt8(ascii: "{"), UInt8(ascii: "}"), body)
    }

    /// Writes an array whose elements `body` writes.
    public mutating func array(_ body: (inout JSONWriter) throws -> Void) rethrows {
        try container(UInt8(ascii: "["), UInt8(ascii: "]"), body)
    }

    private mutating func container(_ open: UInt8, _ close: UInt8, _ body: (inout JSONWriter) throws -> Void) rethrows {
        beginValue()
        bytes.append(open)
        atContainerStart = true
        try body(&self)
        bytes.append(close)
        atContainerStart = false
        afterKey = false
    }

    /// Writes an array with one element per item of `items`.
    public mutating func array<S: Sequence>(_ items: S, _ element: (inout JSONWriter, S.Element) throws -> Void) rethrows {
        try array { w in
            for item in items { try element(&w, item) }
        }
    }

    /// Writes a member's key, as written in code, inside an object; the next value written
    /// is the member's value. Such keys need no escapes (checked in debug builds), so their
    /// bytes are copied as they are.
    public mutating func key(_ key: StaticString) {
        assert(!Self.needsEscapeAnywhere(key), "a literal key that needs escaping: use key(text:)")
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    /// Writes a member's key that comes from data (escaped as needed); the next value
    /// written is the member's value.
    public mutating func key(text key: String) {
        separate()
        appendString(key)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    private static func needsEscapeAnywhere(_ key: StaticString) -> Bool {
        UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount).contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
    }

    // MARK: values

    /// Writes `null`.
    public mutating func null() {
        beginValue()
        bytes.append(contentsOf: Self.nullText)
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        beginValue()
        bytes.append(contentsOf: value ? Self.trueText : Self.falseText)
    }

    /// Writes an integer in decimal.
    public mutating func integer(_ value: Int64) {
        beginValue()
        appendDecimal(value)
    }

    /// Writes an unsigned integer in decimal.
    public mutating func unsigned(_ value: UInt64) {
        beginValue()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes a double in its shortest round-trip form. A non-finite value, which JSON
    /// cannot carry, is written as `null` (``JSONValue/double(_:)`` is finite by contract).
    public mutating func double(_ value: Double) {
        beginValue()
        guard value.isFinite else {
            bytes.append(contentsOf: Self.nullText)
            return
        }
        bytes.append(contentsOf: value.description.utf8)
    }

    /// Writes a string, escaped.
    public mutating func string(_ value: String) {
        beginValue()
        appendString(value)
    }

    /// Writes any value.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .integer(let i): integer(i)
        case .unsigned(let u): unsigned(u)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .array(let elements):
            array { w in
                for element in elements { w.value(element) }
            }
        case .object(let members):
            object { w in
                for (k, v) in members {
                    w.key(text: k)
                    w.value(v)
                }
            }
        }
    }

    /// Writes a pre-serialised value as it is.
    public mutating func fragment(_ fragment: JSONFragment) {
        beginValue()
        bytes.append(contentsOf: fragment.bytes)
    }

    /// Writes, as the next value, the bytes of another writer that wrote exactly one whole
    /// value (a batch member's reply computed on another thread).
    package mutating func splice(writtenValue bytes: [UInt8]) {
        beginValue()
        bytes.withUnsafeBufferPointer { self.bytes.append(contentsOf: $0) }
    }

    /// Writes pre-serialised members into the object being written (nothing if empty).
    public mutating func members(_ fragment: JSONMembersFragment) {
        guard !fragment.bytes.isEmpty else { return }
        separate()
        bytes.append(contentsOf: fragment.bytes)
    }

    // MARK: member conveniences

    /// Writes a member with any value.
    public mutating func member(_ name: StaticString, _ value: JSONValue) {
        key(name)
        self.value(value)
    }

    /// Writes a string member.
    public mutating func member(_ name: StaticString, string value: String) {
        key(name)
        string(value)
    }

    /// Writes an integer member.
    public mutating func member(_ name: StaticString, integer value: Int64) {
        key(name)
        integer(value)
    }

    /// Writes a member whose value is a fragment.
    public mutating func member(_ name: StaticString, fragment value: JSONFragment) {
        key(name)
        fragment(value)
    }

    // MARK: internals

    private mutating func beginValue() {
        if afterKey {
            afterKey = false
        } else {
            separate()
        }
    }

    private mutating func separate() {
        if atContainerStart {
            atContainerStart = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    private static let nullText: [UInt8] = Array("null".utf8)
    private static let trueText: [UInt8] = Array("true".utf8)
    private static let falseText: [UInt8] = Array("false".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendDecimal(_ value: Int64) {
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Digits of the magnitude, least significant first, without overflow at Int64.min.
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of scratch
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                scratch[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(scratch[i]) }
        }
    }

    /// Appends `"…"` with json-c's escapes; runs that need none are copied in one step.
    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return }
            let count = utf8.count
            var runStart = 0
            var i = 0
            while i < count {
                // Eight bytes at a time while none of them needs an escape.
                if i + 8 <= count && !Self.needsEscape(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) {
                    i += 8
                    continue
                }
                let c = base[i]
                let escape: UInt8
                switch c {
                case UInt8(ascii: "\""): escape = UInt8(ascii: "\"")
                case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
                case 0x08: escape = UInt8(ascii: "b")
                case 0x0C: escape = UInt8(ascii: "f")
                case 0x0A: escape = UInt8(ascii: "n")
                case 0x0D: escape = UInt8(ascii: "r")
                case 0x09: escape = UInt8(ascii: "t")
                case 0x00..<0x20: escape = UInt8(ascii: "u")
                default:
                    i += 1
                    continue
                }
                if i > runStart { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart)) }
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(escape)
                if escape == UInt8(ascii: "u") {
                    bytes.append(contentsOf: [
                        UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hexDigits[Int(c >> 4)], Self.hexDigits[Int(c & 0xF)],
                    ])
                }
                i += 1
                runStart = i
            }
            if count > runStart { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart)) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes of `word` is below 0x20, `"` or `\` (the bytes that
    /// need an escape); each test is the classic "has a zero byte" bit trick.
    @inline(__always)
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let below20 = (word &- ones &* 0x20) & ~word & highs
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote & highs
        let hasBackslash = (backslash &- ones) & ~backslash & highs
        return (below20 | hasQuote | hasBackslash) != 0
    }
}

/// A JSON value serialised once, to be spliced into many documents by ``JSONWriter``.
///
/// Made only by serialising a ``JSONValue`` through json-c, so its text is always valid,
/// compact, single-line JSON.
public struct JSONFragment: Sendable, Hashable {
    /// The serialised text, UTF-8.
    public let bytes: [UInt8]

    /// Serialises `value` with json-c (``JSONValue/serialized()``).
    public init(_ value: JSONValue) {
        bytes = Array(value.serialized().utf8)
    }

    /// The serialised text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// The members of a JSON object serialised once, without the braces, to be spliced into
/// objects that ``JSONWriter`` writes around them.
public struct JSONMembersFragment: Sendable, Hashable {
    /// The serialised members (`"a":1,"b":2`), UTF-8; empty for no members.
    public let bytes: [UInt8]

    /// Serialises `members` with json-c and keeps the text between the braces.
    public init(_ members: JSONObject) {
        let whole = Array(JSONValue.object(members).serialized().utf8)
        bytes = whole.count >= 2 ? Array(whole[1..<(whole.count - 1)]) : []
    }
}
