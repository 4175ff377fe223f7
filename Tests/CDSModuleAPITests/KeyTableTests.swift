import CDSModuleAPI
import Testing

@Suite("KeyTable: the positions of a fixed set of keys, as a dictionary would give them")
struct KeyTableTests {
    /// Keys of every length around the word size (the hash and the comparison read eight
    /// bytes at a time, the last word overlapping), non-ASCII text, the empty key, and keys
    /// that differ only in their last byte or only in their first.
    static let keys: [String] = {
        var keys = ["", "a", "é", "naïve café", "exercise.isometric-hip-flexion", "stretching.hip-flexor", "stretching.hip-flexoR"]
        for n in 1...33 {
            keys.append(String(repeating: "x", count: n))
            keys.append("y" + String(repeating: "x", count: n))
            keys.append(String(repeating: "x", count: n) + "z")
        }
        return keys
    }()

    @Test func everyKeyIsFoundAtItsPositionAndNoOtherStringIs() {
        let table = KeyTable(Self.keys)
        #expect(table.count == Self.keys.count)
        for (i, key) in Self.keys.enumerated() {
            #expect(table.position(of: key) == i, "\(key.debugDescription)")
        }
        // Prefixes, extensions and one-byte changes of the keys, none of them a key.
        let keySet = Set(Self.keys)
        var probes: [String] = []
        for key in Self.keys {
            probes.append(key + "!")
            probes.append(String(key.dropLast()) + "?")
            probes.append("?" + key.dropFirst())
        }
        for probe in probes where !keySet.contains(probe) {
            #expect(table.position(of: probe) == nil, "\(probe.debugDescription)")
        }
    }

    @Test func theFirstOfAKeyGivenTwiceWinsAsWithTheDictionaryItReplaces() {
        let keys = ["b", "a", "b", "c", "a"]
        let table = KeyTable(keys)
        let dictionary = Dictionary(keys.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for key in ["a", "b", "c", "d"] {
            #expect(table.position(of: key) == dictionary[key])
        }
    }

    @Test func anEmptyTableFindsNothing() {
        let table = KeyTable([])
        #expect(table.count == 0)
        #expect(table.position(of: "") == nil)
        #expect(table.position(of: "anything") == nil)
    }

    @Test func aLargeTableFullOfCollidingPrefixesAgreesWithADictionary() {
        // Many keys sharing a long prefix, so that probing runs through clusters.
        let keys = (0..<2_000).map { "iliopsoas.recommendation.with.a.long.shared.prefix.\($0)" }
        let table = KeyTable(keys)
        for (i, key) in keys.enumerated() { #expect(table.position(of: key) == i) }
        for i in 2_000..<2_100 { #expect(table.position(of: "iliopsoas.recommendation.with.a.long.shared.prefix.\(i)") == nil) }
    }
}
