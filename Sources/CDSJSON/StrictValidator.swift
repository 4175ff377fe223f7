/// One pass over a JSON text that enforces exactly RFC 8259 and the limits json-c lacks.
///
/// It records the member count of every object in document (pre-)order, so that the tree
/// json-c builds can be checked for collapsed duplicate keys without hashing keys here.
struct StrictValidator {
    private let base: UnsafePointer<UInt8>?
    private let count: Int
    private let maxDepth: Int
    private var position = 0
    private var depth = 0
    /// Members of each object, in the order the objects open.
    private(set) var memberCounts: [Int] = []

    init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        self.count = bytes.count
        self.maxDepth = maxDepth
    }

    // MARK: bytes

    @inline(__always) private func byte(at i: Int) -> UInt8 {
        // Callers check `i < count`; `base` is non-nil whenever count > 0.
        base.unsafelyUnwrapped[i]
    }

    @inline(__always) private var atEnd: Bool { position >= count }

    @inline(__always) private mutating func skipWhitespace() {
        while position < count {
            switch byte(at: position) {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private func describe(_ offset: Int) -> String {
        guard offset < count else { return "end of input" }
        let b = byte(at: offset)
        switch b {
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(b)))'"
        default: return "byte 0x" + String(b, radix: 16, uppercase: true)
        }
    }

    private func fail(_ code: JSONParseError.Code, _ message: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(code, at: offset ?? position, message)
    }

    private func unexpected(_ expected: String) -> JSONParseError {
        if atEnd { return fail(.unexpectedEnd, "unexpected end of input; expected \(expected)") }
        return fail(.invalidSyntax, "expected \(expected), found \(describe(position))")
    }

    // MARK: grammar

    mutating func validateDocument() throws(JSONParseError) {
        if count >= 3, byte(at: 0) == 0xEF, byte(at: 1) == 0xBB, byte(at: 2) == 0xBF {
            throw fail(.invalidSyntax, "a byte order mark is not allowed", at: 0)
        }
        skipWhitespace()
        if atEnd { throw fail(.emptyInput, "empty document; expected a JSON value") }
        try value()
        skipWhitespace()
        if !atEnd {
            throw fail(.trailingData, "unexpected \(describe(position)) after the end of the JSON value")
        }
    }

    private mutating func value() throws(JSONParseError) {
        guard !atEnd else { throw unexpected("a value") }
        switch byte(at: position) {
        case UInt8(ascii: "{"): try object()
        case UInt8(ascii: "["): try array()
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw fail(.invalidNumber, "NaN and Infinity are not JSON numbers")
        case UInt8(ascii: "'"):
            throw fail(.invalidSyntax, "strings must use double quotes, found '")
        case UInt8(ascii: "/"):
            throw fail(.invalidSyntax, "comments are not allowed in JSON")
        default:
            throw unexpected("a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let start = position
        let n = word.utf8CodeUnitCount
        for i in 0..<n {
            guard start + i < count, byte(at: start + i) == word.utf8Start[i] else {
                if start + i >= count { throw fail(.unexpectedEnd, "unexpected end of input inside '\(word)'", at: start + i) }
                throw fail(.invalidSyntax, "expected '\(word)', found \(describe(start + i))", at: start + i)
            }
        }
        position += n
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth {
            throw fail(.tooDeep, "nesting deeper than the limit of \(maxDepth)")
        }
    }

    private mutating func object() throws(JSONParseError) {
        try enter()
        let slot = memberCounts.count
        memberCounts.append(0)
        position += 1  // {
        skipWhitespace()
        if !atEnd && byte(at: position) == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard !atEnd, byte(at: position) == UInt8(ascii: "\"") else {
                if !atEnd, byte(at: position) == UInt8(ascii: "}"), memberCounts[slot] > 0 {
                    throw fail(.invalidSyntax, "trailing comma before '}'")
                }
                if !atEnd, byte(at: position) == UInt8(ascii: "'") {
                    throw fail(.invalidSyntax, "object keys must be double-quoted strings, found '")
                }
                throw unexpected(memberCounts[slot] == 0 ? "a double-quoted key or '}'" : "a double-quoted key")
            }
            try string(isKey: true)
            skipWhitespace()
            guard !atEnd, byte(at: position) == UInt8(ascii: ":") else { throw unexpected("':' after the object key") }
            position += 1
            skipWhitespace()
            try value()
            memberCounts[slot] += 1
            skipWhitespace()
            guard !atEnd else { throw unexpected("',' or '}'") }
            switch byte(at: position) {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return
            default:
                throw unexpected("',' or '}' after the object member")
            }
        }
    }

    private mutating func array() throws(JSONParseError) {
        try enter()
        position += 1  // [
        skipWhitespace()
        if !atEnd && byte(at: position) == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            if !atEnd, byte(at: position) == UInt8(ascii: "]") {
                throw fail(.invalidSyntax, "trailing comma before ']'")
            }
            try value()
            skipWhitespace()
            guard !atEnd else { throw unexpected("',' or ']'") }
            switch byte(at: position) {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return
            default:
                throw unexpected("',' or ']' after the array element")
            }
        }
    }

    // MARK: strings

    /// A string; in a key, an escaped NUL (`\u0000`) is refused: json-c reads keys as C
    /// strings and would cut the key there, renaming it silently.
    private mutating func string(isKey: Bool = false) throws(JSONParseError) {
        let start = position
        position += 1  // "
        while true {
            guard !atEnd else { throw fail(.unexpectedEnd, "unterminated string (it starts at byte \(start))") }
            let b = byte(at: position)
            switch b {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                try escape(isKey: isKey)
            case 0x00..<0x20:
                throw fail(
                    .controlCharacter, "raw control character 0x" + String(b, radix: 16, uppercase: true) + " in a string; escape it")
            case 0x80...:
                try utf8Sequence()
            default:
                position += 1
            }
        }
    }

    private mutating func escape(isKey: Bool) throws(JSONParseError) {
        let start = position
        position += 1  // backslash
        guard !atEnd else { throw fail(.unexpectedEnd, "unterminated escape sequence") }
        switch byte(at: position) {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 1
        case UInt8(ascii: "u"):
            position += 1
            let unit = try hex4()
            if unit == 0 && isKey {
                throw fail(.invalidEscape, "an object key may not contain U+0000 (\\u0000)", at: start)
            }
            if (0xDC00...0xDFFF).contains(unit) {
                throw fail(.invalidEscape, "unpaired low surrogate \\u" + String(unit, radix: 16, uppercase: true), at: start)
            }
            if (0xD800...0xDBFF).contains(unit) {
                guard position + 1 < count, byte(at: position) == UInt8(ascii: "\\"), byte(at: position + 1) == UInt8(ascii: "u") else {
                    throw fail(
                        .invalidEscape,
                        "high surrogate \\u" + String(unit, radix: 16, uppercase: true) + " is not followed by a low surrogate escape",
                        at: start)
                }
                position += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail(
                        .invalidEscape,
                        "high surrogate \\u" + String(unit, radix: 16, uppercase: true) + " is not followed by a low surrogate escape",
                        at: start)
                }
            }
        default:
            throw fail(
                .invalidEscape,
                "invalid escape \\\(describe(position).trimmingQuotes); expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                at: start)
        }
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard !atEnd else { throw fail(.unexpectedEnd, "unterminated \\u escape") }
            let b = byte(at: position)
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw fail(.invalidEscape, "expected a hexadecimal digit in \\u escape, found \(describe(position))")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629 table), rejecting overlong forms,
    /// encoded surrogates and code points above U+10FFFF.
    private mutating func utf8Sequence() throws(JSONParseError) {
        let start = position
        let lead = byte(at: position)
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        case 0x80...0xBF:
            throw fail(.invalidUTF8, "invalid UTF-8: unexpected continuation byte 0x" + String(lead, radix: 16, uppercase: true))
        case 0xC0, 0xC1:
            throw fail(.invalidUTF8, "invalid UTF-8: overlong encoding (lead byte 0x" + String(lead, radix: 16, uppercase: true) + ")")
        default:
            throw fail(.invalidUTF8, "invalid UTF-8: byte 0x" + String(lead, radix: 16, uppercase: true) + " never appears in UTF-8")
        }
        for i in 1..<length {
            guard start + i < count else {
                throw fail(.invalidUTF8, "invalid UTF-8: sequence truncated by the end of input", at: start)
            }
            let b = byte(at: start + i)
            let (lo, hi) = i == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
            guard b >= lo && b <= hi else {
                let what: String
                if i == 1 && lead == 0xED && b >= 0xA0 && b <= 0xBF {
                    what = "encoded surrogate"
                } else if i == 1 && (lead == 0xE0 || lead == 0xF0) && b >= 0x80 && b < low {
                    what = "overlong encoding"
                } else if i == 1 && lead == 0xF4 && b > 0x8F {
                    what = "code point above U+10FFFF"
                } else {
                    what = "bad continuation byte 0x" + String(b, radix: 16, uppercase: true)
                }
                throw fail(.invalidUTF8, "invalid UTF-8: \(what)", at: start)
            }
        }
        position = start + length
    }

    // MARK: numbers

    private mutating func number() throws(JSONParseError) {
        let start = position
        var negative = false
        if byte(at: position) == UInt8(ascii: "-") {
            negative = true
            position += 1
            guard !atEnd, isDigit(byte(at: position)) else {
                if !atEnd, byte(at: position) == UInt8(ascii: "I") {
                    throw fail(.invalidNumber, "NaN and Infinity are not JSON numbers", at: start)
                }
                throw fail(.invalidNumber, "expected a digit after '-'")
            }
        }
        let integerStart = position
        if byte(at: position) == UInt8(ascii: "0") {
            position += 1
            if !atEnd, isDigit(byte(at: position)) {
                throw fail(.invalidNumber, "leading zeros are not allowed", at: integerStart)
            }
        } else {
            while !atEnd, isDigit(byte(at: position)) { position += 1 }
        }
        let integerEnd = position
        var isInteger = true
        var nonzeroMantissa = false
        for i in integerStart..<integerEnd where byte(at: i) != UInt8(ascii: "0") { nonzeroMantissa = true }
        if !atEnd, byte(at: position) == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard !atEnd, isDigit(byte(at: position)) else { throw fail(.invalidNumber, "expected a digit after the decimal point") }
            while !atEnd, isDigit(byte(at: position)) {
                if byte(at: position) != UInt8(ascii: "0") { nonzeroMantissa = true }
                position += 1
            }
        }
        if !atEnd, byte(at: position) == UInt8(ascii: "e") || byte(at: position) == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if !atEnd, byte(at: position) == UInt8(ascii: "+") || byte(at: position) == UInt8(ascii: "-") { position += 1 }
            guard !atEnd, isDigit(byte(at: position)) else { throw fail(.invalidNumber, "expected a digit in the exponent") }
            while !atEnd, isDigit(byte(at: position)) { position += 1 }
        }
        if isInteger {
            // Negative: down to Int64.min; otherwise up to UInt64.max (JSONValue.unsigned).
            var magnitude: UInt64 = 0
            for i in integerStart..<integerEnd {
                let digit = UInt64(byte(at: i) - UInt8(ascii: "0"))
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(digit)
                if o1 || o2 { throw outOfRange(start) }
                magnitude = s
            }
            if negative && magnitude > Int64.min.magnitude { throw outOfRange(start) }
        } else {
            let text = String(decoding: UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: position - start), as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                throw fail(.numberOutOfRange, "number \(text.prefix(40)) overflows a 64-bit floating-point value", at: start)
            }
            if value == 0 && nonzeroMantissa {
                throw fail(.numberOutOfRange, "number \(text.prefix(40)) underflows to zero", at: start)
            }
        }
    }

    private func outOfRange(_ start: Int) -> JSONParseError {
        let text = String(decoding: UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: position - start), as: UTF8.self)
        return fail(
            .numberOutOfRange, "integer \(text.prefix(40)) is outside the 64-bit range -9223372036854775808...18446744073709551615",
            at: start)
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}

extension String {
    fileprivate var trimmingQuotes: String {
        hasPrefix("'") && hasSuffix("'") && count >= 3 ? String(dropFirst().dropLast()) : self
    }
}
