import CJSONC

#if canImport(Glibc)
    import Glibc
#endif

/// The json-c boundary: building json-c trees from text or from ``JSONValue``, converting
/// them back, and releasing them. Every `json_object` reference this module obtains is
/// released here, exactly once, by the function that created it.
enum JSONCTree {
    // MARK: text -> json-c -> JSONValue

    /// Builds the tree with json-c and converts it. `bytes` already passed ``StrictValidator``.
    static func parse(_ bytes: UnsafeRawBufferPointer, depth: Int, memberCounts: [Int]) throws(JSONParseError) -> JSONValue {
        let cache = TokenerCache.current
        guard let tokener = cache.take(depth: Int32(depth + 1)) else {
            throw JSONParseError(.invalidSyntax, at: 0, "json-c could not allocate a tokener")
        }
        defer { cache.give(tokener, depth: Int32(depth + 1), afterParsing: bytes.count) }
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        var root = json_tokener_parse_ex(tokener, base, Int32(bytes.count))
        if root == nil && json_tokener_get_error(tokener) == json_tokener_continue {
            // A top-level number is complete only once json-c sees the end of input.
            root = json_tokener_parse_ex(tokener, "", 1)
        }
        guard let root else {
            let error = json_tokener_get_error(tokener)
            // json-c represents a top-level JSON null as a NULL object.
            if error == json_tokener_success { return .null }
            let offset = Int(json_tokener_get_parse_end(tokener))
            throw JSONParseError(
                .invalidSyntax, at: offset, "json-c refused the document: " + String(cString: json_tokener_error_desc(error)))
        }
        defer { json_object_put(root) }
        var converter = Converter(memberCounts: memberCounts)
        if let value = converter.convert(root) { return value }
        throw duplicateKeyError(bytes) ?? JSONParseError(.duplicateKey, at: 0, "an object repeats a key")
    }

    /// json-c tokeners kept for reuse, one set per thread: making one (a stack allocated and
    /// cleared for the nesting limit) costs as much as parsing a small document, such as a
    /// module's reply. A tokener is reset before each use and freed with its thread; one that
    /// parsed a large document is freed at once, so that its grown buffer is not kept.
    private final class TokenerCache {
        private var idle: [(depth: Int32, tokener: UnsafeMutablePointer<json_tokener>)] = []

        /// Documents larger than this leave their tokener to be freed, not kept.
        static let largestKept = 64 << 10

        /// The calling thread's cache.
        static var current: TokenerCache {
            if let stored = pthread_getspecific(key) { return Unmanaged<TokenerCache>.fromOpaque(stored).takeUnretainedValue() }
            let cache = TokenerCache()
            pthread_setspecific(key, Unmanaged.passRetained(cache).toOpaque())
            return cache
        }

        /// The thread-specific slot; its destructor releases the thread's cache.
        private static let key: pthread_key_t = {
            var key = pthread_key_t()
            pthread_key_create(&key) { stored in
                guard let stored else { return }
                Unmanaged<TokenerCache>.fromOpaque(stored).release()
            }
            return key
        }()

        /// A reset, strict tokener for `depth` levels: a kept one, or a new one.
        func take(depth: Int32) -> UnsafeMutablePointer<json_tokener>? {
            if let i = idle.firstIndex(where: { $0.depth == depth }) {
                let tokener = idle.remove(at: i).tokener
                json_tokener_reset(tokener)
                return tokener
            }
            guard let tokener = json_tokener_new_ex(depth) else { return nil }
            json_tokener_set_flags(tokener, Int32(JSON_TOKENER_STRICT))
            return tokener
        }

        /// Takes `tokener` back after a parse of `count` bytes (at most a few are kept).
        func give(_ tokener: UnsafeMutablePointer<json_tokener>, depth: Int32, afterParsing count: Int) {
            guard count <= Self.largestKept, idle.count < 4 else { return json_tokener_free(tokener) }
            idle.append((depth, tokener))
        }

        deinit {
            for (_, tokener) in idle { json_tokener_free(tokener) }
        }
    }

    /// Converts json-c objects to values, checking each object's member count against the
    /// validator's: json-c keeps only the last of duplicate keys, so fewer members means a
    /// duplicate. Returns nil on a mismatch.
    private struct Converter {
        let memberCounts: [Int]
        var nextObject = 0

        mutating func convert(_ object: OpaquePointer?) -> JSONValue? {
            // json-c represents JSON null as a NULL pointer.
            guard let object else { return .null }
            switch json_object_get_type(object) {
            case json_type_null:
                return .null
            case json_type_boolean:
                return .bool(json_object_get_boolean(object) != 0)
            case json_type_int:
                // json-c keeps 2^63...2^64-1 as uint64, for which get_int64 saturates.
                let value = json_object_get_int64(object)
                if value == Int64.max {
                    let unsigned = json_object_get_uint64(object)
                    if unsigned > UInt64(Int64.max) { return .unsigned(unsigned) }
                }
                return .integer(value)
            case json_type_double:
                return .double(json_object_get_double(object))
            case json_type_string:
                let length = Int(json_object_get_string_len(object))
                guard let pointer = json_object_get_string(object) else { return .string("") }
                return .string(
                    pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                    })
            case json_type_array:
                let n = json_object_array_length(object)
                var elements: [JSONValue] = []
                elements.reserveCapacity(n)
                for i in 0..<n {
                    guard let element = convert(json_object_array_get_idx(object, i)) else { return nil }
                    elements.append(element)
                }
                return .array(elements)
            case json_type_object:
                let slot = nextObject
                nextObject += 1
                guard slot < memberCounts.count, Int(json_object_object_length(object)) == memberCounts[slot] else { return nil }
                // The member count matched the text's, so no key repeats: members are appended
                // without searching for their keys.
                var result = JSONObject(minimumCapacity: memberCounts[slot])
                var iterator = json_object_iter_begin(object)
                var end = json_object_iter_end(object)
                while json_object_iter_equal(&iterator, &end) == 0 {
                    let key = String(cString: json_object_iter_peek_name(&iterator))
                    guard let value = convert(json_object_iter_peek_value(&iterator)) else { return nil }
                    result.appendNew(key: key, value: value)
                    json_object_iter_next(&iterator)
                }
                return .object(result)
            default:
                return nil
            }
        }
    }

    /// Finds the first repeated key (slow path, only after a mismatch was detected).
    private static func duplicateKeyError(_ bytes: UnsafeRawBufferPointer) -> JSONParseError? {
        var finder = DuplicateKeyFinder(bytes: Array(bytes))
        return finder.find()
    }

    // MARK: JSONValue -> json-c -> text

    /// Serialises `value` with json-c. Object member order is kept.
    static func serialize(_ value: JSONValue, flags: Int32) -> String {
        let object = makeObject(value)
        defer { json_object_put(object) }
        var length = 0
        guard let text = json_object_to_json_string_length(object, flags, &length) else { return "null" }
        // The string belongs to `object`: copy it before the release above runs.
        return text.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// A new json-c object owning one reference; the caller releases it (or hands it to a
    /// container, which takes the reference over).
    private static func makeObject(_ value: JSONValue) -> OpaquePointer? {
        switch value {
        case .null:
            return nil
        case .bool(let b):
            return json_object_new_boolean(b ? 1 : 0)
        case .integer(let i):
            return json_object_new_int64(i)
        case .unsigned(let u):
            return json_object_new_uint64(u)
        case .double(let d):
            // JSONValue.double is finite by contract; a non-finite value would print as
            // NaN/Infinity, which is not JSON, so it is written as null instead.
            guard d.isFinite else {
                assertionFailure("non-finite JSONValue.double")
                return nil
            }
            // Shortest round-trip text (0.1, not 0.10000000000000001).
            return json_object_new_double_s(d, d.description)
        case .string(let s):
            var s = s
            return s.withUTF8 { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { json_object_new_string_len($0.baseAddress, Int32($0.count)) }
            }
        case .array(let elements):
            let array = json_object_new_array_ext(Int32(elements.count))
            for element in elements { json_object_array_add(array, makeObject(element)) }
            return array
        case .object(let members):
            let object = json_object_new_object()
            for (key, member) in members {
                // Keys are unique in JSONObject, so json-c need not search for an existing one.
                json_object_object_add_ex(object, key, makeObject(member), UInt32(JSON_C_OBJECT_ADD_KEY_IS_NEW))
            }
            return object
        }
    }
}

/// Walks the text again, tracking keys per object, to report where a key repeats.
private struct DuplicateKeyFinder {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func find() -> JSONParseError? {
        var stack: [Set<String>?] = []  // nil for arrays
        var expectingKey = false
        while position < bytes.count {
            let b = bytes[position]
            switch b {
            case UInt8(ascii: "{"):
                stack.append([])
                expectingKey = true
                position += 1
            case UInt8(ascii: "["):
                stack.append(nil)
                expectingKey = false
                position += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
                position += 1
            case UInt8(ascii: ","):
                expectingKey = stack.last.map { $0 != nil } ?? false
                position += 1
            case UInt8(ascii: "\""):
                let start = position
                let text = readString()
                if expectingKey, var keys = stack.last ?? nil {
                    if !keys.insert(text).inserted {
                        return JSONParseError(.duplicateKey, at: start, "duplicate key \"\(text.prefix(60))\" in an object")
                    }
                    stack[stack.count - 1] = keys
                    expectingKey = false
                }
            default:
                position += 1
            }
        }
        return nil
    }

    /// Reads a (validated) string literal and returns its decoded text.
    mutating func readString() -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
            if bytes[position] == UInt8(ascii: "\\") {
                flush()
                let c = bytes[position + 1]
                position += 2
                switch c {
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var unit = hex4()
                    if (0xD800...0xDBFF).contains(unit) {
                        position += 2
                        let low = hex4()
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                default: scalars.append(Unicode.Scalar(c))
                }
            } else {
                raw.append(bytes[position])
                position += 1
            }
        }
        flush()
        position += 1
        return String(scalars)
    }

    mutating func hex4() -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            v = v << 4 | UInt32(hexDigitValue(bytes[position]))
            position += 1
        }
        return v
    }

    func hexDigitValue(_ b: UInt8) -> UInt8 {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x61...0x66: b - 0x61 + 10
        default: b - 0x41 + 10
        }
    }
}
