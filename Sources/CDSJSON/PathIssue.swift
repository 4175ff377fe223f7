/// One problem at a place in a JSON document: a schema violation, a Catalog or pack issue,
/// a module manifest problem. `file: path: message`, with a code for callers that must tell
/// kinds apart (no caller reads the English message to find out what went wrong).
///
/// Issues order by file (none first), then path (tokens that are array indices compare
/// as numbers, so `/items/2` comes before `/items/10`, and before any other token; other
/// tokens compare as strings), then message.
public struct PathIssue: Error, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The file, relative to what was loaded (a Catalog or pack directory), if the document
    /// came from one.
    public var file: String?
    /// Where in the document (the root for the whole document).
    public var path: JSONPointer
    /// What is wrong and what was expected.
    public var message: String
    /// What kind of problem it is.
    public var code: IssueCode
    /// For ``IssueCode/missingRequired`` and ``IssueCode/unknownMember``: the member's name
    /// (a missing member's issue sits at its object's path).
    public var member: String?

    /// An issue at `path`.
    public init(file: String? = nil, path: JSONPointer, message: String, code: IssueCode = .invalid, member: String? = nil) {
        self.file = file
        self.path = path
        self.message = message
        self.code = code
        self.member = member
    }

    /// An issue at the JSON Pointer `path` (text such as `/modules/0`; `""` for the root; text
    /// that is not a pointer is kept as one token).
    public init(file: String? = nil, path: String, message: String, code: IssueCode = .invalid, member: String? = nil) {
        self.init(file: file, path: JSONPointer(path) ?? JSONPointer(tokens: [path]), message: message, code: code, member: member)
    }

    /// `file: path: message` (without `file: ` when there is none), `/` for the whole document.
    public var description: String {
        let place = path.tokens.isEmpty ? "/" : path.description
        return file.map { "\($0): \(place): \(message)" } ?? "\(place): \(message)"
    }

    /// File order (none first), path order (indices numerically), then message order.
    public static func < (lhs: PathIssue, rhs: PathIssue) -> Bool {
        if lhs.file != rhs.file { return (lhs.file ?? "") < (rhs.file ?? "") || lhs.file == nil }
        for (a, b) in zip(lhs.path.tokens, rhs.path.tokens) where a != b {
            return tokenPrecedes(a, b)
        }
        if lhs.path.tokens.count != rhs.path.tokens.count {
            return lhs.path.tokens.count < rhs.path.tokens.count
        }
        return lhs.message < rhs.message
    }

    /// Index tokens (digits without a leading zero) first, by value; then the rest as strings.
    private static func tokenPrecedes(_ a: String, _ b: String) -> Bool {
        switch (arrayIndex(a), arrayIndex(b)) {
        case (let x?, let y?): x < y
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): a < b
        }
    }

    /// The array index a token denotes under RFC 6901, or `nil`.
    private static func arrayIndex(_ token: String) -> Int? {
        guard let first = token.utf8.first, token.utf8.count <= 18,
            token.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        if first == UInt8(ascii: "0") && token.utf8.count > 1 { return nil }
        return Int(token)
    }
}

/// What kind of problem a ``PathIssue`` is. Callers compare codes, never messages; new
/// codes may be added (a code is a string, not a closed enumeration).
public struct IssueCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The code's name, such as `missing-required`.
    public var rawValue: String

    /// A code by name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A required member is absent (``PathIssue/member`` names it).
    public static let missingRequired = IssueCode(rawValue: "missing-required")
    /// A member that is not allowed there (``PathIssue/member`` names it).
    public static let unknownMember = IssueCode(rawValue: "unknown-member")
    /// A value of the wrong JSON type.
    public static let typeMismatch = IssueCode(rawValue: "type-mismatch")
    /// A value of the right type that breaks a constraint (range, pattern, enumeration,
    /// format, count, uniqueness, combinator), or any other invalid content.
    public static let invalid = IssueCode(rawValue: "invalid")
    /// A reference (to a source, evidence record, schema definition, file ...) that does
    /// not resolve.
    public static let unresolvedReference = IssueCode(rawValue: "unresolved-reference")
    /// An id or entry defined twice.
    public static let duplicate = IssueCode(rawValue: "duplicate")
    /// Two knowledge packs define the same thing (an id, a namespace, a case-schema member).
    public static let conflict = IssueCode(rawValue: "conflict")
    /// The bytes are not JSON.
    public static let invalidJSON = IssueCode(rawValue: "invalid-json")
    /// The file cannot be read.
    public static let unreadable = IssueCode(rawValue: "unreadable")

    /// The code's name.
    public var description: String { rawValue }
}
