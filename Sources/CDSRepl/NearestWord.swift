/// The nearest of some names to a mistyped one (`evalute` -> `evaluate`), for "did you
/// mean" hints in the REPL and on the command line.
package enum NearestWord {
    /// The closest name by edit distance, when it is close enough to be a likely typo
    /// (at most 2 edits, or a third of the word), or a name the word begins.
    package static func suggestion(for word: String, among names: [String]) -> String? {
        let ranked = names.map { (name: $0, distance: editDistance(word, $0)) }.sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }
        guard let best = ranked.first else { return nil }
        return best.distance <= max(2, word.count / 3) || (!word.isEmpty && best.name.hasPrefix(word)) ? best.name : nil
    }

    /// Levenshtein distance over characters.
    package static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
