import ArgumentParser

/// `cds evalute x.json` -> "unknown command 'evalute'; did you mean 'evaluate'?".
enum SubcommandSuggestion {
    /// The complaint about the first word that should name a subcommand and does not, or nil.
    static func problem(in arguments: [String], root: any ParsableCommand.Type) -> String? {
        var command = root
        var path = [root._commandName]
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-") else { return nil }
            if word == "help" { return nil }
            guard let next = subcommands.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) else {
                let names = subcommands.map { $0._commandName }
                let ranked = names.map { (name: $0, distance: editDistance(word, $0)) }.sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }
                var text = "unknown command '\(word)' for '\(path.joined(separator: " "))'"
                if let best = ranked.first, best.distance <= max(2, word.count / 3) || best.name.hasPrefix(word) {
                    text += "; did you mean '\(best.name)'?"
                } else {
                    text += "; the commands are: \(names.joined(separator: ", "))"
                }
                return text
            }
            command = next
            path.append(word)
        }
        return nil
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
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
