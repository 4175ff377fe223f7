import CDSJSON

/// A compiled JSON Schema (a draft 2020-12 subset) for validating case documents.
///
/// Supported keywords: `type`, `enum`, `const`, `properties`, `required`,
/// `additionalProperties`, `minProperties`, `maxProperties`, `items`, `minItems`,
/// `maxItems`, `uniqueItems`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
/// `minLength`, `maxLength`, `pattern`, `format` (`date` only), `allOf`, `anyOf`, `oneOf`,
/// `not`, `if`/`then`/`else`, local `$ref`, and the annotations. Any other keyword is a
/// compile error, so that a schema never carries a constraint that is silently unenforced.
package struct JSONSchema: Sendable {
    struct Node: Sendable {
        var isFalse = false
        var types: [String]?
        var enumValues: [JSONValue]?
        var constValue: JSONValue?
        var properties: [(name: String, node: Int)] = []
        var required: [String] = []
        var additionalProperties: AdditionalProperties = .allowed
        var minProperties: Int?
        var maxProperties: Int?
        var items: Int?
        var minItems: Int?
        var maxItems: Int?
        var uniqueItems = false
        var minimum: Double?
        var maximum: Double?
        var exclusiveMinimum: Double?
        var exclusiveMaximum: Double?
        var minLength: Int?
        var maxLength: Int?
        var pattern: Pattern?
        var formatDate = false
        var allOf: [Int] = []
        var anyOf: [Int] = []
        var oneOf: [Int] = []
        var not: Int?
        var ifNode: Int?
        var thenNode: Int?
        var elseNode: Int?
        var ref: Int?
    }

    enum AdditionalProperties: Sendable {
        case allowed
        case forbidden
        case schema(Int)
    }

    /// A compiled `pattern`, searched (not anchored) as the specification requires.
    struct Pattern: @unchecked Sendable {
        let source: String
        let regex: Regex<AnyRegexOutput>
    }

    let nodes: [Node]

    /// Compiles `document`, or lists every problem in it.
    package init(_ document: JSONValue) throws(SchemaCompileError) {
        var compiler = SchemaCompiler(document: document)
        let nodes = compiler.compileAll()
        guard compiler.problems.isEmpty else {
            throw SchemaCompileError(problems: compiler.problems.sorted())
        }
        self.nodes = nodes
    }
}

/// Turns schema JSON into nodes; `$ref`s become node indices.
private struct SchemaCompiler {
    static let annotations: Set<String> = [
        "$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly", "$defs",
    ]
    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "integer", "string"]

    let document: JSONValue
    var nodes: [JSONSchema.Node] = []
    var byPointer: [JSONPointer: Int] = [:]
    var pendingRefs: [(node: Int, target: JSONPointer, at: JSONPointer)] = []
    var problems: [SchemaViolation] = []

    init(document: JSONValue) { self.document = document }

    mutating func problem(_ path: JSONPointer, _ message: String) {
        problems.append(SchemaViolation(path: path, message: message))
    }

    mutating func compileAll() -> [JSONSchema.Node] {
        _ = compile(document, at: .root)
        while let pending = pendingRefs.popLast() {
            if let target = byPointer[pending.target] {
                nodes[pending.node].ref = target
            } else if let value = document.value(at: pending.target) {
                nodes[pending.node].ref = compile(value, at: pending.target)
            } else {
                problem(pending.at, "$ref \"#\(pending.target)\" does not resolve in this document")
            }
        }
        return nodes
    }

    mutating func compile(_ value: JSONValue, at path: JSONPointer) -> Int {
        if let existing = byPointer[path] { return existing }
        let index = nodes.count
        nodes.append(JSONSchema.Node())
        byPointer[path] = index
        switch value {
        case .bool(let b):
            nodes[index].isFalse = !b
            return index
        case .object(let o):
            var node = JSONSchema.Node()
            for (key, v) in o { compileKeyword(key, v, into: &node, index: index, at: path.appending(key)) }
            nodes[index] = node
            return index
        default:
            problem(path, "a schema must be an object or a boolean, found \(v: value)")
            return index
        }
    }

    mutating func nonNegativeInt(_ v: JSONValue, _ path: JSONPointer) -> Int? {
        if let n = v.numberValue, n >= 0, n == n.rounded(), n < 1e9 { return Int(n) }
        problem(path, "expected a non-negative integer, found \(v: v)")
        return nil
    }

    mutating func number(_ v: JSONValue, _ path: JSONPointer) -> Double? {
        if let n = v.numberValue { return n }
        problem(path, "expected a number, found \(v: v)")
        return nil
    }

    mutating func schemaList(_ v: JSONValue, _ path: JSONPointer) -> [Int] {
        guard let items = v.arrayValue, !items.isEmpty else {
            problem(path, "expected a non-empty array of schemas, found \(v: v)")
            return []
        }
        return items.enumerated().map { i, s in compile(s, at: path.appending(index: i)) }
    }

    mutating func compileKeyword(_ key: String, _ v: JSONValue, into node: inout JSONSchema.Node, index: Int, at path: JSONPointer) {
        switch key {
        case "$defs":
            guard let defs = v.objectValue else { return problem(path, "expected an object of schemas, found \(v: v)") }
            for (name, s) in defs { _ = compile(s, at: path.appending(name)) }
        case _ where Self.annotations.contains(key):
            break
        case "$ref":
            guard let text = v.stringValue, text.hasPrefix("#"), let pointer = JSONPointer(String(text.dropFirst())) else {
                return problem(path, "only local references such as \"#/$defs/name\" are supported, found \(v: v)")
            }
            pendingRefs.append((index, pointer, path))
        case "type":
            let names = v.stringValue.map { [$0] } ?? v.arrayValue?.compactMap(\.stringValue)
            guard let names, !names.isEmpty, names.allSatisfy(Self.typeNames.contains) else {
                return problem(path, "expected a type name or an array of them (\(Self.typeNames.sorted().joined(separator: ", "))), found \(v: v)")
            }
            node.types = names
        case "enum":
            guard let values = v.arrayValue, !values.isEmpty else { return problem(path, "expected a non-empty array, found \(v: v)") }
            node.enumValues = values
        case "const":
            node.constValue = v
        case "properties":
            guard let props = v.objectValue else { return problem(path, "expected an object of schemas, found \(v: v)") }
            node.properties = props.map { (name: $0.key, node: compile($0.value, at: path.appending($0.key))) }
        case "required":
            guard let names = v.arrayValue?.compactMap(\.stringValue), names.count == v.arrayValue?.count else {
                return problem(path, "expected an array of property names, found \(v: v)")
            }
            node.required = names
        case "additionalProperties":
            if case .bool(let b) = v {
                node.additionalProperties = b ? .allowed : .forbidden
            } else {
                node.additionalProperties = .schema(compile(v, at: path))
            }
        case "minProperties": node.minProperties = nonNegativeInt(v, path)
        case "maxProperties": node.maxProperties = nonNegativeInt(v, path)
        case "items": node.items = compile(v, at: path)
        case "minItems": node.minItems = nonNegativeInt(v, path)
        case "maxItems": node.maxItems = nonNegativeInt(v, path)
        case "uniqueItems":
            guard let b = v.boolValue else { return problem(path, "expected a boolean, found \(v: v)") }
            node.uniqueItems = b
        case "minimum": node.minimum = number(v, path)
        case "maximum": node.maximum = number(v, path)
        case "exclusiveMinimum": node.exclusiveMinimum = number(v, path)
        case "exclusiveMaximum": node.exclusiveMaximum = number(v, path)
        case "minLength": node.minLength = nonNegativeInt(v, path)
        case "maxLength": node.maxLength = nonNegativeInt(v, path)
        case "pattern":
            guard let source = v.stringValue else { return problem(path, "expected a regular expression string, found \(v: v)") }
            do {
                node.pattern = JSONSchema.Pattern(source: source, regex: try Regex(source))
            } catch {
                problem(path, "invalid regular expression \(v: v)")
            }
        case "format":
            guard v.stringValue == "date" else { return problem(path, "unsupported format \(v: v) (supported: \"date\")") }
            node.formatDate = true
        case "allOf": node.allOf = schemaList(v, path)
        case "anyOf": node.anyOf = schemaList(v, path)
        case "oneOf": node.oneOf = schemaList(v, path)
        case "not": node.not = compile(v, at: path)
        case "if": node.ifNode = compile(v, at: path)
        case "then": node.thenNode = compile(v, at: path)
        case "else": node.elseNode = compile(v, at: path)
        default:
            problem(path, "unsupported keyword \"\(key)\"")
        }
    }
}

extension DefaultStringInterpolation {
    /// Renders a JSON value briefly for messages: strings quoted (at most 60 characters),
    /// numbers and literals as written, containers by kind.
    mutating func appendInterpolation(v value: JSONValue) {
        appendLiteral(SchemaText.brief(value))
    }
}

enum SchemaText {
    static func brief(_ value: JSONValue) -> String {
        switch value {
        case .string(let s):
            let shown = s.count > 60 ? String(s.prefix(60)) + "..." : s
            return "string " + JSONValue.string(shown).serialized()
        case .array: return "array"
        case .object: return "object"
        case .integer, .double, .bool, .null: return value.typeName + " " + value.serialized()
        }
    }

    static func literal(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return JSONValue.string(s.count > 60 ? String(s.prefix(60)) + "..." : s).serialized()
        case .array: return "an array"
        case .object: return "an object"
        default: return value.serialized()
        }
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}
