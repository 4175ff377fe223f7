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
            [.unsigned(1 << 63), .unsigned(.max), .unsigned((1 << 63) + 12_345)],
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

    /// 2^63...2^64-1 keep their digits through the writer, json-c and a parse back.
    @Test func unsignedIntegersRoundTripWithTheirDigits() throws {
        for text in ["9223372036854775808", "18446744073709551615", "12345678901234567890"] {
            let value = try JSONParser().parse(text)
            var w = JSONWriter()
            w.value(value)
            #expect(w.text == text)
            #expect(value.serialized() == text)
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

    /// A copy of a writer is a value: writing to either leaves the other as it was, also
    /// when the buffer must grow, and taking the bytes empties only the writer taken from.
    @Test func copiesOfAWriterAreIndependent() {
        var a = JSONWriter(capacity: 4)
        a.array { w in
            w.integer(1)
            var b = w
            b.string(String(repeating: "x", count: 100))
            w.integer(2)
            #expect(b.text == "[1,\"" + String(repeating: "x", count: 100) + "\"")
            var c = w
            #expect(c.takeBytes() == Array("[1,2".utf8))
            #expect(c.byteCount == 0)
            #expect(w.byteCount == 4)
        }
        #expect(a.text == "[1,2]")
        #expect(a.withBytes { Array($0) } == a.bytes)
    }

    /// Writing into a lent buffer: a text that fits is written there and only there; one
    /// that does not moves to the writer's own buffer whole, and the lent one is left as
    /// the caller gave it beyond what was written before the move.
    @Test func aLentBufferHoldsWhatFitsAndTheRestMovesWhole() {
        func text(_ n: Int) -> (inout JSONWriter) -> Void {
            { w in w.array((0..<n).map { Int64($0) }) { $0.integer($1) } }
        }
        var expected = JSONWriter()
        text(10)(&expected)
        let fits = [UInt8](unsafeUninitializedCapacity: 64) { buffer, initialized in
            let written = JSONWriter.write(into: buffer, text(10))
            #expect(written.grown == nil)
            initialized = written.count ?? 0
        }
        #expect(fits == expected.bytes)

        var long = JSONWriter()
        text(100)(&long)
        var grown: JSONWriter?
        let spilled = [UInt8](unsafeUninitializedCapacity: 64) { buffer, initialized in
            let written = JSONWriter.write(into: buffer, text(100))
            #expect(written.count == nil)
            grown = written.grown
            initialized = 0
        }
        #expect(spilled.isEmpty)
        #expect(grown?.bytes == long.bytes)

        // A copy taken inside the body writes into a buffer of its own, not the lent one.
        let copied = [UInt8](unsafeUninitializedCapacity: 64) { buffer, initialized in
            let written = JSONWriter.write(into: buffer) { w in
                w.array { w in
                    w.integer(1)
                    var other = w
                    other.integer(99)
                    w.integer(2)
                }
            }
            initialized = written.count ?? 0
        }
        #expect(copied == Array("[1,2]".utf8))
    }

    @Test func arraysOfFragments() {
        let f = JSONFragment("é")
        var w = JSONWriter()
        w.array([f, f]) { $0.fragment($1) }
        #expect(w.text == #"["é","é"]"#)
    }
}

extension JSONWriterTests {
    /// The writer sees clean strings in whole words: sixteen bytes at a time, the tail and
    /// strings under sixteen bytes by loads that overlap. Every escape, at every position of
    /// strings of every length up to 40, written as a value and as a member.
    @Test(arguments: ["\"", "\\", "\n", "\u{0}", "\u{1F}", "\t", "é", "/", "\u{7F}", " ", "\u{1F600}"])
    func escapesAtEveryPositionMatchJSONC(special: String) {
        for length in 0..<40 {
            for position in 0...length {
                let text = String(repeating: "a", count: position) + special + String(repeating: "b", count: length - position)
                var w = JSONWriter()
                w.string(text)
                #expect(w.text == JSONValue.string(text).serialized(), "length \(length), at \(position)")
                var m = JSONWriter()
                m.object { $0.member("k", string: text) }
                #expect(m.text == JSONValue.object(["k": .string(text)]).serialized(), "member, length \(length), at \(position)")
            }
            // And the clean string of that length.
            let clean = String(repeating: "c", count: length)
            var w = JSONWriter()
            w.string(clean)
            #expect(w.text == "\"" + clean + "\"")
        }
    }
}

@Suite("JSONObject: small objects without an index, large ones with")
struct JSONObjectIndexTests {
    @Test func getSetRemoveAcrossTheThreshold() {
        var o = JSONObject()
        for i in 0..<30 { o["k\(i)"] = .integer(Int64(i)) }
        for i in 0..<30 { #expect(o["k\(i)"] == .integer(Int64(i))) }
        o["k3"] = "changed"
        #expect(o["k3"] == "changed" && o.count == 30)
        for i in stride(from: 29, through: 5, by: -1) { o["k\(i)"] = nil }
        #expect(o.count == 5 && o.orderedKeys == ["k0", "k1", "k2", "k3", "k4"])
        #expect(o["k20"] == nil && o["k4"] == .integer(4))
        o["new"] = true
        #expect(o.orderedKeys.last == "new" && o["new"] == true)
        var big = JSONObject()
        for i in (0..<30).reversed() { big["k\(i)"] = .integer(Int64(i)) }
        var same = big
        same["k0"] = nil
        same["k0"] = .integer(0)
        #expect(big == same && big.hashValue == same.hashValue, "order-insensitive equality across the index")
    }
}

extension JSONWriterTests {
    /// Members written once and repeated later (a plan's shared rationales), also across a
    /// reallocation of the buffer and inside a lent buffer: the text of writing them again.
    @Test func rewrittenMembersAreTheTextOfWritingThemAgain() throws {
        func members(_ o: inout JSONWriter) {
            o.member("rule", string: "a rule with \"quotes\" and é")
            o.key("facts")
            o.array([Int64(1), 2, 3]) { $0.integer($1) }
        }
        var expected = JSONWriter()
        var repeated = JSONWriter(capacity: 16)  // small: the rewrites reallocate
        for w in [0, 1] {
            var range: Range<Int>?
            let writer: (inout JSONWriter) -> Void = { o in
                o.array { a in
                    for i in 0..<20 {
                        a.object { e in
                            e.member("n", integer: Int64(i))
                            if w == 1, let range {
                                e.rewrite(range)
                            } else {
                                let start = e.byteCount
                                members(&e)
                                if range == nil { range = start..<e.byteCount }
                            }
                            e.member("after", .bool(true))
                        }
                    }
                }
            }
            if w == 0 { writer(&expected) } else { writer(&repeated) }
        }
        #expect(repeated.text == expected.text)
        _ = try JSONParser().parse(repeated.bytes)

        // Inside a buffer lent by `write(into:)`, the copy reads the lent buffer.
        let lent = [UInt8](unsafeUninitializedCapacity: 256) { buffer, initialized in
            let written = JSONWriter.write(into: buffer) { w in
                w.object { o in
                    o.member("a", integer: 1)
                    let start = o.byteCount
                    o.member("b", string: "x")
                    o.rewrite(start..<o.byteCount)
                }
            }
            initialized = written.count ?? 0
        }
        #expect(String(decoding: lent, as: UTF8.self) == #"{"a":1,"b":"x","b":"x"}"#)
    }
}
