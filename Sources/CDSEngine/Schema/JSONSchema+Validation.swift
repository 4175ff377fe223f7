import CDSJSON

extension JSONSchema {
    /// Every way `instance` breaks the schema, sorted by path then message; empty when it
    /// is valid. The same instance always gives the same list.
    ///
    /// Validation does not stop at the first violation, but it does not look inside a value
    /// whose type is already wrong: `"forty"` for an integer is one violation, not several.
    package func validate(_ instance: JSONValue) -> [SchemaViolation] {
        var evaluation = SchemaEvaluation(nodes: nodes, stopAtFirst: false, steps: [])
        evaluation.check(0, instance)
        return Array(Set(evaluation.violations)).sorted()
    }
}

/// One pass of the compiled checks over an instance, keeping the current path as steps
/// (turned into a ``JSONPointer`` only when a violation is reported).
private struct SchemaEvaluation {
    /// One step into the instance.
    enum Step {
        case key(String)
        case index(Int)
    }

    /// The compiled schema.
    let nodes: [SchemaNode]
    /// Whether to stop at the first violation (for `not`, `if` and the alternatives of
    /// `anyOf` and `oneOf`, where only the verdict matters).
    let stopAtFirst: Bool
    /// The path to the value being checked.
    var steps: [Step]
    /// What was found so far, in the order found (never filled in a trial: see ``failed``).
    var violations: [SchemaViolation] = []
    /// Whether a violation was found. A trial (`stopAtFirst`) records only this: its verdict
    /// is all that is read, so neither the message nor the path is built.
    private(set) var failed = false

    /// The current path.
    var pointer: JSONPointer {
        JSONPointer(
            tokens: steps.map {
                switch $0 {
                case .key(let key): key
                case .index(let index): String(index)
                }
            })
    }

    private var isDone: Bool { stopAtFirst && failed }

    /// Steps into a member or an item (a trial keeps no path).
    private mutating func enter(_ step: Step) {
        if !stopAtFirst { steps.append(step) }
    }

    /// Steps back out.
    private mutating func leave() {
        if !stopAtFirst { steps.removeLast() }
    }

    /// Records a violation; the message is built only when it is kept (not in a trial).
    private mutating func report(_ message: @autoclosure () -> String, _ code: IssueCode = .invalid, member: String? = nil) {
        failed = true
        guard !stopAtFirst else { return }
        violations.append(SchemaViolation(path: pointer, message: message(), code: code, member: member))
    }

    /// Runs the checks of node `id` on `value`.
    mutating func check(_ id: SchemaNode.ID, _ value: JSONValue) {
        let checks = nodes[id].checks
        // By index: each check is read in place, not copied out (with its payloads'
        // retains) as a `for check in` loop does.
        for i in checks.indices {
            if isDone { return }
            switch checks[i] {
            case .never:
                report("no value is allowed here")
            case .type(let types, let expected):
                if SchemaTypes.of(value).isDisjoint(with: types) {
                    // Nothing else is said about a value of the wrong type.
                    return report("expected \(expected), found \(SchemaValueText.typed(value))", .typeMismatch)
                }
            case .const(let key, let expected):
                if SchemaValueKey(value) != key {
                    report("must be \(expected), found \(SchemaValueText.found(value))")
                }
            case .enumeration(let allowed, let prefix):
                if !allowed.contains(value) {
                    report("\(prefix) found \(SchemaValueText.found(value))")
                }
            case .bound(let bound):
                if let n = SchemaNumber(value), !bound.admits(n) {
                    report("must be \(bound.kind.symbol) \(bound.limitText), found \(SchemaValueText.found(value))")
                }
            case .length(let min, let max):
                checkLength(value, min: min, max: max)
            case .pattern(let pattern):
                if case .string(let s) = value, !pattern.matches(s) {
                    report("must match the pattern \(SchemaValueText.quoted(pattern.source)), found \(SchemaValueText.found(value))")
                }
            case .date:
                if case .string(let s) = value, !CalendarDateFormat.isValid(s) {
                    report("not a valid date (expected YYYY-MM-DD), found \(SchemaValueText.found(value))")
                }
            case .itemCount(let min, let max):
                if case .array(let items) = value { checkCount(items.count, min: min, max: max, noun: "item") }
            case .uniqueItems:
                checkUnique(value)
            case .items(let itemSchema):
                checkItems(value, itemSchema)
            case .propertyCount(let min, let max):
                if case .object(let members) = value { checkCount(members.count, min: min, max: max, noun: "property") }
            case .members(let members):
                checkMembers(value, members)
            case .all(let subschemas):
                for subschema in subschemas where !isDone { self.check(subschema, value) }
            case .any(let alternatives):
                checkAnyOf(value, alternatives)
            case .one(let alternatives):
                checkOneOf(value, alternatives)
            case .not(let subschema):
                if passes(subschema, value) { report("must not match the schema in \"not\"") }
            case .conditional(let condition, let then, let otherwise):
                if let next = passes(condition, value) ? then : otherwise { self.check(next, value) }
            }
        }
    }

    // MARK: Strings, arrays, objects

    private mutating func checkLength(_ value: JSONValue, min: Int?, max: Int?) {
        guard case .string(let s) = value else { return }
        let length = s.unicodeScalars.count
        // Only a violation needs the text: built then, not for every string checked.
        func found() -> String { "found \(SchemaValueText.found(value)) (\(length) character\(length == 1 ? "" : "s"))" }
        if let min, length < min { report("must be at least \(min) character\(min == 1 ? "" : "s") long, \(found())") }
        if let max, length > max { report("must be at most \(max) character\(max == 1 ? "" : "s") long, \(found())") }
    }

    private mutating func checkCount(_ count: Int, min: Int?, max: Int?, noun: String) {
        func counted(_ n: Int) -> String {
            n == 1 ? "1 \(noun)" : "\(n) \(noun == "property" ? "properties" : noun + "s")"
        }
        if let min, count < min { report("must have at least \(counted(min)), found \(count)") }
        if let max, count > max { report("must have at most \(counted(max)), found \(count)") }
    }

    private mutating func checkUnique(_ value: JSONValue) {
        guard case .array(let items) = value else { return }
        var firstIndex: [SchemaValueKey: Int] = [:]
        for (i, item) in items.enumerated() {
            if let earlier = firstIndex[SchemaValueKey(item)] {
                report("must have unique items, but item \(i) equals item \(earlier)")
                if isDone { return }
            } else {
                firstIndex[SchemaValueKey(item)] = i
            }
        }
    }

    private mutating func checkItems(_ value: JSONValue, _ itemSchema: SchemaNode.ID) {
        guard case .array(let items) = value else { return }
        for (i, item) in items.enumerated() {
            enter(.index(i))
            check(itemSchema, item)
            leave()
            if isDone { return }
        }
    }

    private mutating func checkMembers(_ value: JSONValue, _ schema: CompiledMembers) {
        guard case .object(let members) = value else { return }
        for name in schema.required where members[name] == nil {
            report("missing required property \(SchemaValueText.quoted(name))", .missingRequired, member: name)
            if isDone { return }
        }
        // When undeclared members are allowed, only the declared ones are checked, so the
        // fewer of the two is walked: an `if` naming one property of a whole case looks that
        // one up rather than every member's name in its list. The violations are the same
        // set (they are sorted before they are returned; a trial reads only the verdict).
        if case .allowed = schema.additional, schema.declaredCount < members.count {
            for (name, id) in schema.declaredMembers {
                guard let member = members[name] else { continue }
                enter(.key(name))
                check(id, member)
                leave()
                if isDone { return }
            }
            return
        }
        for (key, member) in members {
            if let declared = schema.declared(key) {
                enter(.key(key))
                check(declared, member)
                leave()
            } else {
                switch schema.additional {
                case .allowed:
                    break
                case .forbidden(let message):
                    enter(.key(key))
                    report(message, .unknownMember, member: key)
                    leave()
                case .schema(let additional):
                    enter(.key(key))
                    check(additional, member)
                    leave()
                }
            }
            if isDone { return }
        }
    }

    // MARK: Combinators

    /// Whether `value` satisfies node `id` (stopping at its first violation).
    private func passes(_ id: SchemaNode.ID, _ value: JSONValue) -> Bool {
        // A trial builds no path (it reports nothing), so it starts from none.
        var trial = SchemaEvaluation(nodes: nodes, stopAtFirst: true, steps: [])
        trial.check(id, value)
        return !trial.failed
    }

    private mutating func checkAnyOf(_ value: JSONValue, _ alternatives: [SchemaNode.ID]) {
        guard !alternatives.contains(where: { passes($0, value) }) else { return }
        let why = reasons(value, alternatives)
        report("must match at least one alternative (anyOf), matched none" + why)
    }

    private mutating func checkOneOf(_ value: JSONValue, _ alternatives: [SchemaNode.ID]) {
        var matched: [Int] = []
        for (i, alternative) in alternatives.enumerated() where passes(alternative, value) {
            matched.append(i)
            if stopAtFirst && matched.count > 1 { break }
        }
        switch matched.count {
        case 1:
            break
        case 0:
            let why = reasons(value, alternatives)
            report("must match exactly one alternative (oneOf), matched none" + why)
        default:
            report(
                "must match exactly one alternative (oneOf), matched \(matched.count): " + matched.map { "[\($0)]" }.joined(separator: ", ")
            )
        }
    }

    /// Why each alternative failed, briefly: its first violation (with its path when it is
    /// deeper than the value's) and how many more there are. Empty when only the verdict
    /// is wanted.
    private func reasons(_ value: JSONValue, _ alternatives: [SchemaNode.ID]) -> String {
        guard !stopAtFirst else { return "" }
        let here = pointer
        let parts = alternatives.enumerated().map { i, alternative -> String in
            var run = SchemaEvaluation(nodes: nodes, stopAtFirst: false, steps: steps)
            run.check(alternative, value)
            let found = Array(Set(run.violations)).sorted()
            guard let first = found.first else { return "[\(i)] matched" }
            let location = first.path == here ? "" : "at \(first.path): "
            let more = found.count > 1 ? " (and \(found.count - 1) more)" : ""
            return "[\(i)] \(location)\(first.message)\(more)"
        }
        return ": " + parts.joined(separator: "; ")
    }
}
