import CDSJSON

/// One way an instance breaks its schema, or one problem in a schema document itself.
///
/// Violations order by path, then by message. Path tokens that are array indices compare
/// as numbers (so `/items/2` comes before `/items/10`) and before any other token; other
/// tokens compare as strings.
package struct SchemaViolation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Where: a JSON Pointer into the instance (or into the schema, for a compile problem).
    package var path: JSONPointer
    /// What was expected and what was found.
    package var message: String

    /// A violation at `path`.
    package init(path: JSONPointer, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, with `/` standing for the whole document.
    package var description: String {
        "\(path.description.isEmpty ? "/" : path.description): \(message)"
    }

    /// Path order (indices numerically), then message order.
    package static func < (lhs: SchemaViolation, rhs: SchemaViolation) -> Bool {
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
        guard let first = token.utf8.first, token.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        if first == UInt8(ascii: "0") && token.utf8.count > 1 { return nil }
        return Int(token)
    }
}

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
