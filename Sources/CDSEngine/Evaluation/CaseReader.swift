import CDSJSON
import CDSModuleAPI

/// One reason a case was refused: where (a JSON Pointer into the case) and why.
public typealias CaseIssue = PathIssue

/// The case was not valid; nothing was evaluated.
public struct CaseValidationError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, in path order.
    public var issues: [CaseIssue]

    /// A failure listing every issue found in the case, in the order they were found.
    public init(issues: [CaseIssue]) { self.issues = issues }

    /// Every issue, one per line.
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Turns case bytes or a JSON document into validated ``CaseFacts``: the whole document,
/// which the engine scopes to each module's `reads`. The engine knows no condition's case
/// model; condition libraries build theirs from the facts.
package struct CaseReader: Sendable {
    package let schema: JSONSchema
    package let parser: JSONParser

    package init(schema: JSONSchema, limits: JSONParser.Limits = .init(maxDepth: 32, maxBytes: 1 << 20)) {
        self.schema = schema
        self.parser = JSONParser(limits: limits)
    }

    /// Parses and validates case bytes.
    package func read(_ bytes: [UInt8]) throws(CaseValidationError) -> CaseFacts {
        let document: JSONValue
        do {
            document = try parser.parse(bytes)
        } catch {
            throw CaseValidationError(issues: [
                CaseIssue(path: .root, message: "invalid JSON at byte \(error.offset): \(error.message)", code: .invalidJSON)
            ])
        }
        return try read(document)
    }

    /// The problems of a case document; empty when it is valid.
    package func issues(in document: JSONValue) -> [CaseIssue] {
        schema.validate(document)
    }

    /// Validates a case document against the schema; the facts of the whole document.
    package func read(_ document: JSONValue) throws(CaseValidationError) -> CaseFacts {
        let problems = issues(in: document)
        guard problems.isEmpty else { throw CaseValidationError(issues: problems) }
        return CaseFacts(document: document, reads: [CaseFacts.wholeDocument])
    }
}

extension CaseFacts {
    /// The read that covers every fact (the JSON Pointer `""`), for the engine's own copy.
    package static let wholeDocument = FactPath(rawValue: "")
}
