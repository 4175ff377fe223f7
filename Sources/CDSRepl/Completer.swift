import CDSEngine

#if canImport(Glibc)
    import Glibc
#endif

/// Tab completion: commands, case fields, the values a field accepts, Catalog ids and
/// phases, depending on where the cursor is.
package struct Completer: Sendable {
    let fields: CaseFields
    let recommendationIDs: [String]
    let phases: [String]

    package init(session: ReplSession) {
        fields = session.fields
        recommendationIDs = session.engine.catalog.recommendations.map(\.id.rawValue)
        phases = session.engine.catalog.phases.map(\.id.rawValue)
    }

    /// Completions of the word under the cursor, given the text before the cursor; `nil`
    /// means "let libedit complete a file name".
    package func complete(_ textBeforeCursor: String) -> [String]? {
        var words = ReplSession.split(textBeforeCursor)
        let current: String
        if textBeforeCursor.last == " " || textBeforeCursor.last == "\t" || words.isEmpty {
            current = ""
        } else {
            current = words.removeLast()
        }
        let options: [String]
        switch (words.first, words.count) {
        case (nil, _), ("help", 1):
            options = ReplSession.commandNames
        case ("set", 1), ("unset", 1), ("whatif", 1):
            options = fields.fields.map(\.path)
        case ("add", 1):
            options = fields.fields.filter { $0.types.contains("array") }.map(\.path)
        case ("set", 2), ("whatif", 2), ("add", 2):
            options = fields[words[1]]?.values ?? []
        case ("explain", 1), ("evidence", 1):
            options = recommendationIDs
        case ("catalog", 1):
            options = phases
        case ("reading", 1):
            options = ["nprs", "lefs"]
        case ("load", 1), ("save", 1):
            return Self.paths(completing: current)
        default:
            options = []
        }
        return options.filter { $0.hasPrefix(current) }.sorted()
    }

    /// File and directory names starting with `word` (`Tests/Vi` -> `Tests/Vignettes/`):
    /// directories end with `/` so that Tab goes on into them; hidden names only when the
    /// word's last component starts with a dot.
    static func paths(completing word: String) -> [String] {
        let slash = word.lastIndex(of: "/")
        let directoryPart = slash.map { String(word[...$0]) } ?? ""
        let namePrefix = slash.map { String(word[word.index(after: $0)...]) } ?? word
        guard let dir = opendir(directoryPart.isEmpty ? "." : directoryPart) else { return [] }
        defer { closedir(dir) }
        var matches: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name != ".", name != "..", name.hasPrefix(namePrefix), !name.hasPrefix(".") || namePrefix.hasPrefix(".") else { continue }
            var st = stat()
            let path = directoryPart + name
            let isDirectory = stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            matches.append(isDirectory ? path + "/" : path)
        }
        return matches.sorted()
    }
}
