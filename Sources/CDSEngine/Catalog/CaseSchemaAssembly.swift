import CDSJSON
import CDSModuleAPI

/// The case schema a Catalog validates cases with: the host's core schema
/// (`schema/case.schema.json`: the format version, case id, date, patient, `extensions`)
/// with each pack's fragment (`schema.json`) merged in, in pack order.
///
/// A fragment declares the top-level members its pack's modules read (`properties`, with
/// `required`, `allOf` rules and `$defs`), and may keep facts under `/extensions/<pack id>`
/// instead (`extension`: the schema of that member). A member, a definition or an extension
/// declared twice stops the load. Issues found in the assembled schema are reported in the
/// file that declared the part at fault.
struct CaseSchemaAssembly {
    /// The core schema's file.
    static let coreFile = "schema/case.schema.json"
    /// A pack's fragment file.
    static let fragmentFile = "schema.json"

    let core: JSONValue?
    let packs: [(id: String, prefix: String, fragment: JSONValue?)]
    let sink: IssueSink
    /// The pack (index into `packs`) that declared each top-level member, definition, and
    /// `allOf` entry; absent means the core.
    private var memberOwner: [String: Int] = [:]
    private var definitionOwner: [String: Int] = [:]
    private var ruleOwner: [Int: (pack: Int, index: Int)] = [:]
    private var extensionOwner: [String: Int] = [:]

    init(core: JSONValue?, packs: [(id: String, prefix: String, fragment: JSONValue?)], sink: IssueSink) {
        self.core = core
        self.packs = packs
        self.sink = sink
    }

    /// The assembled schema document, or `nil` (with issues).
    mutating func document() -> JSONValue? {
        guard case .object(var root)? = core else {
            sink.add(Self.coreFile, .root, "expected the core case schema as a JSON object", .typeMismatch)
            return nil
        }
        guard case .object(let coreProperties)? = root["properties"] else {
            sink.add(Self.coreFile, .root, "missing required member \"properties\"", .missingRequired, member: "properties")
            return nil
        }
        var required = root["required"]?.arrayValue ?? []
        var rules = root["allOf"]?.arrayValue ?? []
        var definitions = root["$defs"]?.objectValue ?? JSONObject()
        var added = JSONObject()
        var extensions = JSONObject()
        for (k, pack) in packs.enumerated() {
            guard let fragment = pack.fragment else { continue }
            let file = pack.prefix + Self.fragmentFile
            guard
                let reader = FieldReader(
                    fragment, file: file, path: .root, sink: sink,
                    allowedKeys: ["description", "required", "properties", "allOf", "$defs", "extension"])
            else { continue }
            _ = reader.string("description", required: false)
            let properties = reader.objectValue("properties", required: false) ?? JSONObject()
            for (name, value) in properties {
                let path = JSONPointer.root.appending("properties").appending(name)
                if coreProperties[name] != nil {
                    sink.add(file, path, "the case member \"\(name)\" is the core schema's (\(Self.coreFile)); a pack cannot redeclare it", .conflict)
                } else if let other = memberOwner[name] {
                    sink.add(file, path, "the case member \"\(name)\" is already declared by pack \"\(packs[other].id)\"", .conflict)
                } else {
                    memberOwner[name] = k
                    added[name] = value
                }
            }
            for (i, name) in (reader.strings("required", required: false) ?? []).enumerated() {
                if properties[name] == nil {
                    sink.add(file, JSONPointer.root.appending("required").appending(index: i), "\"\(name)\" is not one of this fragment's properties")
                } else {
                    required.append(.string(name))
                }
            }
            for (i, rule) in (reader.array("allOf", required: false) ?? []).enumerated() {
                ruleOwner[rules.count] = (k, i)
                rules.append(rule)
            }
            for (name, value) in reader.objectValue("$defs", required: false) ?? JSONObject() {
                let path = JSONPointer.root.appending("$defs").appending(name)
                if let other = definitionOwner[name] {
                    sink.add(file, path, "the definition \"\(name)\" is already declared by pack \"\(packs[other].id)\"", .conflict)
                } else if definitions[name] != nil {
                    sink.add(file, path, "the definition \"\(name)\" is the core schema's", .conflict)
                } else {
                    definitionOwner[name] = k
                    definitions[name] = value
                }
            }
            if let schema = fragment["extension"] {
                extensionOwner[pack.id] = k
                extensions[pack.id] = schema
            }
        }
        // Core members first, then the packs', with `extensions` (if the core has it) last.
        var properties = JSONObject()
        for (name, value) in coreProperties where name != "extensions" { properties[name] = value }
        for (name, value) in added { properties[name] = value }
        if let coreExtensions = coreProperties["extensions"] {
            if extensions.isEmpty {
                properties["extensions"] = coreExtensions
            } else if case .object(var member) = coreExtensions {
                var declared = member["properties"]?.objectValue ?? JSONObject()
                for (name, value) in extensions { declared[name] = value }
                member["properties"] = .object(declared)
                properties["extensions"] = .object(member)
            }
        } else if let k = extensionOwner.values.min() {
            sink.add(
                packs[k].prefix + Self.fragmentFile, JSONPointer.root.appending("extension"),
                "the core schema (\(Self.coreFile)) declares no \"extensions\" member to keep this pack's facts in")
        }
        root["properties"] = .object(properties)
        if !required.isEmpty { root["required"] = .array(required) }
        if !rules.isEmpty { root["allOf"] = .array(rules) }
        if !definitions.isEmpty { root["$defs"] = .object(definitions) }
        return .object(root)
    }

    /// Where an issue at `path` of the assembled schema belongs: the file that declared it,
    /// and the path there.
    func place(of path: JSONPointer) -> (file: String, path: JSONPointer) {
        let t = path.tokens
        func packPlace(_ k: Int, _ tokens: [String]) -> (String, JSONPointer) {
            (packs[k].prefix + Self.fragmentFile, JSONPointer(tokens: tokens))
        }
        if t.count >= 4, t[0] == "properties", t[1] == "extensions", t[2] == "properties", let k = extensionOwner[t[3]] {
            return packPlace(k, ["extension"] + t.dropFirst(4))
        }
        if t.count >= 2, t[0] == "properties", let k = memberOwner[t[1]] { return packPlace(k, t) }
        if t.count >= 2, t[0] == "$defs", let k = definitionOwner[t[1]] { return packPlace(k, t) }
        if t.count >= 2, t[0] == "allOf", let i = Int(t[1]), let owner = ruleOwner[i] {
            return packPlace(owner.pack, ["allOf", String(owner.index)] + t.dropFirst(2))
        }
        return (Self.coreFile, path)
    }

    /// The assembled schema compiled, with its vocabularies checked against the packs'
    /// terminology (read from the compiled schema, the one cases are validated with): a code
    /// must never be accepted by the schema and unknown to the modules, or the reverse.
    func compile(_ document: JSONValue, terminology t: CatalogDecoder.Terminology) -> JSONSchema? {
        let schema: JSONSchema
        do {
            schema = try JSONSchema(document)
        } catch {
            for problem in error.problems {
                let (file, path) = place(of: problem.path)
                sink.add(file, path, problem.message)
            }
            return nil
        }
        func add(_ pointer: String, _ message: String) {
            let (file, path) = place(of: JSONPointer(pointer) ?? .root)
            sink.add(file, path, message)
        }
        let checks: [(String, String, String, Set<String>, String)] = [
            (
                "/properties/contraindications/items/properties/code/enum", "contraindications", "code",
                Set(t.contraindications.map(\.code)), "the terminology's contraindications"
            ),
            (
                "/properties/allergies/items/properties/substance/enum", "allergies", "substance", Set(t.substances.map(\.code)),
                "the terminology's substances"
            ),
        ]
        for (pointer, field, member, expected, name) in checks {
            guard let list = schema.element(at: JSONPointer(tokens: [field]))?.resolved else {
                if !expected.isEmpty {
                    add("/properties", "declares no \"\(field)\" member, so \(name) (\(expected.sorted().joined(separator: ", "))) can never be recorded")
                }
                continue
            }
            guard let values = list.items?.resolved.property(member)?.resolved.enumValues else {
                add(pointer, "expected an enum listing the terminology codes")
                continue
            }
            if Set(values.compactMap(\.stringValue)) != expected {
                add(pointer, "must list exactly the codes of \(name): \(expected.sorted().joined(separator: ", "))")
            }
        }
        if let symptoms = schema.element(at: JSONPointer(tokens: ["symptoms"]))?.resolved, symptoms.declaresProperties {
            let expected = Set(t.symptoms.map(\.code))
            if Set(symptoms.properties.map(\.name)) != expected {
                add("/properties/symptoms/properties", "must have exactly the symptom codes of the terminology: \(expected.sorted().joined(separator: ", "))")
            }
        }
        return schema
    }
}
