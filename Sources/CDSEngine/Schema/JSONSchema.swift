import CDSJSON

/// A compiled JSON Schema (a subset of draft 2020-12), for validating case documents.
///
/// The schema document is compiled once, into nodes whose keywords are ready to run
/// (property lookup tables, `enum` sets, regexes, message text), so validating an
/// instance never re-reads the schema's JSON. A compiled schema is immutable and can be
/// shared between concurrent requests.
///
/// Supported keywords:
/// - `$ref` to a location in the same document (`#`, `#/$defs/name`, any `#/…` pointer);
///   recursive schemas work, a chain that reapplies itself to the same value is refused;
/// - `type` (a name or an array of names), `enum`, `const`;
/// - `properties`, `required`, `additionalProperties`, `minProperties`, `maxProperties`;
/// - `items` (one schema), `minItems`, `maxItems`, `uniqueItems`;
/// - `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`;
/// - `minLength`, `maxLength` (in code points), `pattern`, `format: "date"`;
/// - `allOf`, `anyOf`, `oneOf`, `not`, `if` / `then` / `else`;
/// - annotations, ignored: `$schema` (must name draft 2020-12), `$id` (root only),
///   `$comment`, `title`, `description`, `examples`, `default`, `deprecated`, `readOnly`,
///   `writeOnly`, and `$defs` (whose schemas are compiled, and checked, too).
///
/// Any other keyword, and any other `format`, is a compile error, so that a schema never
/// carries a constraint that is silently not enforced.
package struct JSONSchema: Sendable {
    /// The compiled schemas; node 0 is the document's root schema.
    let nodes: [SchemaNode]

    /// Compiles a schema document.
    ///
    /// - Throws: ``SchemaCompileError`` listing every problem, each with its path inside
    ///   the schema: an unsupported keyword or format, a keyword value of the wrong type, a
    ///   `$ref` that does not resolve, an invalid regular expression, a `$ref` cycle.
    package init(_ document: JSONValue) throws(SchemaCompileError) {
        var compiler = SchemaCompiler(document: document)
        switch compiler.compile() {
        case .success(let nodes): self.nodes = nodes
        case .failure(let error): throw error
        }
    }
}
