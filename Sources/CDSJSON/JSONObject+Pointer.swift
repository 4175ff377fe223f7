extension JSONObject {
    /// Setting a value below a member that is not an object.
    public struct PathConflict: Error, Sendable, Hashable, CustomStringConvertible {
        /// The member on the way that is not an object.
        public var key: String
        /// Its JSON type.
        public var found: String
        /// Names the member and the JSON type found there.
        public var description: String { "\(key) is \(found), not an object" }
    }

    /// A copy with `value` at `pointer` (objects created on the way), or without the member
    /// when `value` is nil (objects left empty by the removal are removed too).
    public func setting(_ value: JSONValue?, at pointer: JSONPointer) throws(PathConflict) -> JSONObject {
        try Self.setting(value, at: pointer.tokens[...], in: self)
    }

    private static func setting(_ value: JSONValue?, at tokens: ArraySlice<String>, in object: JSONObject) throws(PathConflict)
        -> JSONObject
    {
        var object = object
        guard let key = tokens.first else { return object }
        if tokens.count == 1 {
            object[key] = value
            return object
        }
        let child: JSONObject
        switch object[key] {
        case nil:
            guard value != nil else { return object }
            child = JSONObject()
        case .object(let o)?:
            child = o
        case let other?:
            throw PathConflict(key: key, found: other.typeName)
        }
        let updated = try setting(value, at: tokens.dropFirst(), in: child)
        object[key] = updated.isEmpty && value == nil ? nil : .object(updated)
        return object
    }
}
