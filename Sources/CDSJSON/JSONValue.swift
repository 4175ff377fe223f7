#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A JSON value as defined by RFC 8259, held in Swift memory.
///
/// Values produced by ``JSONParser`` obey invariants the parser enforces:
/// numbers are exact (`integer` for every literal without fraction or exponent that
/// fits in `Int64`, `unsigned` for such literals from 2^63 to 2^64-1, `double` for the
/// rest, always finite), strings are valid Unicode
/// (they may contain U+0000), and object keys are unique.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent, exactly representable as `Int64`.
    case integer(Int64)
    /// A number written without fraction or exponent from 2^63 to 2^64-1: above `Int64`,
    /// within `UInt64` (JSON-RPC ids of that range come back with the same digits). Never
    /// a value that fits `integer`, so each integer has one representation.
    case unsigned(UInt64)
    /// A number written with a fraction or exponent. Never NaN or infinite.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    /// The JSON type name of the value, as used in error messages ("object", "integer", ...).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer, .unsigned: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The members of an object value, or `nil`.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements of an array value, or `nil`.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The text of a string value, or `nil`.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value of a boolean, or `nil`.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The value of an integer, or `nil` (a `double` is never coerced).
    public var integerValue: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }

    /// The numeric value of an `integer` or `double`, or `nil`.
    public var numberValue: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .unsigned(let u): Double(u)
        case .double(let d): d
        default: nil
        }
    }

    /// Member lookup on objects; `nil` for other values and missing keys.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// The value at `pointer`, or `nil` when any step does not exist.
    public func value(at pointer: JSONPointer) -> JSONValue? {
        var current = self
        for token in pointer.tokens {
            guard let next = current.child(token) else { return nil }
            current = next
        }
        return current
    }

    /// One step of a pointer: an object's member or an array's element named by `token`.
    private func child(_ token: String) -> JSONValue? {
        switch self {
        case .object(let o):
            o[token]
        case .array(let a):
            JSONPointer.arrayIndex(token).flatMap { $0 < a.count ? a[$0] : nil }
        default:
            nil
        }
    }
}

extension JSONValue {
    /// The value at the pointer written as `text` (RFC 6901), or `nil` when `text` is not a
    /// valid pointer or any step does not exist. Walks the document over the text's bytes,
    /// without building a ``JSONPointer``, when the text has no escapes.
    public func value(atPointer text: String) -> JSONValue? {
        // JSONValue is ExpressibleByNilLiteral, so the walk's three outcomes are spelled out.
        enum Walk {
            case found(JSONValue)
            case absent
            case needsPointer
        }
        /// The position of the first `byte` in `base[from..<count]`, else `count`.
        func find(_ byte: UInt8, in base: UnsafePointer<UInt8>, from: Int, count: Int) -> Int {
            guard from < count, let hit = memchr(base + from, Int32(byte), count - from) else { return count }
            return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
        }
        let walk: Walk? = text.utf8.withContiguousStorageIfAvailable { (utf8: UnsafeBufferPointer<UInt8>) -> Walk in
            guard let base = utf8.baseAddress, !utf8.isEmpty else { return .found(self) }
            let count = utf8.count
            guard find(UInt8(ascii: "~"), in: base, from: 0, count: count) == count else { return .needsPointer }
            guard base[0] == UInt8(ascii: "/") else { return .absent }
            var current = self
            var start = 1
            while true {
                let end = find(UInt8(ascii: "/"), in: base, from: start, count: count)
                let token = UnsafeBufferPointer(start: base + start, count: end - start)
                let next: JSONValue?
                switch current {
                case .object(let o): next = o.member(utf8: token)
                case .array(let a): next = JSONPointer.arrayIndex(utf8: token).flatMap { $0 < a.count ? a[$0] : nil }
                default: next = nil
                }
                guard let next else { return .absent }
                current = next
                guard end < utf8.count else { return .found(current) }
                start = end + 1
            }
        }
        switch walk {
        case .found(let value): return value
        case .absent: return nil
        case .needsPointer, nil: return JSONPointer(text).flatMap { value(at: $0) }
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` is JSON `null`.
    public init(nilLiteral: ()) { self = .null }
    /// `true` and `false` are JSON booleans.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal is a JSON integer (kept exact as `Int64`).
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A floating-point literal is a JSON number held as `Double`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A string literal is a JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array literal is a JSON array of its elements, in order.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Builds an object; a repeated key keeps its first position and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

/// The members of a JSON object: unique keys in insertion order.
///
/// Order is kept so that output is deterministic and reads in the order it was built.
/// Small objects (the usual case in clinical documents) are searched linearly, which is
/// cheaper than hashing the key; a hash index is built once an object grows past
/// ``indexThreshold`` members.
public struct JSONObject: Sendable, Hashable, Sequence {
    /// One member: a key and its value.
    public typealias Member = (key: String, value: JSONValue)

    @usableFromInline var keys: [String] = []
    @usableFromInline var values: [JSONValue] = []
    /// Key -> position, only for objects with more than `indexThreshold` members.
    private var index: [String: Int]?

    /// Objects up to this many members have no hash index.
    static let indexThreshold = 12

    /// An empty object.
    public init() {}

    /// The number of members.
    public var count: Int { keys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { keys.isEmpty }

    /// The keys, in insertion order.
    public var orderedKeys: [String] { keys }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        // Lengths first: most keys differ in length, which is cheaper to see than by `==`.
        let length = key.utf8.count
        for i in keys.indices where keys[i].utf8.count == length && keys[i] == key { return i }
        return nil
    }

    /// The member whose key has exactly the UTF-8 bytes `token` (a JSON Pointer step):
    /// compared byte for byte, without building a `String`, in small objects.
    public func member(utf8 token: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        if let index { return index[String(decoding: token, as: UTF8.self)].map { values[$0] } }
        // By index: each key is read in place, not copied (a retain) as `enumerated()` does.
        for i in keys.indices where keys[i].utf8.count == token.count {
            let equal =
                keys[i].utf8.withContiguousStorageIfAvailable { bytes in
                    guard let a = bytes.baseAddress, let b = token.baseAddress, !bytes.isEmpty else { return bytes.isEmpty }
                    return memcmp(a, b, bytes.count) == 0
                } ?? keys[i].utf8.elementsEqual(token)
            if equal { return values[i] }
        }
        return nil
    }

    /// Gets or sets a member. Setting a new key appends it; setting `nil` removes the key.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { values[$0] } }
        set {
            if let position = position(of: key) {
                if let newValue {
                    values[position] = newValue
                } else {
                    keys.remove(at: position)
                    values.remove(at: position)
                    index = keys.count > Self.indexThreshold ? Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) }) : nil
                }
            } else if let newValue {
                appendNew(key: key, value: newValue)
            }
        }
    }

    /// An empty object with room for `capacity` members.
    public init(minimumCapacity capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    /// Appends a member whose key the object does not have yet. The caller knows the key is
    /// new (a parser whose keys were checked for duplicates); a key that is not gives an
    /// object with the key twice, so this is not public.
    package mutating func appendNew(key: String, value: JSONValue) {
        assert(position(of: key) == nil, "appendNew with a key the object has")
        keys.append(key)
        values.append(value)
        if index != nil {
            index?[key] = keys.count - 1
        } else if keys.count > Self.indexThreshold {
            index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        }
    }

    /// Iterates the members in insertion order.
    @inlinable
    public func makeIterator() -> Iterator { Iterator(keys: keys, values: values) }

    /// The members in insertion order (a concrete iterator, so that loops over an object
    /// are specialised where they are written).
    public struct Iterator: IteratorProtocol {
        @usableFromInline let keys: [String]
        @usableFromInline let values: [JSONValue]
        @usableFromInline var position = 0

        @inlinable init(keys: [String], values: [JSONValue]) {
            self.keys = keys
            self.values = values
        }

        /// The next member, or `nil` after the last.
        @inlinable
        public mutating func next() -> Member? {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (key: keys[position], value: values[position])
        }
    }

    /// JSON equality: the same members with equal values, in any order (RFC 8259 objects
    /// are unordered; order is kept only for output).
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.keys.count == rhs.keys.count else { return false }
        for (i, key) in lhs.keys.enumerated() {
            guard let j = rhs.position(of: key), rhs.values[j] == lhs.values[i] else { return false }
        }
        return true
    }

    /// Order-independent, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for (key, value) in zip(keys, values) {
            var member = Hasher()
            member.combine(key)
            member.combine(value)
            combined ^= member.finalize()
        }
        hasher.combine(keys.count)
        hasher.combine(combined)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Builds an object; a repeated key keeps its first position and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }
}
