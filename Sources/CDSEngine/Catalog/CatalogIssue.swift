import CDSJSON

/// One problem found in the Catalog: the file, the JSON path inside it, and what is wrong.
public struct CatalogIssue: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The file, relative to the Catalog directory.
    public var file: String
    /// Where in the file (`/` for the whole document).
    public var path: JSONPointer
    /// What is wrong and what was expected.
    public var message: String

    /// An issue.
    public init(file: String, path: JSONPointer, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    /// `file: json-path: message`.
    public var description: String {
        "\(file): \(path.tokens.isEmpty ? "/" : path.description): \(message)"
    }

    /// Orders issues by file, then JSON path, then message, so that reports are deterministic.
    public static func < (lhs: CatalogIssue, rhs: CatalogIssue) -> Bool {
        (lhs.file, lhs.path, lhs.message) < (rhs.file, rhs.path, rhs.message)
    }
}

/// The Catalog could not be loaded; nothing of it was loaded.
public struct CatalogLoadError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, sorted by file, path and message.
    public var issues: [CatalogIssue]

    /// An error listing `issues`.
    public init(issues: [CatalogIssue]) { self.issues = issues.sorted() }

    /// One issue per line.
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
