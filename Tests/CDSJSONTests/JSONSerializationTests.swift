import CDSJSON
import Testing

@Suite("JSON serialisation through json-c")
struct JSONSerializationTests {
    static let documents: [JSONValue] = [
        nil, true, false, 0, -1, .integer(.max), .integer(.min), .integer(9_007_199_254_740_993),
        0.1, -0.0, 1e300, 5e-324, 1.5, 100.0, "", "a/b", "line\nbreak\r\t", "quote \" and \\ backslash",
        "control \u{01}\u{1F} and NUL \u{0}", "é€😀", "\u{2028}\u{2029}\u{7F}",
        [], [1, "two", [3.5, nil], ["k": false]],
        ["z": 1, "a": ["nested": ["deep": [1, 2, 3]]], "empty": [:], "list": []],
    ]

    @Test(arguments: documents)
    func roundTripsExactly(value: JSONValue) throws {
        let text = value.serialized()
        #expect(try JSONParser().parse(text) == value)
        #expect(try JSONParser().parse(value.serializedPretty()) == value)
        #expect(!text.contains("\n"), "one value, one line")
        #expect(!text.contains("\\/"))
        #expect(!text.contains("NaN") && !text.contains("Infinity"))
    }

    @Test func outputIsCompactAndOrdered() {
        let v: JSONValue = ["b": [1, 2], "a": "x/y", "n": 0.1, "big": .integer(9_007_199_254_740_993)]
        #expect(v.serialized() == #"{"b":[1,2],"a":"x/y","n":0.1,"big":9007199254740993}"#)
    }

    @Test func prettyOutputIndentsByTwoSpaces() {
        let v: JSONValue = ["k": [1], "s": "v"]
        #expect(v.serializedPretty() == "{\n  \"k\": [\n    1\n  ],\n  \"s\": \"v\"\n}")
    }

    @Test func controlCharactersAreEscaped() {
        #expect(JSONValue.string("a\u{0}b\u{1F}\n").serialized() == #""a\u0000b\u001f\n""#)
    }
}

@Suite("JSON values")
struct JSONValueTests {
    @Test func objectEqualityIgnoresMemberOrderButOutputKeepsIt() {
        let a: JSONValue = ["x": 1, "y": [true]]
        let b: JSONValue = ["y": [true], "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.serialized() != b.serialized())
        #expect(a != ["x": 1, "y": [false]])
        #expect(a != ["x": 1])
    }

    @Test func pointersFollowRFC6901() {
        let doc: JSONValue = ["a/b": ["~k": [10, 20]]]
        #expect(doc.value(at: JSONPointer("/a~1b/~0k/1")!) == 20)
        #expect(JSONPointer("/a~1b/~0k/1")?.description == "/a~1b/~0k/1")
        #expect(doc.value(at: JSONPointer("/a~1b/~0k/01")!) == nil, "leading zero is not an index")
        #expect(JSONPointer("a") == nil)
        #expect(JSONPointer("/~2") == nil)
    }
}

@Suite("JSON Pointer parsing")
struct JSONPointerParsingTests {
    @Test(arguments: [
        ("", [String]()), ("/", [""]), ("/a", ["a"]), ("/a/", ["a", ""]), ("/a//b", ["a", "", "b"]),
        ("/symptoms/clicking", ["symptoms", "clicking"]), ("/é/0", ["é", "0"]), ("/a~1b/~0", ["a/b", "~"]),
    ])
    func tokens(text: String, expected: [String]) {
        #expect(JSONPointer(text)?.tokens == expected)
        #expect(JSONPointer(text)?.description == text)
    }
}

extension JSONPointerParsingTests {
    @Test(arguments: ["", "/", "/a/b", "/a~0b~1c", "a", "/~", "/~2", "/a~", "~0"])
    func validityAgreesWithParsing(text: String) {
        #expect(JSONPointer.isValid(text) == (JSONPointer(text) != nil))
    }
}

extension JSONPointerParsingTests {
    static let document: JSONValue = ["a": ["b": [10, 20, ["c/d": true, "e~f": nil]]], "": ["": 1], "n": nil]

    @Test(arguments: [
        "", "/a", "/a/b", "/a/b/0", "/a/b/2", "/a/b/2/c~1d", "/a/b/2/e~0f", "/a/b/3", "/a/b/01", "/a/x", "/a/b/0/z", "/", "//", "a", "/~2",
        "/n", "/n/x", "/m",
    ])
    func lookupByTextAgreesWithLookupByPointer(text: String) {
        if text == "/n" { #expect(Self.document.value(atPointer: text) == .some(.null), "a null value is not an absent one") }
        if text == "/m" { #expect(Self.document.value(atPointer: text) == nil) }
        #expect(Self.document.value(atPointer: text) == JSONPointer(text).flatMap { Self.document.value(at: $0) })
    }
}
