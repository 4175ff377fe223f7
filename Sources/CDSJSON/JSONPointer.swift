#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A JSON Pointer (RFC 6901): the path of a value inside a document, such as `/symptoms/0`.
///
/// Every error the product reports about JSON input carries one, so that an integrator
/// can find the offending value without guessing.
public struct JSONPointer: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The unescaped reference tokens, outermost first.
    public private(set) var tokens: [String]

    /// The pointer to the whole document (`""`).
    public static let root = JSONPointer(tokens: [])

    /// A pointer made of already unescaped tokens.
    public init(tokens: [String]) { self.tokens = tokens }

    /// Parses the RFC 6901 string form; `nil` when it is not a valid pointer.
    public init?(_ text: String) {
        if text.isEmpty {
            self.tokens = []
            return
        }
        guard text.utf8.first == UInt8(ascii: "/") else { return nil }
        var tokens: [String] = []
        if !text.utf8.contains(UInt8(ascii: "~")) {
            // No escapes (the usual case): the tokens are the text between slashes.
            var utf8 = Substring(text).utf8.dropFirst()
            while let slash = utf8.firstIndex(of: UInt8(ascii: "/")) {
                tokens.append(String(Substring(utf8[..<slash])))
                utf8 = utf8[utf8.index(after: slash)...]
            }
            tokens.append(String(Substring(utf8)))
            self.tokens = tokens
            return
        }
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var iterator = raw.makeIterator()
            while let c = iterator.next() {
                guard c == "~" else {
                    token.append(c)
                    continue
                }
                switch iterator.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: return nil
                }
            }
            tokens.append(token)
        }
        self.tokens = tokens
    }

    /// Whether `text` is a valid RFC 6901 pointer (empty, or `/` then tokens in which
    /// every `~` is followed by `0` or `1`), without building it.
    public static func isValid(_ text: String) -> Bool {
        // The usual case: no `~` at all, so only the leading `/` matters.
        if let plain = text.utf8.withContiguousStorageIfAvailable({ s in
            guard let base = s.baseAddress, !s.isEmpty else { return true }
            return s[0] == UInt8(ascii: "/") && memchr(base, 0x7E, s.count) == nil
        }), plain {
            return true
        }
        var utf8 = text.utf8.makeIterator()
        guard let first = utf8.next() else { return true }
        guard first == UInt8(ascii: "/") else { return false }
        while let b = utf8.next() {
            if b == UInt8(ascii: "~") {
                guard let next = utf8.next(), next == UInt8(ascii: "0") || next == UInt8(ascii: "1") else { return false }
            }
        }
        return true
    }

    /// This pointer extended by an object key.
    public func appending(_ key: String) -> JSONPointer {
        JSONPointer(tokens: tokens + [key])
    }

    /// This pointer extended by an array index.
    public func appending(index: Int) -> JSONPointer {
        JSONPointer(tokens: tokens + [String(index)])
    }

    /// Whether `self` equals `other` or lies inside it.
    public func isWithin(_ other: JSONPointer) -> Bool {
        tokens.count >= other.tokens.count && Array(tokens.prefix(other.tokens.count)) == other.tokens
    }

    /// The RFC 6901 string form, `~` and `/` escaped.
    public var description: String {
        tokens.map { "/" + $0.replacingAll("~", with: "~0").replacingAll("/", with: "~1") }.joined()
    }

    /// Orders pointers token by token (a pointer before the pointers below it).
    public static func < (lhs: JSONPointer, rhs: JSONPointer) -> Bool {
        lhs.tokens.lexicographicallyPrecedes(rhs.tokens)
    }

    /// The array index a token's bytes denote under RFC 6901 (digits, no leading zero).
    static func arrayIndex(utf8 token: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = token.first, token.count <= 18, token.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if first == 0x30 && token.count > 1 { return nil }
        return token.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// The array index a token denotes under RFC 6901 (digits, no leading zero), or `nil`.
    static func arrayIndex(_ token: String) -> Int? {
        guard let first = token.utf8.first, token.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if first == 0x30 && token.utf8.count > 1 { return nil }
        return Int(token)
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var result = ""
        for c in self {
            if c == target { result += replacement } else { result.append(c) }
        }
        return result
    }
}
