import CDSJSON

/// One (sub)schema of a compiled ``JSONSchema``, as declared: what tools that describe the
/// document read (the REPL's field list, the Catalog's vocabulary checks, the adapters'
/// and the registry's "does this JSON Pointer name a declared field").
///
/// The same compilation that validates documents answers these, so a description never
/// drifts from what is enforced.
package struct SchemaElement: Sendable {
    let schema: JSONSchema
    let id: SchemaNode.ID

    private var outline: SchemaOutline { schema.nodes[id].outline }

    /// The schema's `description`.
    package var description: String? { outline.description }
    /// The `type` names, in the order written (empty when unstated).
    package var types: [String] { outline.typeNames }
    /// The `enum` values.
    package var enumValues: [JSONValue]? { outline.enumValues }
    /// The `const` value.
    package var constValue: JSONValue? { outline.constValue }
    /// The `minimum` and `maximum` as written.
    package var minimum: JSONValue? { outline.minimum }
    package var maximum: JSONValue? { outline.maximum }
    /// The `format`.
    package var format: String? { outline.format }
    /// The `required` member names.
    package var required: [String] { outline.required }
    /// Whether the schema has a `properties` keyword.
    package var declaresProperties: Bool { outline.properties != nil }
    /// The declared properties, in document order.
    package var properties: [(name: String, element: SchemaElement)] {
        (outline.properties ?? []).map { ($0.name, SchemaElement(schema: schema, id: $0.node)) }
    }
    /// The declared property `name`.
    package func property(_ name: String) -> SchemaElement? {
        outline.properties?.first { $0.name == name }.map { SchemaElement(schema: schema, id: $0.node) }
    }
    /// The `items` schema.
    package var items: SchemaElement? { outline.items.map { SchemaElement(schema: schema, id: $0) } }
    /// The schema a `$ref` leads to (following a chain of them), or this one.
    package var resolved: SchemaElement {
        var current = self
        var seen: Set<SchemaNode.ID> = [id]
        while let next = current.outline.reference, seen.insert(next).inserted { current = SchemaElement(schema: schema, id: next) }
        return current
    }
}

extension JSONSchema {
    /// The root schema, as declared.
    package var root: SchemaElement { SchemaElement(schema: self, id: 0) }

    /// The schema of the field a JSON Pointer names, descending through declared
    /// `properties` (following `$ref`s), or `nil` when some token is not declared.
    package func element(at pointer: JSONPointer) -> SchemaElement? {
        var current = root
        for token in pointer.tokens {
            guard let next = current.resolved.property(token) else { return nil }
            current = next
        }
        return current
    }

    /// Whether a JSON Pointer names a field the schema declares.
    package func declares(_ pointer: JSONPointer) -> Bool { element(at: pointer) != nil }
}

extension JSONSchema {
    /// Whether a JSON Pointer may name a field of a valid document: it is declared, or it
    /// lies below a declared field whose schema leaves its members open (declares no
    /// `properties`, such as `/extensions` without pack extensions).
    package func admits(_ pointer: JSONPointer) -> Bool {
        var current = root
        for token in pointer.tokens {
            let r = current.resolved
            if !r.declaresProperties { return true }
            guard let next = r.property(token) else { return false }
            current = next
        }
        return true
    }
}
