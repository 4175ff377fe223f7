import CDSJSON
import CDSModuleAPI

/// One reason a case was refused: where (a JSON Pointer into the case) and why.
public typealias CaseIssue = PathIssue

/// The case was not valid; nothing was evaluated.
public struct CaseValidationError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, in path order.
    public var issues: [CaseIssue]

    public init(issues: [CaseIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Turns case bytes or a JSON document into a validated ``ClinicalCase``.
package struct CaseReader: Sendable {
    package let schema: JSONSchema
    package let parser: JSONParser

    package init(schema: JSONSchema, limits: JSONParser.Limits = .init(maxDepth: 32, maxBytes: 1 << 20)) {
        self.schema = schema
        self.parser = JSONParser(limits: limits)
    }

    /// Parses and validates case bytes.
    package func read(_ bytes: [UInt8]) throws(CaseValidationError) -> ClinicalCase {
        let document: JSONValue
        do {
            document = try parser.parse(bytes)
        } catch {
            throw CaseValidationError(issues: [CaseIssue(path: .root, message: "invalid JSON at byte \(error.offset): \(error.message)", code: .invalidJSON)])
        }
        return try read(document)
    }

    /// The problems of a case document; empty when it is valid.
    package func issues(in document: JSONValue) -> [CaseIssue] {
        schema.validate(document)
    }

    /// Validates a case document against the schema and builds the typed case.
    package func read(_ document: JSONValue) throws(CaseValidationError) -> ClinicalCase {
        let problems = issues(in: document)
        guard problems.isEmpty else { throw CaseValidationError(issues: problems) }
        // The schema guarantees every shape below; a mismatch is a schema/reader drift and
        // is reported as an error rather than trapping.
        guard let c = ClinicalCase(document: document) else {
            throw CaseValidationError(issues: [CaseIssue(path: .root, message: "case passed the schema but does not match the engine's case model (schema and engine out of step)")])
        }
        return c
    }
}
