import CDSJSON
import CDSModuleAPI

extension JSONSchema {
    /// Every way `instance` breaks the schema, sorted by path then message; empty if valid.
    /// Values whose type is wrong are not descended into.
    package func validate(_ instance: JSONValue) -> [SchemaViolation] {
        guard !nodes.isEmpty else { return [] }
        var found: [SchemaViolation] = []
        check(0, instance, .root, &found)
        return Array(Set(found)).sorted()
    }

    /// Whether `instance` satisfies node `index` (for the combinators).
    private func matches(_ index: Int, _ instance: JSONValue, _ path: JSONPointer) -> Bool {
        var found: [SchemaViolation] = []
        check(index, instance, path, &found)
        return found.isEmpty
    }

    private func check(_ index: Int, _ v: JSONValue, _ path: JSONPointer, _ out: inout [SchemaViolation]) {
        let node = nodes[index]
        func fail(_ message: String, at p: JSONPointer = path) { out.append(SchemaViolation(path: p, message: message)) }

        if node.isFalse {
            return fail("no value is allowed here")
        }
        if let types = node.types, !types.contains(where: { Self.has(v, type: $0) }) {
            let expected = types.count == 1 ? types[0] : "one of " + types.joined(separator: ", ")
            return fail("expected \(expected), found \(v: v)")
        }
        if let c = node.constValue, !Self.equal(v, c) {
            fail("must be \(SchemaText.literal(c)), found \(SchemaText.literal(v))")
        }
        if let values = node.enumValues, !values.contains(where: { Self.equal(v, $0) }) {
            fail("must be one of \(values.map(SchemaText.literal).joined(separator: ", ")); found \(SchemaText.literal(v))")
        }
        if let n = v.numberValue {
            if let m = node.minimum, n < m { fail("must be ≥ \(SchemaText.number(m)), found \(v.serialized())") }
            if let m = node.maximum, n > m { fail("must be ≤ \(SchemaText.number(m)), found \(v.serialized())") }
            if let m = node.exclusiveMinimum, n <= m { fail("must be > \(SchemaText.number(m)), found \(v.serialized())") }
            if let m = node.exclusiveMaximum, n >= m { fail("must be < \(SchemaText.number(m)), found \(v.serialized())") }
        }
        if case .string(let s) = v {
            let length = s.unicodeScalars.count
            if let m = node.minLength, length < m { fail("must be at least \(m) character\(m == 1 ? "" : "s") long, found \(length)") }
            if let m = node.maxLength, length > m { fail("must be at most \(m) characters long, found \(length)") }
            if let p = node.pattern, (try? p.regex.firstMatch(in: s)) == nil {
                fail("must match the pattern \(JSONValue.string(p.source).serialized()), found \(SchemaText.literal(v))")
            }
            if node.formatDate, CalendarDate(s) == nil {
                fail("not a valid date (expected YYYY-MM-DD), found \(SchemaText.literal(v))")
            }
        }
        if case .array(let items) = v {
            if let m = node.minItems, items.count < m { fail("must have at least \(m) item\(m == 1 ? "" : "s"), found \(items.count)") }
            if let m = node.maxItems, items.count > m { fail("must have at most \(m) items, found \(items.count)") }
            if node.uniqueItems {
                outer: for i in items.indices {
                    for j in items.indices where j > i && Self.equal(items[i], items[j]) {
                        fail("items \(i) and \(j) are equal; items must be unique")
                        break outer
                    }
                }
            }
            if let itemNode = node.items {
                for (i, item) in items.enumerated() { check(itemNode, item, path.appending(index: i), &out) }
            }
        }
        if case .object(let members) = v {
            for name in node.required where members[name] == nil {
                fail("missing required property \"\(name)\"")
            }
            if let m = node.minProperties, members.count < m { fail("must have at least \(m) properties, found \(members.count)") }
            if let m = node.maxProperties, members.count > m { fail("must have at most \(m) properties, found \(members.count)") }
            let declared = Dictionary(node.properties.map { ($0.name, $0.node) }, uniquingKeysWith: { a, _ in a })
            for (key, value) in members {
                let childPath = path.appending(key)
                if let child = declared[key] {
                    check(child, value, childPath, &out)
                    continue
                }
                switch node.additionalProperties {
                case .allowed: break
                case .forbidden:
                    fail("unknown property (allowed: \(node.properties.map(\.name).sorted().joined(separator: ", ")))", at: childPath)
                case .schema(let extra): check(extra, value, childPath, &out)
                }
            }
        }
        for sub in node.allOf { check(sub, v, path, &out) }
        if !node.anyOf.isEmpty, !node.anyOf.contains(where: { matches($0, v, path) }) {
            fail("must match at least one of \(node.anyOf.count) alternatives (anyOf), matched none")
        }
        if !node.oneOf.isEmpty {
            let matched = node.oneOf.filter { matches($0, v, path) }.count
            if matched != 1 { fail("must match exactly one of \(node.oneOf.count) alternatives (oneOf), matched \(matched)") }
        }
        if let n = node.not, matches(n, v, path) {
            fail("must not match the schema under \"not\"")
        }
        if let condition = node.ifNode {
            if matches(condition, v, path) {
                if let then = node.thenNode { check(then, v, path, &out) }
            } else if let otherwise = node.elseNode {
                check(otherwise, v, path, &out)
            }
        }
        if let ref = node.ref { check(ref, v, path, &out) }
    }

    private static func has(_ v: JSONValue, type: String) -> Bool {
        switch (type, v) {
        case ("null", .null), ("boolean", .bool), ("object", .object), ("array", .array), ("string", .string): true
        case ("number", .integer), ("number", .double), ("integer", .integer): true
        case ("integer", .double(let d)): d == d.rounded()
        default: false
        }
    }

    /// JSON equality: numbers by value (1 equals 1.0), objects regardless of member order.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.integer, .double), (.double, .integer), (.double, .double):
            return a.numberValue == b.numberValue
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { member in y[member.key].map { equal(member.value, $0) } ?? false }
        default:
            return a == b
        }
    }
}
