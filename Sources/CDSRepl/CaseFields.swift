import CDSEngine
import CDSJSON

/// The fields of the case a person can set, read from the compiled case schema (the very
/// compilation the engine validates with, so the REPL never drifts from it): dotted paths such as `patient.age`, with the
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
        /// The schema's bounds and format, when it states them (`minimum`, `maximum`, `format`).
        package var minimum: String?
        package var maximum: String?
        package var format: String?

        /// `integer 0-130`, `one of female, male, other, unknown`, `list of {code}`, ...
        package var typeSummary: String {
            var text: String
            if types.isEmpty && !values.isEmpty {
                text = "one of " + values.joined(separator: ", ")
            } else {
                text = types.isEmpty ? "any JSON value" : types.joined(separator: " or ")
                if let itemKey { text = "list of {\"\(itemKey)\": ...}" }
                if let format { text += " (\(format == "date" ? "YYYY-MM-DD" : format))" }
                if minimum != nil || maximum != nil { text += " \(minimum ?? "")-\(maximum ?? "")" }
                if !values.isEmpty && types != ["boolean"] { text += ", one of " + values.joined(separator: ", ") }
            }
            return text
        }
    }

    package let fields: [Field]
    private let byPath: [String: Field]
    /// The schema's descriptions of the objects that hold fields (`symptoms`, ...).
    private let groupDescriptions: [String: String]

    /// The fields of a compiled case schema (the one the engine validates with).
    package init(schema: JSONSchema) {
        var found: [Field] = []
        var groups: [String: String] = [:]
        func text(_ value: JSONValue) -> String { value.stringValue ?? value.serialized() }
        func walk(_ node: SchemaElement, _ prefix: String) {
            guard node.declaresProperties else { return }
            for (name, raw) in node.properties {
                let child = raw.resolved
                let path = prefix.isEmpty ? name : prefix + "." + name
                let types = child.types
                if types == ["object"], child.declaresProperties {
                    if let description = child.description { groups[path] = description }
                    walk(child, path)
                    continue
                }
                var values = (child.enumValues ?? []).map(text)
                if let c = child.constValue { values = [text(c)] }
                if types == ["boolean"] { values = ["true", "false"] }
                var itemKey: String?
                if let items = child.items?.resolved, items.required.count == 1 {
                    let key = items.required[0]
                    itemKey = key
                    values = (items.property(key)?.enumValues ?? []).compactMap(\.stringValue)
                }
                found.append(
                    Field(
                        path: path, types: types, values: values, itemKey: itemKey, description: child.description,
                        minimum: child.minimum?.serialized(), maximum: child.maximum?.serialized(), format: child.format))
            }
        }
        walk(schema.root, "")
        groupDescriptions = groups
        fields = found
        byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    }

    package subscript(path: String) -> Field? { byPath[path] }

    /// The description of the nearest enclosing object that has one (`symptoms` for
    /// `symptoms.clickingOrSnapping`), with its path.
    package func groupDescription(of path: String) -> (path: String, text: String)? {
        var components = path.split(separator: ".").dropLast()
        while !components.isEmpty {
            let prefix = components.joined(separator: ".")
            if let text = groupDescriptions[prefix] { return (prefix, text) }
            components = components.dropLast()
        }
        return nil
    }

    /// `patient.age` or `/patient/age` as a JSON Pointer.
    package static func pointer(_ path: String) -> JSONPointer? {
        if path.hasPrefix("/") { return JSONPointer(path) }
        let tokens = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !tokens.contains(where: \.isEmpty) else { return nil }
        return JSONPointer(tokens: tokens)
    }
}
