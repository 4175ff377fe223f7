import CDSJSON

/// One compiled (sub)schema: the checks to run on a value, in a fixed order.
///
/// A schema document compiles to an array of nodes; node 0 is the root, and subschemas
/// and `$ref` targets are node indices, so recursive schemas are finite. Everything a
/// check needs at validation time (lookup tables, regexes, message text) is prepared at
/// compile time.
struct SchemaNode: Sendable {
    /// The index of a node in ``JSONSchema/nodes``.
    typealias ID = Int

    /// The checks; a `type` check, when present, comes first.
    var checks: [SchemaCheck]
    /// What the schema declares, for tools that describe the document (``SchemaElement``).
    var outline = SchemaOutline()
}

/// The declarations of one (sub)schema, as written: annotations, types, values, members.
struct SchemaOutline: Sendable {
    var description: String?
    /// The `type` names, in the order written.
    var typeNames: [String] = []
    var enumValues: [JSONValue]?
    var constValue: JSONValue?
    var minimum: JSONValue?
    var maximum: JSONValue?
    var format: String?
    var items: SchemaNode.ID?
    /// `properties`, in document order; `nil` when the keyword is absent.
    var properties: [(name: String, node: SchemaNode.ID)]?
    var required: [String] = []
    /// The `$ref` target.
    var reference: SchemaNode.ID?
}

/// The values an `enum` allows: a few compared one by one (cheaper than hashing the value
/// checked), many hashed.
struct SchemaValueSet: Sendable {
    private let values: [SchemaValueKey]
    private let hashed: Set<SchemaValueKey>?

    /// Above this many values, membership is found by hashing.
    static let linearLimit = 8

    init(_ values: [JSONValue]) {
        self.values = values.map(SchemaValueKey.init)
        self.hashed = values.count > Self.linearLimit ? Set(self.values) : nil
    }

    /// Whether `value` equals one of the values (JSON Schema equality).
    func contains(_ value: JSONValue) -> Bool {
        if let hashed { return hashed.contains(SchemaValueKey(value)) }
        return values.contains { SchemaValueKey.equal($0.value, value) }
    }
}

/// One compiled keyword (or group of related keywords).
enum SchemaCheck: Sendable {
    /// The `false` schema: nothing is valid.
    case never
    /// `type`; `expected` is the message text ("integer", "integer or string").
    case type(SchemaTypes, expected: String)
    /// `const`; `expected` is the value as shown in messages.
    case const(SchemaValueKey, expected: String)
    /// `enum`; `prefix` is the message up to the found value (`must be one of "a", "b";`).
    case enumeration(SchemaValueSet, prefix: String)
    /// `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numbers only).
    case bound(SchemaBound)
    /// `minLength`, `maxLength` in Unicode code points (strings only).
    case length(min: Int?, max: Int?)
    /// `pattern` (strings only).
    case pattern(SchemaPattern)
    /// `format: "date"` (strings only).
    case date
    /// `minItems`, `maxItems` (arrays only).
    case itemCount(min: Int?, max: Int?)
    /// `uniqueItems: true` (arrays only).
    case uniqueItems
    /// `items` (arrays only).
    case items(SchemaNode.ID)
    /// `minProperties`, `maxProperties` (objects only).
    case propertyCount(min: Int?, max: Int?)
    /// `required`, `properties`, `additionalProperties` (objects only).
    case members(CompiledMembers)
    /// `allOf`, and `$ref` (one target).
    case all([SchemaNode.ID])
    /// `anyOf`.
    case any([SchemaNode.ID])
    /// `oneOf`.
    case one([SchemaNode.ID])
    /// `not`.
    case not(SchemaNode.ID)
    /// `if` / `then` / `else`.
    case conditional(if: SchemaNode.ID, then: SchemaNode.ID?, else: SchemaNode.ID?)

    /// The subschemas applied to the same value (not to a member or an item), which must
    /// not form a cycle or validation would never end.
    var inPlaceSubschemas: [SchemaNode.ID] {
        switch self {
        case .all(let ids), .any(let ids), .one(let ids): ids
        case .not(let id): [id]
        case .conditional(let condition, let then, let otherwise): [condition] + [then, otherwise].compactMap { $0 }
        default: []
        }
    }
}

/// The JSON types a `type` keyword allows, as a bit set.
struct SchemaTypes: OptionSet, Sendable {
    let rawValue: UInt8

    /// The bits, one per type name.
    static let null = SchemaTypes(rawValue: 1 << 0)
    static let boolean = SchemaTypes(rawValue: 1 << 1)
    static let object = SchemaTypes(rawValue: 1 << 2)
    static let array = SchemaTypes(rawValue: 1 << 3)
    static let number = SchemaTypes(rawValue: 1 << 4)
    static let integer = SchemaTypes(rawValue: 1 << 5)
    static let string = SchemaTypes(rawValue: 1 << 6)

    /// The type names of draft 2020-12 and their bits.
    static let byName: [String: SchemaTypes] = [
        "null": .null, "boolean": .boolean, "object": .object, "array": .array,
        "number": .number, "integer": .integer, "string": .string,
    ]

    /// The types `value` belongs to. Every number is a `number`; an `integer`, and a
    /// `double` with no fractional part (`40.0`), is also an `integer`.
    static func of(_ value: JSONValue) -> SchemaTypes {
        switch value {
        case .null: .null
        case .bool: .boolean
        case .object: .object
        case .array: .array
        case .string: .string
        case .integer, .unsigned: [.number, .integer]
        case .double(let d): d.isFinite && d == d.rounded(.towardZero) ? [.number, .integer] : .number
        }
    }
}

/// A numeric bound, with the limit as written in the schema for messages.
struct SchemaBound: Sendable {
    /// Which keyword.
    enum Kind: Sendable {
        case minimum, maximum, exclusiveMinimum, exclusiveMaximum

        /// The relation a valid value has to the limit.
        var symbol: String {
            switch self {
            case .minimum: "≥"
            case .maximum: "≤"
            case .exclusiveMinimum: ">"
            case .exclusiveMaximum: "<"
            }
        }
    }

    /// Which keyword the bound comes from.
    var kind: Kind
    /// The limit, compared exactly.
    var limit: SchemaNumber
    /// The limit as written, e.g. `120` or `0.5`.
    var limitText: String

    /// Whether `n` satisfies the bound.
    func admits(_ n: SchemaNumber) -> Bool {
        switch kind {
        case .minimum: n >= limit
        case .maximum: n <= limit
        case .exclusiveMinimum: n > limit
        case .exclusiveMaximum: n < limit
        }
    }
}

/// The object keywords of one schema, prepared for lookup.
struct SchemaMembers: Sendable {
    /// What `additionalProperties` makes of a member not listed in `properties`.
    enum Additional: Sendable {
        /// Absent, `true` or `{}`.
        case allowed
        /// `false`; `message` lists the declared names, sorted.
        case forbidden(message: String)
        /// A schema every undeclared member must satisfy.
        case schema(SchemaNode.ID)
    }

    /// `required`, in schema order.
    var required: [String] = []
    /// `properties`.
    var properties: [String: SchemaNode.ID] = [:]
    /// What applies to the members `properties` does not name.
    var additional: Additional = .allowed
}

/// ``SchemaMembers`` as validation reads it: shared, not copied, by every value checked
/// against it (a reference is one retain, the members' parts five), and its properties
/// found by a linear search, lengths first, which for the few members of a case object
/// costs less than hashing each name.
final class CompiledMembers: Sendable {
    let required: [String]
    let additional: SchemaMembers.Additional
    private let properties: [String: SchemaNode.ID]
    private let names: [String]
    private let ids: [SchemaNode.ID]

    init(_ members: SchemaMembers) {
        required = members.required
        additional = members.additional
        properties = members.properties
        names = members.properties.keys.sorted()
        ids = names.map { members.properties[$0] ?? 0 }
    }

    /// How many properties `properties` declares.
    var declaredCount: Int { names.count }

    /// The declared properties and their nodes, by name.
    var declaredMembers: Zip2Sequence<[String], [SchemaNode.ID]> { zip(names, ids) }

    /// The node of property `name`, if `properties` declares it.
    func declared(_ name: String) -> SchemaNode.ID? {
        guard names.count <= 16 else { return properties[name] }
        let length = name.utf8.count
        for i in names.indices where names[i].utf8.count == length && names[i] == name { return ids[i] }
        return nil
    }
}

/// A compiled `pattern`: a Swift `Regex` with ECMA-262-like options, searched anywhere in
/// the string (not anchored), as the specification requires.
///
/// `Regex` is not declared `Sendable`, but a compiled pattern is never mutated: the regex
/// is built and run once at compile time, so its lazily lowered program already exists
/// before the schema is shared, and matching only reads it. (Checked with Swift 6.3:
/// declaring it plain `Sendable` is refused because `Regex<AnyRegexOutput>` is not.) A
/// class, so that ``SchemaCheck`` holds a reference of fixed size: a `Regex` in the enum's
/// payload (its layout known only at run time, from another module) made every `switch`
/// over the checks ask the runtime for the case.
final class SchemaPattern: @unchecked Sendable {
    /// The pattern as written in the schema.
    let source: String
    /// The compiled regex.
    let regex: Regex<AnyRegexOutput>

    /// Compiles `source`, or throws the regex engine's error.
    init(_ source: String) throws {
        self.source = source
        // ECMA-262 semantics where Swift differs by default: `.` and classes work on code
        // points, `\d` and `\w` are ASCII, and `\b` uses ASCII word characters.
        self.regex = try Regex(source)
            .matchingSemantics(.unicodeScalar)
            .asciiOnlyDigits()
            .asciiOnlyWordCharacters()
            .wordBoundaryKind(.simple)
        // Lowers the program now, so that an unsupported construct fails here, at compile time.
        _ = try regex.firstMatch(in: "")
    }

    /// Whether the pattern occurs somewhere in `text`.
    func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }
}
