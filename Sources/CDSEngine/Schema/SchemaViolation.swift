import CDSJSON

/// One way an instance breaks its schema, or one problem in a schema itself.
package struct SchemaViolation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Where: a JSON Pointer into the instance (or into the schema, for compile problems).
    package var path: JSONPointer
    /// What was expected and what was found.
    package var message: String

    package init(path: JSONPointer, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, with `/` for the document itself.
    package var description: String { "\(path.tokens.isEmpty ? "/" : path.description): \(message)" }

    package static func < (lhs: SchemaViolation, rhs: SchemaViolation) -> Bool {
        (lhs.path, lhs.message) < (rhs.path, rhs.message)
    }
}

/// A schema document that cannot be used; every problem is listed.
package struct SchemaCompileError: Error, Sendable, CustomStringConvertible {
    package var problems: [SchemaViolation]
    package var description: String { problems.map(\.description).joined(separator: "\n") }
}
