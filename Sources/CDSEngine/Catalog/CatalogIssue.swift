import CDSJSON

/// One problem found in the Catalog: the file, the JSON path inside it, what is wrong and
/// its ``IssueCode`` (`file: json-path: message`).
public typealias CatalogIssue = PathIssue

/// The Catalog could not be loaded; nothing of it was loaded.
public struct CatalogLoadError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, sorted by file, path and message.
    public var issues: [CatalogIssue]

    /// An error listing `issues`.
    public init(issues: [CatalogIssue]) { self.issues = issues.sorted() }

    /// One issue per line.
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
