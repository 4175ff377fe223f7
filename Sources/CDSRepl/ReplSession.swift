import CDSEngine
import CDSJSON
import CDSModuleAPI

/// What one REPL command printed, and whether the session ends.
package struct ReplResult: Sendable, Equatable {
    package var output: String
    package var quit = false
    /// The command failed (its output is the one-line error).
    package var failed = false

    package init(_ output: String, quit: Bool = false, failed: Bool = false) {
        self.output = output
        self.quit = quit
        self.failed = failed
    }
}

/// The REPL's state and commands, independent of any terminal: a case being built fact by
/// fact, the last plan, and the engine. Every command returns its output; an error is one
/// readable line and the session goes on.
package final class ReplSession {
    struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    struct Command: Sendable {
        var name: String
        var usage: String
        var summary: String
        var run: @Sendable (ReplSession, [String], String) throws(Failure) -> String
    }

    package let engine: Engine
    package let fields: CaseFields
    package var style: Style
    /// The case being built.
    package var document: JSONObject
    /// The plan of the last `evaluate`.
    package var lastPlan: Plan?
    /// The width output should fit, asked for each command (the terminal's columns); nil
    /// for piped output, which is never shortened.
    package var terminalWidth: () -> Int? = { nil }

    package init(engine: Engine, style: Style = .plain) {
        self.engine = engine
        self.fields = CaseFields(schema: engine.catalog.caseSchema)
        self.style = style
        self.document = Self.emptyCase
    }

    static var emptyCase: JSONObject { ["schemaVersion": 1] }

    /// The command names, for completion and help.
    package static var commandNames: [String] { commands.map(\.name) }

    /// Runs one line.
    package func execute(_ line: String) -> ReplResult {
        let words = Self.split(line)
        guard let name = words.first else { return ReplResult("") }
        if name == "quit" || name == "exit" { return ReplResult("", quit: true) }
        guard let command = Self.commands.first(where: { $0.name == name }) else {
            let hint = NearestWord.suggestion(for: name, among: Self.commandNames + ["exit"]).map { "did you mean '\($0)'? " } ?? ""
            return ReplResult(style.error("error: unknown command '\(name)'; \(hint)type 'help' for the list"), failed: true)
        }
        do {
            let rest = Self.rest(of: line, after: words.count > 1 ? 1 : words.count)
            return ReplResult(try command.run(self, Array(words.dropFirst()), rest))
        } catch {
            return ReplResult(style.error("error: \(error.message)"), failed: true)
        }
    }

    /// Words separated by spaces; JSON values with spaces are taken whole by the commands
    /// that accept them (they read the raw rest of the line).
    static func split(_ line: String) -> [String] {
        line.split(whereSeparator: isSpace).map(String.init)
    }

    /// Spaces, tabs and the newlines of an entry continued over several lines.
    static func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\n" }

    /// The raw text after the first `count` words.
    static func rest(of line: String, after count: Int) -> String {
        var remaining = Substring(line)
        for _ in 0..<count {
            remaining = remaining.drop(while: isSpace)
            remaining = remaining.drop(while: { !isSpace($0) })
        }
        let trimmed = remaining.drop(while: isSpace)
        return String(trimmed.reversed().drop(while: isSpace).reversed())
    }

    static func usage(_ name: String) -> String {
        commands.first { $0.name == name }.map { "usage: \($0.usage)" } ?? ""
    }

    static let commands: [Command] = [
        Command(
            name: "help", usage: "help [COMMAND|FIELD]", summary: "list the commands, explain one, or describe a case field from the schema"
        ) { s, args, _ throws(Failure) in s.help(args) },
        Command(name: "new", usage: "new", summary: "start an empty case") { s, _, _ throws(Failure) in
            s.document = emptyCase
            s.lastPlan = nil
            return "new case"
        },
        Command(name: "set", usage: "set FIELD VALUE", summary: "set a case field (JSON value, or a bare word as text), validated at once")
        { s, args, raw throws(Failure) in
            try s.set(args, raw)
        },
        Command(name: "unset", usage: "unset FIELD", summary: "remove a case field") { s, args, _ throws(Failure) in try s.unset(args) },
        Command(name: "add", usage: "add FIELD VALUE", summary: "append to a list field, such as: add contraindications nsaids") {
            s, args, raw throws(Failure) in
            try s.add(args, raw)
        },
        Command(name: "reading", usage: "reading nprs|lefs YYYY-MM-DD SCORE", summary: "record a dated NPRS or LEFS score") {
            s, args, _ throws(Failure) in
            try s.reading(args)
        },
        Command(name: "show", usage: "show", summary: "print the case as JSON") { s, _, _ throws(Failure) in
            JSONValue.object(s.document).serializedPretty()
        },
        Command(name: "validate", usage: "validate", summary: "list what the case still lacks or gets wrong") { s, _, _ throws(Failure) in
            s.validate()
        },
        Command(name: "load", usage: "load FILE", summary: "load a case from a JSON file") { s, args, _ throws(Failure) in try s.load(args)
        },
        Command(name: "save", usage: "save FILE", summary: "save the case as a JSON file") { s, args, _ throws(Failure) in try s.save(args)
        },
        Command(name: "evaluate", usage: "evaluate", summary: "evaluate the case and show the plan as a table") { s, _, _ throws(Failure) in
            try s.evaluate()
        },
        Command(
            name: "explain", usage: "explain RECOMMENDATION|all",
            summary: "why a recommendation is in the plan: facts, modules, evidence, resolver decisions ('all': every one in the plan)"
        ) { s, args, _ throws(Failure) in
            try s.explain(args)
        },
        Command(
            name: "whatif", usage: "whatif FIELD VALUE",
            summary: "show how the plan would change if a field had another value (the case is not changed)"
        ) { s, args, raw throws(Failure) in
            try s.whatIf(args, raw)
        },
        Command(name: "progress", usage: "progress", summary: "NPRS and LEFS trends, and the plan's exercise and escalation decisions") {
            s, _, _ throws(Failure) in
            try s.progress()
        },
        Command(name: "modules", usage: "modules", summary: "list the assessment modules") { s, _, _ throws(Failure) in s.modules() },
        Command(name: "catalog", usage: "catalog [PHASE]", summary: "list Catalog recommendations, optionally of one phase") {
            s, args, _ throws(Failure) in
            try s.catalogList(args)
        },
        Command(name: "evidence", usage: "evidence RECOMMENDATION", summary: "show a recommendation's sources and evidence") {
            s, args, _ throws(Failure) in
            try s.evidence(args)
        },
        Command(name: "quit", usage: "quit", summary: "leave (also: exit, end of input)") { _, _, _ throws(Failure) in "" },
    ]

    private func help(_ args: [String]) -> String {
        if let name = args.first {
            if let field = fields[name]
                ?? CaseFields.pointer(name).flatMap({ p in fields.fields.first { CaseFields.pointer($0.path) == p } })
            {
                return fieldHelp(field)
            }
            guard let command = Self.commands.first(where: { $0.name == name }) else {
                return style.error("error: unknown command or field '\(name)' ('help' lists the commands, 'help set' the fields)")
            }
            var text = "usage: \(command.usage)\n  \(command.summary)"
            if name == "set" || name == "unset" || name == "whatif" || name == "add" {
                let shown = name == "add" ? fields.fields.filter { $0.types.contains("array") } : fields.fields
                text += "\n\nfields ('help FIELD' for one):\n" + Style.table(shown.map { ["  " + $0.path, $0.typeSummary] })
            }
            return text
        }
        return Style.table(Self.commands.map { [$0.usage, $0.summary] })
            + "\nTab completes commands, fields, values and Catalog ids; 'help FIELD' describes a case field; Ctrl-C cancels the line."
    }

    /// A field as the case schema describes it: type, allowed values, description.
    private func fieldHelp(_ field: CaseFields.Field) -> String {
        var lines = [style.bold(field.path), "  type: \(field.typeSummary)"]
        if let description = field.description {
            lines.append("  \(description)")
        } else if let group = fields.groupDescription(of: field.path) {
            lines.append("  \(group.path): \(group.text)")
        }
        lines.append("  set it with: " + (field.itemKey != nil ? "add \(field.path) VALUE" : "set \(field.path) VALUE"))
        return lines.joined(separator: "\n")
    }
}
