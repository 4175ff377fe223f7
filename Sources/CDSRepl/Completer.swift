import CDSEngine

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
    /// means "complete a file name".
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
        case ("load", _), ("save", _):
            return nil
        default:
            options = []
        }
        return options.filter { $0.hasPrefix(current) }.sorted()
    }
}
