import CDSJSON

/// The fields of the case a person can set, read from the case schema (so the REPL never
/// drifts from what the engine validates): dotted paths such as `patient.age`, with the
/// values each accepts when the schema lists them.
package struct CaseFields: Sendable {
    package struct Field: Sendable, Hashable {
        /// Dotted path, such as `conservativeCare.outcome`.
        package var path: String
        /// JSON type names the schema allows ("integer", "array", ...), empty if unstated.
        package var types: [String]
        /// Values the schema enumerates (booleans included), rendered for completion.
        package var values: [String]
        /// For arrays of objects with exactly one required member: that member's name, so
        /// `add contraindications nsaids` can mean `{"code":"nsaids"}`.
        package var itemKey: String?
        package var description: String?
    }

    package let fields: [Field]
    private let byPath: [String: Field]

    package init(schema: JSONValue) {
        var found: [Field] = []
        func resolve(_ node: JSONValue) -> JSONValue {
            if let ref = node["$ref"]?.stringValue, ref.hasPrefix("#"), let pointer = JSONPointer(String(ref.dropFirst())),
                let target = schema.value(at: pointer)
            {
                return target
            }
            return node
        }
        func walk(_ node: JSONValue, _ prefix: String) {
            guard let properties = node["properties"]?.objectValue else { return }
            for (name, raw) in properties {
                let child = resolve(raw)
                let path = prefix.isEmpty ? name : prefix + "." + name
                let types = child["type"]?.stringValue.map { [$0] } ?? child["type"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if types == ["object"], child["properties"] != nil {
                    walk(child, path)
                    continue
                }
                var values = (child["enum"]?.arrayValue ?? []).map { $0.stringValue ?? $0.serialized() }
                if let c = child["const"] { values = [c.stringValue ?? c.serialized()] }
                if types == ["boolean"] { values = ["true", "false"] }
                var itemKey: String?
                if let items = child["items"].map(resolve), let required = items["required"]?.arrayValue, required.count == 1,
                    let key = required[0].stringValue
                {
                    itemKey = key
                    values = (items["properties"]?[key]?["enum"]?.arrayValue ?? []).compactMap(\.stringValue)
                }
                found.append(Field(path: path, types: types, values: values, itemKey: itemKey, description: child["description"]?.stringValue))
            }
        }
        walk(schema, "")
        fields = found
        byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    }

    package subscript(path: String) -> Field? { byPath[path] }

    /// `patient.age` or `/patient/age` as a JSON Pointer.
    package static func pointer(_ path: String) -> JSONPointer? {
        if path.hasPrefix("/") { return JSONPointer(path) }
        let tokens = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !tokens.contains(where: \.isEmpty) else { return nil }
        return JSONPointer(tokens: tokens)
    }
}
