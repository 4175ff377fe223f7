import CDSJSON

/// Turns a schema document into ``SchemaNode``s, collecting every problem on the way.
///
/// Each subschema is compiled once, keyed by its location in the document, so a `$ref`
/// to a location already compiled (including an enclosing schema: recursion) reuses its
/// node. `$ref`s are resolved after the walk, compiling targets that the walk did not
/// reach; a chain of subschemas that leads back to itself without descending into a
/// member or an item is reported, since validating it would never end.
struct SchemaCompiler {
    /// The only dialect accepted in `$schema`.
    static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// A `$ref` waiting for its target: which check of which node to fill in.
    private struct PendingReference {
        var node: SchemaNode.ID
        var check: Int
        var reference: String
        var target: JSONPointer
        var keywordPath: JSONPointer
    }

    private let document: JSONValue
    private var nodes: [SchemaNode] = []
    private var nodePaths: [JSONPointer] = []
    private var nodeAtPath: [JSONPointer: SchemaNode.ID] = [:]
    private var pending: [PendingReference] = []
    private var problems: [SchemaViolation] = []

    /// A compiler for `document`.
    init(document: JSONValue) {
        self.document = document
    }

    /// The nodes (the root is node 0), or every problem found, sorted.
    mutating func compile() -> Result<[SchemaNode], SchemaCompileError> {
        _ = compile(document, at: .root)
        while let reference = pending.popLast() {
            guard let target = document.value(at: reference.target) else {
                problem(reference.keywordPath, "reference \(SchemaValueText.quoted(reference.reference)) does not resolve in this document")
                continue
            }
            let id = compile(target, at: reference.target)
            nodes[reference.node].checks[reference.check] = .all([id])
            nodes[reference.node].outline.reference = id
        }
        if problems.isEmpty { reportCycles() }
        guard problems.isEmpty else {
            return .failure(SchemaCompileError(problems: Array(Set(problems)).sorted()))
        }
        return .success(nodes)
    }

    private mutating func problem(_ path: JSONPointer, _ message: String) {
        problems.append(SchemaViolation(path: path, message: message))
    }

    // MARK: Schemas

    /// The node for the schema at `path`, compiling it the first time.
    private mutating func compile(_ value: JSONValue, at path: JSONPointer) -> SchemaNode.ID {
        if let id = nodeAtPath[path] { return id }
        let id = nodes.count
        nodes.append(SchemaNode(checks: []))
        nodePaths.append(path)
        nodeAtPath[path] = id
        switch value {
        case .bool(true):
            break
        case .bool(false):
            nodes[id].checks = [.never]
        case .object(let keywords):
            nodes[id].checks = checks(keywords, node: id, at: path)
        default:
            problem(path, "a schema must be an object or a boolean, found \(SchemaValueText.typed(value))")
        }
        return id
    }

    /// The keywords of one schema object, read into one place before they become checks.
    private struct Keywords {
        var types: (SchemaTypes, expected: String)?
        var constValue: JSONValue?
        var enumValues: [JSONValue]?
        var bounds: [SchemaBound] = []
        var minLength: Int?
        var maxLength: Int?
        var pattern: SchemaPattern?
        var date = false
        var minItems: Int?
        var maxItems: Int?
        var uniqueItems = false
        var items: SchemaNode.ID?
        var minProperties: Int?
        var maxProperties: Int?
        var members = SchemaMembers()
        var hasMembers = false
        var declaredNames: [String] = []
        var forbidsAdditional = false
        var allOf: [SchemaNode.ID] = []
        var anyOf: [SchemaNode.ID] = []
        var oneOf: [SchemaNode.ID] = []
        var not: SchemaNode.ID?
        var condition: SchemaNode.ID?
        var then: SchemaNode.ID?
        var otherwise: SchemaNode.ID?
        var reference: (text: String, target: JSONPointer, path: JSONPointer)?
        var outline = SchemaOutline()
    }

    /// The checks of a schema object, `type` first.
    private mutating func checks(_ object: JSONObject, node: SchemaNode.ID, at path: JSONPointer) -> [SchemaCheck] {
        var k = Keywords()
        for (name, value) in object {
            read(name, value, into: &k, at: path.appending(name), schemaPath: path)
        }
        if k.then != nil, k.condition == nil {
            problem(path.appending("then"), "\"then\" has no effect without \"if\"")
        }
        if k.otherwise != nil, k.condition == nil {
            problem(path.appending("else"), "\"else\" has no effect without \"if\"")
        }
        if k.forbidsAdditional {
            let names = k.declaredNames.sorted()
            let allowed = names.isEmpty ? "no properties are allowed" : "allowed: " + names.joined(separator: ", ")
            k.members.additional = .forbidden(message: "unknown property (\(allowed))")
        }
        nodes[node].outline = k.outline
        nodes[node].outline.items = k.items
        nodes[node].outline.required = k.members.required

        var checks: [SchemaCheck] = []
        if let (types, expected) = k.types { checks.append(.type(types, expected: expected)) }
        if let value = k.constValue { checks.append(.const(SchemaValueKey(value), expected: SchemaValueText.expected(value))) }
        if let values = k.enumValues {
            let shown = values.map(SchemaValueText.expected)
            let prefix = shown.count == 1 ? "must be \(shown[0])," : "must be one of \(shown.joined(separator: ", "));"
            checks.append(.enumeration(SchemaValueSet(values), prefix: prefix))
        }
        checks += k.bounds.map(SchemaCheck.bound)
        if k.minLength != nil || k.maxLength != nil { checks.append(.length(min: k.minLength, max: k.maxLength)) }
        if let pattern = k.pattern { checks.append(.pattern(pattern)) }
        if k.date { checks.append(.date) }
        if k.minItems != nil || k.maxItems != nil { checks.append(.itemCount(min: k.minItems, max: k.maxItems)) }
        if k.uniqueItems { checks.append(.uniqueItems) }
        if let items = k.items { checks.append(.items(items)) }
        if k.minProperties != nil || k.maxProperties != nil {
            checks.append(.propertyCount(min: k.minProperties, max: k.maxProperties))
        }
        if k.hasMembers { checks.append(.members(CompiledMembers(k.members))) }
        if !k.allOf.isEmpty { checks.append(.all(k.allOf)) }
        if !k.anyOf.isEmpty { checks.append(.any(k.anyOf)) }
        if !k.oneOf.isEmpty { checks.append(.one(k.oneOf)) }
        if let not = k.not { checks.append(.not(not)) }
        if let condition = k.condition { checks.append(.conditional(if: condition, then: k.then, else: k.otherwise)) }
        if let reference = k.reference {
            checks.append(.all([]))
            pending.append(
                PendingReference(
                    node: node, check: checks.count - 1, reference: reference.text, target: reference.target, keywordPath: reference.path))
        }
        return checks
    }

    // MARK: Keywords

    /// Reads one keyword of the schema at `schemaPath`; `path` is the keyword's own path.
    private mutating func read(_ name: String, _ value: JSONValue, into k: inout Keywords, at path: JSONPointer, schemaPath: JSONPointer) {
        switch name {
        // Annotations and containers: checked for shape, otherwise ignored.
        case "$schema":
            guard let uri = value.stringValue else { return expected("a dialect URI (a string)", value, path) }
            if uri != Self.dialect && uri != Self.dialect + "#" {
                problem(
                    path, "unsupported dialect \(SchemaValueText.quoted(uri)) (only \(SchemaValueText.quoted(Self.dialect)) is supported)")
            }
        case "$id":
            guard value.stringValue != nil else { return expected("a URI (a string)", value, path) }
            if schemaPath != .root {
                problem(path, "\"$id\" is supported on the root schema only (elsewhere it would change what \"$ref\" refers to)")
            }
        case "$comment", "title", "description":
            if value.stringValue == nil { expected("a string", value, path) }
            if name == "description" { k.outline.description = value.stringValue }
        case "deprecated", "readOnly", "writeOnly":
            if value.boolValue == nil { expected("a boolean", value, path) }
        case "examples":
            if value.arrayValue == nil { expected("an array", value, path) }
        case "default":
            break
        case "$defs":
            guard let definitions = value.objectValue else { return expected("an object of schemas", value, path) }
            for (definition, schema) in definitions { _ = compile(schema, at: path.appending(definition)) }

        case "$ref":
            k.reference = reference(value, at: path).map { (value.stringValue ?? "", $0, path) }

        case "type":
            k.types = types(value, at: path)
            k.outline.typeNames = value.stringValue.map { [$0] } ?? value.arrayValue?.compactMap(\.stringValue) ?? []
        case "const":
            k.constValue = value
            k.outline.constValue = value
        case "enum":
            guard let values = value.arrayValue, !values.isEmpty else { return expected("a non-empty array", value, path) }
            k.enumValues = values
            k.outline.enumValues = values

        case "minimum":
            k.bounds += bound(.minimum, value, at: path).map { [$0] } ?? []
            k.outline.minimum = value
        case "maximum":
            k.bounds += bound(.maximum, value, at: path).map { [$0] } ?? []
            k.outline.maximum = value
        case "exclusiveMinimum": k.bounds += bound(.exclusiveMinimum, value, at: path).map { [$0] } ?? []
        case "exclusiveMaximum": k.bounds += bound(.exclusiveMaximum, value, at: path).map { [$0] } ?? []

        case "minLength": k.minLength = count(value, at: path)
        case "maxLength": k.maxLength = count(value, at: path)
        case "pattern":
            guard let source = value.stringValue else { return expected("a regular expression (a string)", value, path) }
            do {
                k.pattern = try SchemaPattern(source)
            } catch {
                problem(path, "invalid regular expression \(SchemaValueText.quoted(source)): \(error)")
            }
        case "format":
            guard let format = value.stringValue else { return expected("a format name (a string)", value, path) }
            k.outline.format = format
            guard format == "date" else {
                return problem(path, "unsupported format \(SchemaValueText.quoted(format)) (supported: \"date\")")
            }
            k.date = true

        case "minItems": k.minItems = count(value, at: path)
        case "maxItems": k.maxItems = count(value, at: path)
        case "uniqueItems":
            guard let unique = value.boolValue else { return expected("a boolean", value, path) }
            k.uniqueItems = unique
        case "items":
            k.items = compile(value, at: path)

        case "minProperties": k.minProperties = count(value, at: path)
        case "maxProperties": k.maxProperties = count(value, at: path)
        case "required":
            k.members.required = names(value, at: path)
            k.hasMembers = k.hasMembers || !k.members.required.isEmpty
        case "properties":
            guard let properties = value.objectValue else { return expected("an object of schemas", value, path) }
            k.outline.properties = []
            for (property, schema) in properties {
                let id = compile(schema, at: path.appending(property))
                k.members.properties[property] = id
                k.declaredNames.append(property)
                k.outline.properties?.append((property, id))
            }
            k.hasMembers = k.hasMembers || !properties.isEmpty
        case "additionalProperties":
            switch value {
            case .bool(true):
                break
            case .bool(false):
                k.forbidsAdditional = true
                k.hasMembers = true
            default:
                k.members.additional = .schema(compile(value, at: path))
                k.hasMembers = true
            }

        case "allOf": k.allOf = schemas(value, at: path)
        case "anyOf": k.anyOf = schemas(value, at: path)
        case "oneOf": k.oneOf = schemas(value, at: path)
        case "not": k.not = compile(value, at: path)
        case "if": k.condition = compile(value, at: path)
        case "then": k.then = compile(value, at: path)
        case "else": k.otherwise = compile(value, at: path)

        default:
            problem(path, "unsupported keyword '\(name)'")
        }
    }

    private mutating func expected(_ what: String, _ value: JSONValue, _ path: JSONPointer) {
        problem(path, "expected \(what), found \(SchemaValueText.typed(value))")
    }

    /// `type`: a type name or a non-empty array of distinct type names.
    private mutating func types(_ value: JSONValue, at path: JSONPointer) -> (SchemaTypes, expected: String)? {
        let entries: [(JSONValue, JSONPointer)]
        switch value {
        case .string: entries = [(value, path)]
        case .array(let items) where !items.isEmpty: entries = items.enumerated().map { ($1, path.appending(index: $0)) }
        default:
            expected("a type name or a non-empty array of type names", value, path)
            return nil
        }
        var types: SchemaTypes = []
        var names: [String] = []
        for (entry, entryPath) in entries {
            guard let name = entry.stringValue, let type = SchemaTypes.byName[name] else {
                let known = SchemaTypes.byName.keys.sorted().joined(separator: ", ")
                problem(entryPath, "unknown type \(SchemaValueText.found(entry)) (expected one of: \(known))")
                continue
            }
            guard !types.contains(type) else {
                problem(entryPath, "type \(SchemaValueText.quoted(name)) is listed twice")
                continue
            }
            types.insert(type)
            names.append(name)
        }
        guard names.count == entries.count else { return nil }
        let expected = names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
        return (types, expected)
    }

    /// A non-negative integer (`2` or `2.0`), for the count keywords.
    private mutating func count(_ value: JSONValue, at path: JSONPointer) -> Int? {
        if let n = SchemaNumber(value)?.exactInteger, n >= 0 { return Int(n) }
        expected("a non-negative integer", value, path)
        return nil
    }

    /// A numeric bound.
    private mutating func bound(_ kind: SchemaBound.Kind, _ value: JSONValue, at path: JSONPointer) -> SchemaBound? {
        guard let limit = SchemaNumber(value) else {
            expected("a number", value, path)
            return nil
        }
        return SchemaBound(kind: kind, limit: limit, limitText: SchemaValueText.found(value))
    }

    /// `required`: an array of distinct property names.
    private mutating func names(_ value: JSONValue, at path: JSONPointer) -> [String] {
        guard let items = value.arrayValue else {
            expected("an array of property names", value, path)
            return []
        }
        var names: [String] = []
        for (i, item) in items.enumerated() {
            guard let name = item.stringValue else {
                expected("a property name (a string)", item, path.appending(index: i))
                continue
            }
            if names.contains(name) {
                problem(path.appending(index: i), "property \(SchemaValueText.quoted(name)) is listed twice")
            } else {
                names.append(name)
            }
        }
        return names
    }

    /// `allOf`, `anyOf`, `oneOf`: a non-empty array of schemas.
    private mutating func schemas(_ value: JSONValue, at path: JSONPointer) -> [SchemaNode.ID] {
        guard let items = value.arrayValue, !items.isEmpty else {
            expected("a non-empty array of schemas", value, path)
            return []
        }
        return items.enumerated().map { i, schema in compile(schema, at: path.appending(index: i)) }
    }

    /// The JSON Pointer of a local `$ref` (`#`, `#/$defs/name`, percent-encoded as a URI
    /// fragment), or `nil` after reporting why it is not one.
    private mutating func reference(_ value: JSONValue, at path: JSONPointer) -> JSONPointer? {
        guard let text = value.stringValue else {
            expected("a reference (a string)", value, path)
            return nil
        }
        let unsupported = "only local references of the form \"#/…\" are supported, found \(SchemaValueText.quoted(text))"
        guard text.hasPrefix("#") else {
            problem(path, unsupported)
            return nil
        }
        let fragment = String(text.dropFirst())
        guard fragment.isEmpty || fragment.hasPrefix("/") else {
            problem(path, unsupported)
            return nil
        }
        guard let decoded = Self.percentDecoded(fragment), let pointer = JSONPointer(decoded) else {
            problem(path, "not a valid JSON Pointer: \(SchemaValueText.quoted(text))")
            return nil
        }
        return pointer
    }

    /// `text` with `%XX` escapes decoded as UTF-8, or `nil` when an escape is malformed.
    private static func percentDecoded(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: Cycles

    /// Reports every chain of subschemas applied to the same value that leads back to
    /// itself (through `$ref`, `allOf`, `anyOf`, `oneOf`, `not`, `if`, `then`, `else`).
    private mutating func reportCycles() {
        enum Mark { case unvisited, onPath, done }
        var marks = Array(repeating: Mark.unvisited, count: nodes.count)
        var path: [SchemaNode.ID] = []
        var found: [[SchemaNode.ID]] = []

        func visit(_ id: SchemaNode.ID) {
            marks[id] = .onPath
            path.append(id)
            for next in nodes[id].checks.flatMap(\.inPlaceSubschemas) {
                switch marks[next] {
                case .unvisited:
                    visit(next)
                case .onPath:
                    if let start = path.firstIndex(of: next) { found.append(Array(path[start...]) + [next]) }
                case .done:
                    break
                }
            }
            path.removeLast()
            marks[id] = .done
        }
        for id in nodes.indices where marks[id] == .unvisited { visit(id) }

        for cycle in found {
            let chain = cycle.map { "#" + nodePaths[$0].description }.joined(separator: " → ")
            problem(nodePaths[cycle[0]], "the schema applies itself to the same value without end: \(chain)")
        }
    }
}
