import CDSJSON
import CDSTestSupport
import Foundation
import Testing

/// Determinism across member order and processes: every vignette, with the members of every
/// object at every depth shuffled (arrays keep their order: it carries meaning), evaluated by
/// `cds evaluate` in its own process (so hash seeds differ), gives the plan the original
/// gives, byte for byte. Values echoed in `because[].facts` are written in one canonical
/// member order.
@Suite("Plans do not depend on member order or process")
struct ShuffledCaseTests {
    static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: TestRepository.root + "/Tests/Vignettes")) ?? []
        return files.filter { $0.hasSuffix(".case.json") }.map { String($0.dropLast(".case.json".count)) }.sorted()
    }

    /// SplitMix64: a fixed seed gives the same shuffles on every run and machine.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func shuffled(_ value: JSONValue, _ g: inout Generator) -> JSONValue {
        switch value {
        case .array(let elements):
            return .array(elements.map { shuffled($0, &g) })
        case .object(let members):
            var pairs: [(String, JSONValue)] = []
            for (k, v) in members { pairs.append((k, v)) }
            // Never the original order when there is another one, so the test bites.
            let original = pairs.map(\.0)
            repeat { pairs.shuffle(using: &g) } while pairs.count > 1 && pairs.map(\.0) == original
            var o = JSONObject()
            for (k, v) in pairs { o[k] = shuffled(v, &g) }
            return .object(o)
        default:
            return value
        }
    }

    @Test(arguments: names)
    func shuffledMembersGiveTheSamePlanInAnotherProcess(name: String) throws {
        let original = try JSONParser().parse(TestRepository.vignette(name))
        let reference = try CLITests.run(["evaluate", "--as-of", "2026-03-02", "Tests/Vignettes/\(name).case.json"])
        #expect(reference.status == 0, "\(reference.stderr)")
        var g = Generator(state: UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { ($0 << 5) &+ $0 &+ Int($1) }))
        for round in 0..<2 {
            let text = Self.shuffled(original, &g).serialized()
            #expect(text != original.serialized() || !text.contains(","), "round \(round) reorders something")
            let run = try CLITests.run(["evaluate", "--as-of", "2026-03-02", "-"], stdin: text + "\n")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == reference.stdout, "\(name), shuffle \(round): the plan depends on member order")
        }
    }
}
