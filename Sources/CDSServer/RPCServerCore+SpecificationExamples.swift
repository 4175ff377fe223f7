import CDSJSON

extension RPCServerCore {
    /// The methods used by the examples of the JSON-RPC 2.0 specification, registered only
    /// with `cds serve --jsonrpc-spec-examples`, so that the specification's exchanges can
    /// be replayed verbatim against the real framing, batching and error handling.
    static let specificationExampleMethods: [String: RPCMethod] = [
        "subtract": RPCMethod { _, params throws(RPCError) in
            switch params {
            case .array(let a)? where a.count == 2:
                return try difference(a[0], a[1])
            case .object(let o)?:
                guard let minuend = o["minuend"], let subtrahend = o["subtrahend"] else {
                    throw .invalidParams("expected minuend and subtrahend")
                }
                return try difference(minuend, subtrahend)
            default:
                throw .invalidParams("expected [minuend, subtrahend] or {minuend, subtrahend}")
            }
        },
        "sum": RPCMethod(acceptsNotifications: true) { _, params throws(RPCError) in
            guard case .array(let a)? = params else { throw .invalidParams("expected an array of integers") }
            var total: Int64 = 0
            for v in a {
                guard case .integer(let i) = v else { throw .invalidParams("expected integers") }
                total &+= i
            }
            return .integer(total)
        },
        "update": RPCMethod(acceptsNotifications: true) { _, _ throws(RPCError) in .null },
        "get_data": RPCMethod { _, _ throws(RPCError) in ["hello", 5] },
        "notify_hello": RPCMethod(acceptsNotifications: true) { _, _ throws(RPCError) in .null },
        "notify_sum": RPCMethod(acceptsNotifications: true) { _, _ throws(RPCError) in .null },
    ]

    private static func difference(_ a: JSONValue, _ b: JSONValue) throws(RPCError) -> JSONValue {
        guard case .integer(let x) = a, case .integer(let y) = b else { throw .invalidParams("expected integers") }
        return .integer(x &- y)
    }
}
