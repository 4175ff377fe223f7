import CDSJSON

/// Path-aware reading of by-name params, with JSON-RPC's -32602 on every misuse.
struct Params {
    let object: JSONObject

    /// The params object; `allowed` lists the accepted members, `required` those that must be present.
    /// Lists, not sets: a handful of names searched in order costs less than building a set
    /// and hashing every member's name, on every request.
    init(_ params: JSONValue?, allowed: [String], required: [String] = []) throws(RPCError) {
        switch params {
        case nil:
            object = JSONObject()
        case .object(let o)?:
            object = o
        case .array?:
            throw .invalidParams("params must be an object with named members (\(allowed.sorted().joined(separator: ", ")))")
        case let other?:
            throw .invalidParams("params must be an object, found \(other.typeName)")
        }
        for key in object.orderedKeys where !allowed.contains(key) {
            throw .invalidParams("unknown member \"\(key)\" (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        for key in required.sorted() where object[key] == nil {
            throw .invalidParams("missing required member \"\(key)\"")
        }
    }

    subscript(_ key: String) -> JSONValue? { object[key] }

    func string(_ key: String) throws(RPCError) -> String? {
        guard let v = object[key] else { return nil }
        guard case .string(let s) = v else { throw .invalidParams("\"\(key)\" must be a string, found \(v.typeName)") }
        return s
    }

    func bool(_ key: String) throws(RPCError) -> Bool? {
        guard let v = object[key] else { return nil }
        guard case .bool(let b) = v else { throw .invalidParams("\"\(key)\" must be a boolean, found \(v.typeName)") }
        return b
    }
}
