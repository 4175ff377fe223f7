import CDSJSON

/// One way an instance breaks its schema, or one problem in a schema document itself: a
/// ``PathIssue`` without a file (its path points into the instance, or into the schema for
/// a compile problem).
package typealias SchemaViolation = PathIssue

/// A schema document that cannot be used; every problem in it is listed, sorted.
package struct SchemaCompileError: Error, Sendable, CustomStringConvertible {
    /// Each problem, with its path inside the schema document.
    package var problems: [SchemaViolation]

    /// A compile error listing `problems`.
    package init(problems: [SchemaViolation]) {
        self.problems = problems
    }

    /// One problem per line.
    package var description: String { problems.map(\.description).joined(separator: "\n") }
}
