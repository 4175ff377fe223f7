import CDSJSON
import Foundation
import Testing

/// The parser builds values in its own pass; json-c built them before
/// (`JSONParser.parseThroughJSONC`). The two must agree on every text: the same value
/// (and the same serialisation, which tells -0.0 from 0) or the same error.
@Suite("JSON parser: the direct pass agrees with json-c")
struct JSONParserDifferentialTests {
    let parser = JSONParser()

    enum Outcome: Equatable {
        case value(JSONValue, String)
        case error(JSONParseError)
    }

    func outcomes(_ bytes: [UInt8], limits: JSONParser.Limits = .init()) -> (direct: Outcome, jsonc: Outcome) {
        let parser = JSONParser(limits: limits)
        let direct: Outcome
        do {
            let v = try parser.parse(bytes)
            direct = .value(v, v.serialized())
        } catch { direct = .error(error) }
        let jsonc: Outcome
        do {
            let v = try parser.parseThroughJSONC(bytes)
            jsonc = .value(v, v.serialized())
        } catch { jsonc = .error(error) }
        return (direct, jsonc)
    }

    /// SplitMix64: the same texts on every run.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    static let numbers = [
        "0", "-0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
        "18446744073709551615", "0.0", "-0.0", "0.1", "1e2", "1E+2", "1.5e-3", "4.9e-324", "2.2250738585072014e-308",
        "1.7976931348623157e308", "123456789012345678901234567890.5", "3.141592653589793238462643383279", "1e-7", "-12.75e1",
    ]
    static let strings = [
        "", "a", "plain text", "é€😀", "\\u00e9\\u20ac\\ud83d\\ude00", "a\\u0000b", "\\\"\\\\\\/\\b\\f\\n\\r\\t", "tab\\tend",
        "\\u001f", "mixed é and \\n", "\\uD834\\uDD1E", "/slash", "ключ",
    ]
    static let keys = ["a", "b", "caseId", "é", "k\\u00e9", "", "x y", "\\n"]

    func text(_ g: inout Generator, depth: Int) -> String {
        switch depth > 3 ? g.below(4) : g.below(7) {
        case 0: return g.pick(Self.numbers)
        case 1: return "\"" + g.pick(Self.strings) + "\""
        case 2: return g.pick(["true", "false", "null"])
        case 3: return g.pick(Self.numbers)
        case 4, 5:
            let n = g.below(5)
            // Keys repeat now and then (a duplicate, refused).
            let members = (0..<n).map { i in "\"" + (g.below(12) == 0 ? Self.keys[0] : Self.keys[(i + g.below(2)) % Self.keys.count]) + "\":" + text(&g, depth: depth + 1) }
            return "{" + members.joined(separator: g.pick([",", " , ", ",\n"])) + "}"
        default:
            let n = g.below(5)
            return "[" + (0..<n).map { _ in text(&g, depth: depth + 1) }.joined(separator: g.pick([",", ", "])) + "]"
        }
    }

    @Test func generatedTextsAndTheirMutationsGiveTheSameOutcome() {
        var g = Generator(state: 17)
        var compared = 0
        var values = 0
        for _ in 0..<3000 {
            var bytes = Array(text(&g, depth: 0).utf8)
            let (direct, jsonc) = outcomes(bytes)
            #expect(direct == jsonc, "\(String(decoding: bytes, as: UTF8.self))")
            if case .value = direct { values += 1 }
            compared += 1
            // A mutation: a byte dropped, replaced or inserted (most texts become invalid).
            guard !bytes.isEmpty else { continue }
            let i = g.below(bytes.count)
            let noise: [UInt8] = [0x22, 0x5C, 0x2C, 0x7D, 0x5D, 0x30, 0x2D, 0x65, 0x2E, 0x00, 0xC3, 0xFF, 0x20]
            switch g.below(3) {
            case 0: bytes.remove(at: i)
            case 1: bytes[i] = g.pick(noise)
            default: bytes.insert(g.pick(noise), at: i)
            }
            let mutated = outcomes(bytes)
            #expect(mutated.direct == mutated.jsonc, "\(bytes)")
            compared += 1
        }
        #expect(compared > 5000)
        #expect(values > 1000, "most generated texts are valid")
    }

    @Test func edgeCasesGiveTheSameOutcome() {
        let texts = [
            "{\"a\":1,\"a\":2}", "[{\"a\":1},{\"b\":{\"c\":1,\"c\":2}}]", "{\"a\":1,\"a\":2,", "{\"k\":1, \"k\":[1,]}", "\"\\ud800\"",
            "\"\\udc00\"", "{\"\\u0000\":1}", "1e400", "-1e400", "1e-400", "0e-400", "-", "01", "[1.]", "\"\\x\"", "nul", "[1] 2",
            "\u{FEFF}1", " \n\t1\r ", "18446744073709551616", "-9223372036854775809", "{}", "[]", "[[[]]]", "{\"\":{}}",
        ]
        for text in texts {
            let (direct, jsonc) = outcomes(Array(text.utf8))
            #expect(direct == jsonc, "\(text)")
        }
        let deep = Array((String(repeating: "[", count: 6) + String(repeating: "]", count: 6)).utf8)
        let limited = outcomes(deep, limits: .init(maxDepth: 5))
        #expect(limited.direct == limited.jsonc)
    }

    /// Every JSON file of the repository's Catalog, vignettes and fuzz corpus.
    @Test func theRepositorysJSONFilesGiveTheSameValues() throws {
        var root = URL(fileURLWithPath: #filePath)
        while root.path != "/", !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root.deleteLastPathComponent()
        }
        var files: [URL] = []
        for directory in ["Catalog", "Tests/Vignettes", "Tests/Fuzz/corpus"] {
            let base = root.appendingPathComponent(directory)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where ["json", ""].contains(url.pathExtension) {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(url) }
            }
        }
        #expect(files.count > 30)
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            let (direct, jsonc) = outcomes(bytes)
            #expect(direct == jsonc, "\(file.path)")
        }
    }
}
