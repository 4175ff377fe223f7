import CDSJSON
import Testing

@Suite("JSON parser: strict RFC 8259 over json-c")
struct JSONParserTests {
    let parser = JSONParser()

    func error(_ text: [UInt8], limits: JSONParser.Limits = .init()) -> JSONParseError? {
        do {
            _ = try JSONParser(limits: limits).parse(text)
            return nil
        } catch {
            return error
        }
    }

    func error(_ text: String) -> JSONParseError? { error(Array(text.utf8)) }

    /// Input, expected code, expected byte offset.
    static let rejected: [(String, JSONParseError.Code, Int)] = [
        ("NaN", .invalidNumber, 0),
        ("[1, NaN]", .invalidNumber, 4),
        ("Infinity", .invalidNumber, 0),
        ("-Infinity", .invalidNumber, 0),
        ("{'a': 1}", .invalidSyntax, 1),
        ("['a']", .invalidSyntax, 1),
        ("\"a\u{01}b\"", .controlCharacter, 2),
        ("\"a\tb\"", .controlCharacter, 2),
        ("\"a\nb\"", .controlCharacter, 2),
        ("1.", .invalidNumber, 2),
        (".5", .invalidSyntax, 0),
        ("01", .invalidNumber, 0),
        ("-01", .invalidNumber, 1),
        ("+1", .invalidSyntax, 0),
        ("1e", .invalidNumber, 2),
        ("1e+", .invalidNumber, 3),
        ("-", .invalidNumber, 1),
        ("/* c */ 1", .invalidSyntax, 0),
        ("[1] // c", .trailingData, 4),
        ("[1,]", .invalidSyntax, 3),
        ("{\"a\":1,}", .invalidSyntax, 7),
        ("[,1]", .invalidSyntax, 1),
        ("{}{}", .trailingData, 2),
        ("{} x", .trailingData, 3),
        ("[1] ]", .trailingData, 4),
        ("\"abc", .unexpectedEnd, 4),
        ("[1, 2", .unexpectedEnd, 5),
        ("{\"a\" 1}", .invalidSyntax, 5),
        ("{\"a\":}", .invalidSyntax, 5),
        ("{a:1}", .invalidSyntax, 1),
        ("\"\\x\"", .invalidEscape, 1),
        ("\"\\ud800\"", .invalidEscape, 1),
        ("\"\\udc00\"", .invalidEscape, 1),
        ("\"\\ud800\\u0041\"", .invalidEscape, 1),
        ("\"\\u12G4\"", .invalidEscape, 5),
        ("tru", .unexpectedEnd, 3),
        ("nul", .unexpectedEnd, 3),
        ("True", .invalidSyntax, 0),
        ("", .emptyInput, 0),
        (" \n\t ", .emptyInput, 4),
        ("{\"a\":1,\"a\":2}", .duplicateKey, 7),
        ("{\"x\":{\"k\":1,\"y\":[{\"k\":2,\"k\":3}]}}", .duplicateKey, 24),
        ("{\"\\u0061\":1,\"a\":2}", .duplicateKey, 12),
        ("18446744073709551616", .numberOutOfRange, 0),
        ("-9223372036854775809", .numberOutOfRange, 0),
        ("[18446744073709551616]", .numberOutOfRange, 1),
        ("1e400", .numberOutOfRange, 0),
        ("-1e400", .numberOutOfRange, 0),
        ("1e-400", .numberOutOfRange, 0),
        ("\u{FEFF}{}", .invalidSyntax, 0),
    ]

    @Test(arguments: rejected)
    func rejectsWhatRFC8259Rejects(text: String, code: JSONParseError.Code, offset: Int) throws {
        let e = try #require(error(text), "accepted \(text)")
        #expect(e.code == code, "\(text): \(e)")
        #expect(e.offset == offset, "\(text): \(e)")
        #expect(!e.message.isEmpty)
    }

    /// Raw bytes that are not well-formed UTF-8, inside a string: (bytes, offset of the sequence).
    static let badUTF8: [([UInt8], Int)] = [
        ([0x22, 0xC0, 0x80, 0x22], 1),  // overlong NUL
        ([0x22, 0xC1, 0xBF, 0x22], 1),  // overlong
        ([0x22, 0xE0, 0x80, 0x80, 0x22], 1),  // overlong 3-byte
        ([0x22, 0xF0, 0x80, 0x80, 0x80, 0x22], 1),  // overlong 4-byte
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // encoded surrogate U+D800
        ([0x22, 0xED, 0xBF, 0xBF, 0x22], 1),  // encoded surrogate U+DFFF
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // above U+10FFFF
        ([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], 1),
        ([0x22, 0x80, 0x22], 1),  // stray continuation
        ([0x22, 0x61, 0xE2, 0x82], 2),  // truncated at end of input
        ([0x22, 0xE2, 0x28, 0xA1, 0x22], 1),  // bad continuation
        ([0x22, 0xFF, 0x22], 1),
    ]

    @Test(arguments: badUTF8)
    func rejectsMalformedUTF8(bytes: [UInt8], offset: Int) throws {
        let e = try #require(error(bytes))
        #expect(e.code == .invalidUTF8, "\(e)")
        #expect(e.offset == offset)
    }

    @Test func rejectsARawNULByte() throws {
        let e = try #require(error([0x22, 0x61, 0x00, 0x22]))
        #expect(e.code == .controlCharacter)
        #expect(e.offset == 2)
        let outside = try #require(error([0x5B, 0x31, 0x00, 0x5D]))
        #expect(outside.offset == 2)
    }

    /// Issue 11 defect 5: json-c reads keys as C strings, so `"age\u0000x"` became `"age"`
    /// (a silent rename) and `{"a\u0000b":1,"a":2}` a false duplicate.
    @Test func refusesAnEscapedNULInAKeyWithItsOffset() throws {
        let renamed = try #require(error("{\"patient\":{\"age\\u0000x\":34,\"sex\":\"female\"}}"))
        #expect(renamed.code == .invalidEscape, "\(renamed)")
        #expect(renamed.offset == 16, "\(renamed)")
        #expect(renamed.message.contains("U+0000"))
        let falseDuplicate = try #require(error("{\"a\\u0000b\":1,\"a\":2}"))
        #expect(falseDuplicate.code == .invalidEscape, "\(falseDuplicate)")
        #expect(falseDuplicate.offset == 3)
        #expect(try parser.parse("{\"k\":\"a\\u0000b\"}")["k"]?.stringValue?.utf8.count == 3, "a NUL in a value is kept")
    }

    @Test func acceptsWellFormedUTF8AndEscapes() throws {
        let v = try parser.parse("[\"é€😀\", \"\\u00e9\\u20ac\\ud83d\\ude00\", \"a\\u0000b\", \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]")
        #expect(v == ["é€😀", "é€😀", "a\u{0}b", "\"\\/\u{08}\u{0C}\n\r\t"])
        #expect(v.arrayValue?[2].stringValue?.utf8.count == 3, "embedded NUL kept")
    }

    @Test func numbersAreExact() throws {
        #expect(try parser.parse("9223372036854775807") == .integer(.max))
        #expect(try parser.parse("-9223372036854775808") == .integer(.min))
        #expect(try parser.parse("9007199254740993") == .integer(9_007_199_254_740_993))
        // 2^63...2^64-1: exact, as `unsigned` (before, refused as out of range).
        #expect(try parser.parse("9223372036854775808") == .unsigned(1 << 63))
        #expect(try parser.parse("[18446744073709551615]") == [.unsigned(.max)])
        #expect(try parser.parse("9223372036854775808").typeName == "integer")
        #expect(try parser.parse("-0") == .integer(0))
        #expect(try parser.parse("1E2") == .double(100))
        #expect(try parser.parse("1.5e-3") == .double(0.0015))
        #expect(try parser.parse("-0.0") == .double(-0.0))
        #expect(try parser.parse("0.1") == .double(0.1))
        #expect(try parser.parse("4e-320") == .double(4e-320), "subnormal is representable")
        #expect(try parser.parse(" [ true , false , null ] ") == [true, false, nil])
    }

    @Test func depthLimitIsExactAndConfigurable() throws {
        let limits = JSONParser.Limits(maxDepth: 5)
        #expect(error(Array((String(repeating: "[", count: 5) + String(repeating: "]", count: 5)).utf8), limits: limits) == nil)
        let e = try #require(error(Array((String(repeating: "[", count: 6) + String(repeating: "]", count: 6)).utf8), limits: limits))
        #expect(e.code == .tooDeep)
        #expect(e.offset == 5)
        let deep = try #require(error(String(repeating: "{\"a\":", count: 100_000)))
        #expect(deep.code == .tooDeep, "refused without exhausting the stack")
    }

    @Test func sizeLimitIsCheckedFirst() throws {
        let e = try #require(error(Array("[1, 2, 3]".utf8), limits: .init(maxBytes: 4)))
        #expect(e.code == .tooLarge)
        #expect(e.offset == 4)
        #expect(error(Array("[1,2]".utf8), limits: .init(maxBytes: 5)) == nil)
    }

    @Test func objectsKeepMemberOrder() throws {
        let v = try parser.parse("{\"z\":1,\"a\":2,\"m\":3}")
        #expect(v.objectValue?.orderedKeys == ["z", "a", "m"])
    }

    @Test func errorDescriptionNamesTheByte() throws {
        let e = try #require(error("[1,]"))
        #expect(e.description == "byte 3: trailing comma before ']'")
    }
}

extension JSONParserTests {
    /// json-c's tokeners are reused between parses on a thread: what one parse leaves
    /// behind (a refusal half-way, a top-level number waiting for the end, another nesting
    /// limit, a document too large to keep the tokener for) never changes the next result.
    @Test func reusedTokenersDoNotCarryStateBetweenParses() throws {
        let large = "[" + Array(repeating: "\"" + String(repeating: "x", count: 1000) + "\"", count: 100).joined(separator: ",") + "]"
        for _ in 0..<3 {
            #expect(try JSONParser().parse("12") == 12)
            #expect(throws: JSONParseError.self) { try JSONParser().parse("{\"a\":1,\"a\":2}") }
            #expect(try JSONParser().parse("{\"a\":[true,null]}") == ["a": [true, nil]])
            #expect(try JSONParser(limits: .init(maxDepth: 3)).parse("[[1]]") == [[1]])
            #expect(throws: JSONParseError.self) { try JSONParser(limits: .init(maxDepth: 3)).parse("[[[[1]]]]") }
            #expect(try JSONParser().parse(large).arrayValue?.count == 100)
            #expect(try JSONParser().parse("\"é\"") == "é")
        }
    }
}
