import ArgumentParser
import CDSRepl

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
                let text = "unknown command '\(word)' for '\(path.joined(separator: " "))'"
                if let best = NearestWord.suggestion(for: word, among: names) { return text + "; did you mean '\(best)'?" }
                return text + "; the commands are: \(names.joined(separator: ", "))"
            }
            command = next
            path.append(word)
        }
        return nil
    }
}
