import CDSJSON
import Testing

@Suite("JSONWriter: the same bytes as json-c")
struct JSONWriterTests {
    /// Every value of the serialisation suite, plus strings with every byte below 0x80.
    static let values: [JSONValue] =
        JSONSerializationTests.documents + [
            .string(String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self)),
            ["key \"quoted\"\n\u{1}": ["/": "\\/", "é": .integer(-42)]],
            .array((0..<50).map { .integer(Int64($0) * 987_654_321 - 1_000) }),
            [1e21, 1e-7, 123456.789, -2.5e-300, 0.30000000000000004],
        ]

    @Test(arguments: values)
    func matchesJSONC(value: JSONValue) {
        var w = JSONWriter()
        w.value(value)
        #expect(w.text == value.serialized())
    }

    @Test func integersAtTheEdges() {
        for i: Int64 in [0, 9, 10, -1, -9, -10, 99, 100, .max, .min, .min + 1, 1_000_000_007] {
            var w = JSONWriter()
            w.integer(i)
            #expect(w.text == JSONValue.integer(i).serialized())
        }
    }

    @Test func commasAndNestingComeFromStructure() {
        var w = JSONWriter()
        w.object { o in
            o.member("a", string: "x")
            o.key("b")
            o.array([1, 2, 3] as [Int64]) { $0.integer($1) }
            o.key("c")
            o.object { _ in }
            o.key("d")
            o.array { _ in }
            o.member("e", integer: -7)
        }
        #expect(w.text == #"{"a":"x","b":[1,2,3],"c":{},"d":[],"e":-7}"#)
    }

    @Test func fragmentsSpliceUnchanged() throws {
        let entry: JSONObject = ["title": "Cryotherapy", "dosage": ["minutes": 10]]
        let members = JSONMembersFragment(entry)
        let value = JSONFragment(["x": [1, "y"]])
        var w = JSONWriter()
        w.object { o in
            o.member("id", string: "r1")
            o.members(members)
            o.members(JSONMembersFragment([:]))
            o.member("v", fragment: value)
        }
        #expect(w.text == #"{"id":"r1","title":"Cryotherapy","dosage":{"minutes":10},"v":{"x":[1,"y"]}}"#)
        var first = JSONWriter()
        first.object { o in
            o.members(members)
            o.member("last", .bool(true))
        }
        #expect(try JSONParser().parse(first.text) == ["title": "Cryotherapy", "dosage": ["minutes": 10], "last": true])
    }

    @Test func arraysOfFragments() {
        let f = JSONFragment("é")
        var w = JSONWriter()
        w.array([f, f]) { $0.fragment($1) }
        #expect(w.text == #"["é","é"]"#)
    }
}
