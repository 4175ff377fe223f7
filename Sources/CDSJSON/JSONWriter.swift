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
///
/// The text lives in a buffer the writer owns (`storage` frees it). A copy of a writer
/// shares the buffer until either writes: every write first checks that the buffer is the
/// writer's alone and copies it if not, so writers have value semantics like an array,
/// without an array's checks on every byte. `Sendable` by review: the buffer is written
/// only through a uniquely referenced owner (copy on write, as above), so no two threads
/// ever write one buffer, or read one while another writes it.
public struct JSONWriter: @unchecked Sendable {
    @usableFromInline var storage: Storage
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var count: Int
    @usableFromInline var capacity: Int
    /// Nothing written yet in the innermost open container.
    @usableFromInline var atContainerStart = true
    /// A member's key was just written: its value follows without a comma.
    @usableFromInline var afterKey = false

    /// The owner of a writer's buffer: frees it when the last writer sharing it goes.
    @usableFromInline
    final class Storage {
        @usableFromInline let base: UnsafeMutablePointer<UInt8>
        @usableFromInline let capacity: Int
        /// Whether the buffer is this storage's to free (not one lent by ``write(into:_:)``).
        let owned: Bool

        @usableFromInline
        init(capacity: Int) {
            self.capacity = Swift.max(capacity, 16)
            base = .allocate(capacity: self.capacity)
            owned = true
        }

        /// A lent buffer, which this storage never frees.
        init(lent base: UnsafeMutablePointer<UInt8>, capacity: Int) {
            self.base = base
            self.capacity = capacity
            owned = false
        }

        deinit { if owned { base.deallocate() } }
    }

    /// An empty writer; `capacity` pre-sizes the buffer.
    public init(capacity: Int = 0) {
        storage = Storage(capacity: capacity)
        base = storage.base
        count = 0
        self.capacity = storage.capacity
    }

    /// Runs `body` with a writer that writes into `buffer` while the text fits it, and
    /// returns how many bytes of `buffer` it wrote; or, when the text outgrew `buffer`
    /// (the writer then moved it to a buffer of its own), `nil` and that writer. So a text
    /// whose size is known closely enough is written straight into its final buffer, such
    /// as the spare capacity of a new array, and never copied.
    ///
    /// `buffer` is lent for the call only: `body` must not keep a copy of the writer.
    package static func write(into buffer: UnsafeMutableBufferPointer<UInt8>, _ body: (inout JSONWriter) -> Void) -> (
        count: Int?, grown: JSONWriter?
    ) {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            var w = JSONWriter()
            body(&w)
            return (nil, w)
        }
        var w = JSONWriter(lending: Storage(lent: base, capacity: buffer.count))
        body(&w)
        return w.storage.owned ? (nil, w) : (w.count, nil)
    }

    private init(lending storage: Storage) {
        self.storage = storage
        base = storage.base
        count = 0
        capacity = storage.capacity
    }

    /// The text written so far, UTF-8 (a copy).
    public var bytes: [UInt8] {
        // One memcpy (the sequence initialiser copies byte by byte).
        withExtendedLifetime(storage) {
            [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                if let to = buffer.baseAddress, count > 0 { to.update(from: base, count: count) }
                initialized = count
            }
        }
    }

    /// How many bytes are written so far.
    public var byteCount: Int { count }

    /// Calls `body` with the text written so far, without copying it.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: base, count: count)) }
    }

    /// Hands over the bytes written so far and empties the buffer, keeping the writer's
    /// place in the structure: a long text can be sent in pieces while it is written.
    public mutating func takeBytes() -> [UInt8] {
        let taken = bytes
        count = 0
        return taken
    }

    /// The text written so far.
    public var text: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// Makes room for `count` more bytes, so that writing them reallocates nothing. The
    /// buffer grows at least twofold when it must grow, so that many reservations in one
    /// buffer (the members of a batch reply) cost linear time, not a copy each.
    public mutating func reserveCapacity(additional count: Int) {
        _ = room(count)
    }

    /// The place for `n` more bytes: the buffer made this writer's alone and large enough.
    /// The caller writes them there and adds `n` to `count`.
    @inlinable @inline(__always)
    mutating func room(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if _slowPath(count + n > capacity || !isKnownUniquelyReferenced(&storage)) { reallocate(atLeast: count + n) }
        return base + count
    }

    @usableFromInline
    mutating func reallocate(atLeast needed: Int) {
        let grown = needed > capacity ? Swift.max(needed, 2 * capacity) : capacity
        let new = Storage(capacity: grown)
        new.base.update(from: base, count: count)
        storage = new
        base = new.base
        capacity = new.capacity
    }

    @inlinable @inline(__always)
    mutating func append(_ byte: UInt8) {
        room(1).pointee = byte
        count += 1
    }

    @inlinable @inline(__always)
    mutating func append(_ a: UInt8, _ b: UInt8) {
        let p = room(2)
        p[0] = a
        p[1] = b
        count += 2
    }

    @inlinable @inline(__always)
    mutating func append(_ source: UnsafeBufferPointer<UInt8>) {
        guard let from = source.baseAddress, !source.isEmpty else { return }
        room(source.count).update(from: from, count: source.count)
        count += source.count
    }

    @inlinable @inline(__always)
    mutating func append(_ source: [UInt8]) {
        source.withUnsafeBufferPointer { append($0) }
    }

    // MARK: structure

    /// Writes an object whose members `body` writes with ``key(_:)`` and a value, or the
    /// `member` conveniences.
    @inlinable
    public mutating func object(_ body: (inout JSONWriter) throws -> Void) rethrows {
        try container(UInt8(ascii: "{"), UInt8(ascii: "}"), body)
    }

    /// Writes an array whose elements `body` writes.
    @inlinable
    public mutating func array(_ body: (inout JSONWriter) throws -> Void) rethrows {
        try container(UInt8(ascii: "["), UInt8(ascii: "]"), body)
    }

    @inlinable
    mutating func container(_ open: UInt8, _ close: UInt8, _ body: (inout JSONWriter) throws -> Void) rethrows {
        beginValue()
        append(open)
        atContainerStart = true
        try body(&self)
        append(close)
        atContainerStart = false
        afterKey = false
    }

    /// Writes an array with one element per item of `items`.
    @inlinable
    public mutating func array<S: Sequence>(_ items: S, _ element: (inout JSONWriter, S.Element) throws -> Void) rethrows {
        try array { w in
            for item in items { try element(&w, item) }
        }
    }

    /// Writes a member's key, as written in code, inside an object; the next value written
    /// is the member's value. Such keys need no escapes (checked in debug builds), so their
    /// bytes are copied as they are.
    @inlinable
    public mutating func key(_ key: StaticString) {
        count += writeKey(key, at: room(key.utf8CodeUnitCount + 4))
        afterKey = true
    }

    /// Writes `,"key":` at `p` (the comma when other members came before), which has room
    /// for the key's length plus 4, and returns how many bytes it wrote. The caller adds
    /// them to `count`; the next value written is the member's.
    @inlinable @inline(__always)
    mutating func writeKey(_ key: StaticString, at p: UnsafeMutablePointer<UInt8>) -> Int {
        assert(!Self.needsEscapeAnywhere(key), "a literal key that needs escaping: use key(text:)")
        let n = key.utf8CodeUnitCount
        var i = 0
        if !atContainerStart {
            p[0] = UInt8(ascii: ",")
            i = 1
        }
        atContainerStart = false
        afterKey = false
        p[i] = UInt8(ascii: "\"")
        (p + i + 1).update(from: key.utf8Start, count: n)
        p[i + n + 1] = UInt8(ascii: "\"")
        p[i + n + 2] = UInt8(ascii: ":")
        return i + n + 3
    }

    /// Writes a member's key that comes from data (escaped as needed); the next value
    /// written is the member's value.
    public mutating func key(text key: String) {
        separate()
        appendString(key)
        append(UInt8(ascii: ":"))
        afterKey = true
    }

    @usableFromInline
    static func needsEscapeAnywhere(_ key: StaticString) -> Bool {
        UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount).contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
    }

    // MARK: values

    /// Writes `null`.
    public mutating func null() {
        beginValue()
        appendLiteral("null")
    }

    /// Writes `true` or `false`.
    @inlinable
    public mutating func bool(_ value: Bool) {
        beginValue()
        appendLiteral(value ? "true" : "false")
    }

    @inlinable @inline(__always)
    mutating func appendLiteral(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Writes an integer in decimal.
    @inlinable
    public mutating func integer(_ value: Int64) {
        beginValue()
        appendDecimal(value)
    }

    /// Writes an unsigned integer in decimal.
    public mutating func unsigned(_ value: UInt64) {
        beginValue()
        var digits = String(value)
        digits.withUTF8 { append($0) }
    }

    /// Writes a double in its shortest round-trip form. A non-finite value, which JSON
    /// cannot carry, is written as `null` (``JSONValue/double(_:)`` is finite by contract).
    public mutating func double(_ value: Double) {
        beginValue()
        guard value.isFinite else {
            appendLiteral("null")
            return
        }
        var digits = value.description
        digits.withUTF8 { append($0) }
    }

    /// Writes a string, escaped.
    @inlinable
    public mutating func string(_ value: String) {
        // beginValue(), folded into the string's one reservation: a comma unless the value
        // follows a key or opens its container.
        let comma = !afterKey && !atContainerStart
        afterKey = false
        atContainerStart = false
        appendString(value, comma: comma)
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
    @inlinable
    public mutating func fragment(_ fragment: JSONFragment) {
        beginValue()
        append(fragment.bytes)
    }

    /// Writes, as the next value, the bytes of another writer that wrote exactly one whole
    /// value (a batch member's reply computed on another thread).
    package mutating func splice(writtenValue bytes: [UInt8]) {
        beginValue()
        append(bytes)
    }

    /// Writes pre-serialised members into the object being written (nothing if empty).
    @inlinable
    public mutating func members(_ fragment: JSONMembersFragment) {
        guard !fragment.bytes.isEmpty else { return }
        separate()
        append(fragment.bytes)
    }

    /// Writes again the members this writer wrote at `range` of its text (since its last
    /// ``takeBytes()``), into the object being written: for members that repeat, encoded
    /// once. The range must hold whole members, written in the same place as here (after
    /// other members, so starting with the comma), which is what makes the copy well formed.
    package mutating func rewrite(_ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "rewrite of bytes this writer does not hold")
        guard !range.isEmpty else { return }
        let p = room(range.count)
        // After `room`, `base` is this writer's (possibly new) buffer: the source is read
        // from it, below the bytes being written, so the two never overlap.
        p.update(from: base + range.lowerBound, count: range.count)
        count += range.count
        atContainerStart = false
        afterKey = false
    }

    // MARK: member conveniences

    /// Writes a member with any value.
    public mutating func member(_ name: StaticString, _ value: JSONValue) {
        key(name)
        self.value(value)
    }

    /// Writes a string member: the key and the value in one reservation when the value
    /// needs no escape (the common case).
    @inlinable
    public mutating func member(_ name: StaticString, string value: String) {
        // Read in place (no copy of the string, so no retain): every native or small string
        // is contiguous; any other takes the general path.
        let done = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard let base = utf8.baseAddress, Self.firstEscape(base, utf8.count) == nil else { return false }
            appendMember(name, plainString: base, utf8.count)
            return true
        }
        if done != true {
            key(name)
            string(value)
        }
    }

    /// `,"name":"text"` (the comma when other members came before): `text` needs no escape.
    @usableFromInline
    mutating func appendMember(_ name: StaticString, plainString text: UnsafePointer<UInt8>, _ n: Int) {
        let p = room(name.utf8CodeUnitCount + n + 6)
        let k = writeKey(name, at: p)
        p[k] = UInt8(ascii: "\"")
        (p + k + 1).update(from: text, count: n)
        p[k + n + 1] = UInt8(ascii: "\"")
        count += k + n + 2
    }

    /// Writes an integer member, the key and the digits in one reservation.
    @inlinable
    public mutating func member(_ name: StaticString, integer value: Int64) {
        let p = room(name.utf8CodeUnitCount + 24)
        let k = writeKey(name, at: p)
        count += k + Self.writeDecimal(value, to: p + k)
    }

    /// Writes a member whose value is a fragment.
    @inlinable
    public mutating func member(_ name: StaticString, fragment value: JSONFragment) {
        key(name)
        fragment(value)
    }

    // MARK: internals

    @inlinable @inline(__always)
    mutating func beginValue() {
        if afterKey {
            afterKey = false
        } else {
            separate()
        }
    }

    @inlinable @inline(__always)
    mutating func separate() {
        if atContainerStart {
            atContainerStart = false
        } else {
            append(UInt8(ascii: ","))
        }
    }

    @usableFromInline
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    @usableFromInline
    mutating func appendDecimal(_ value: Int64) {
        count += Self.writeDecimal(value, to: room(20))
    }

    /// Writes `value` in decimal at `p` (room for 20 bytes: a sign and 19 digits at most)
    /// and returns how many bytes it wrote.
    @usableFromInline
    static func writeDecimal(_ value: Int64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let zero = UInt8(ascii: "0")
        if value >= 0 && value < 1000 {
            // The common case (priorities, counts): one to three digits, no division loop.
            let v = Int(value)
            if v < 10 {
                p[0] = zero + UInt8(v)
                return 1
            }
            if v < 100 {
                p[0] = zero + UInt8(v / 10)
                p[1] = zero + UInt8(v % 10)
                return 2
            }
            p[0] = zero + UInt8(v / 100)
            p[1] = zero + UInt8(v / 10 % 10)
            p[2] = zero + UInt8(v % 10)
            return 3
        }
        // Digits of the magnitude, least significant first, without overflow at Int64.min;
        // at most 19 digits and a sign.
        var magnitude = value.magnitude
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes
        var digits = 0
        withUnsafeMutableBytes(of: &scratch) { s in
            repeat {
                s[digits] = zero + UInt8(magnitude % 10)
                magnitude /= 10
                digits += 1
            } while magnitude > 0
        }
        let sign = value < 0 ? 1 : 0
        if sign == 1 { p[0] = UInt8(ascii: "-") }
        withUnsafeBytes(of: &scratch) { s in
            for i in 0..<digits { p[sign + i] = s[digits - 1 - i] }
        }
        return digits + sign
    }

    /// Appends `"…"` with json-c's escapes; runs that need none are copied in one step.
    /// `comma`: a comma first (the value follows another).
    @usableFromInline
    mutating func appendString(_ value: String, comma: Bool = false) {
        // In place when the string is contiguous (no copy, no retain), else from a copy.
        if value.utf8.withContiguousStorageIfAvailable({ appendString(utf8: $0, comma: comma) }) != nil { return }
        var copy = value
        copy.withUTF8 { appendString(utf8: $0, comma: comma) }
    }

    /// ``appendString(_:comma:)`` of a string's UTF-8 bytes.
    @usableFromInline
    mutating func appendString(utf8: UnsafeBufferPointer<UInt8>, comma: Bool) {
        let n = utf8.count
        let c = comma ? 1 : 0
        // The common case, no escape: the comma, the quotes and the bytes in one reservation.
        let p = room(n + 2 + c)
        if comma { p[0] = UInt8(ascii: ",") }
        p[c] = UInt8(ascii: "\"")
        guard let base = utf8.baseAddress, n > 0 else {
            p[c + 1] = UInt8(ascii: "\"")
            count += 2 + c
            return
        }
        if let first = Self.firstEscape(base, n) {
            count += 1 + c
            appendEscaped(base, n, from: first)
        } else {
            (p + c + 1).update(from: base, count: n)
            p[c + n + 1] = UInt8(ascii: "\"")
            count += n + 2 + c
        }
    }

    /// The position of the first byte of `base[0..<n]` that needs an escape, or `nil`.
    @usableFromInline
    static func firstEscape(_ base: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        let raw = UnsafeRawPointer(base)
        // Clean strings (nearly all) are seen clean in whole words: sixteen bytes at a time,
        // and the tail by one load that overlaps bytes already seen (never past the end).
        // Only a load that holds an escape is searched byte by byte, from where it starts
        // being unseen.
        if n >= 16 {
            var i = 0
            while i + 16 <= n {
                if needsEscape(raw.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)) { return firstEscapeByte(base, from: i, n) }
                i += 16
            }
            // The tail as two words (a vector test here compiles to a call).
            if i == n
                || !(needsEscape(raw.loadUnaligned(fromByteOffset: n - 16, as: UInt64.self))
                    || needsEscape(raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)))
            {
                return nil
            }
            return firstEscapeByte(base, from: i, n)
        }
        if n >= 8 {
            let head = raw.loadUnaligned(as: UInt64.self)
            let tail = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            return needsEscape(head) || needsEscape(tail) ? firstEscapeByte(base, from: 0, n) : nil
        }
        if n >= 4 {
            // Both four-byte ends in one word.
            let word = UInt64(raw.loadUnaligned(as: UInt32.self)) | UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << 32
            return needsEscape(word) ? firstEscapeByte(base, from: 0, n) : nil
        }
        return firstEscapeByte(base, from: 0, n)
    }

    /// The position of the first byte of `base[start..<n]` that needs an escape, or `nil`.
    @usableFromInline
    static func firstEscapeByte(_ base: UnsafePointer<UInt8>, from start: Int, _ n: Int) -> Int? {
        var i = start
        while i < n {
            let c = base[i]
            if c < 0x20 || c == 0x22 || c == 0x5C { return i }
            i += 1
        }
        return nil
    }

    /// Whether any of sixteen bytes needs an escape (one vector compare).
    @usableFromInline @inline(__always)
    static func needsEscape(_ v: SIMD16<UInt8>) -> Bool {
        let quote = SIMD16<UInt8>(repeating: 0x22)
        let backslash = SIMD16<UInt8>(repeating: 0x5C)
        let space = SIMD16<UInt8>(repeating: 0x20)
        return any((v .< space) .| (v .== quote) .| (v .== backslash))
    }

    /// Appends `base[0..<n]` escaped, the first `start` bytes needing none, then the
    /// closing quote.
    @usableFromInline
    mutating func appendEscaped(_ base: UnsafePointer<UInt8>, _ n: Int, from start: Int) {
        append(UnsafeBufferPointer(start: base, count: start))
        var runStart = start
        var i = start
        while i < n {
            if i + 8 <= n && !Self.needsEscape(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) {
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
            if i > runStart { append(UnsafeBufferPointer(start: base + runStart, count: i - runStart)) }
            append(UInt8(ascii: "\\"), escape)
            if escape == UInt8(ascii: "u") {
                append(UInt8(ascii: "0"), UInt8(ascii: "0"))
                append(Self.hexDigits[Int(c >> 4)], Self.hexDigits[Int(c & 0xF)])
            }
            i += 1
            runStart = i
        }
        if n > runStart { append(UnsafeBufferPointer(start: base + runStart, count: n - runStart)) }
        append(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes of `word` is below 0x20, `"` or `\` (the bytes that
    /// need an escape); each test is the classic "has a zero byte" bit trick.
    @inline(__always)
    @usableFromInline
    static func needsEscape(_ word: UInt64) -> Bool {
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
