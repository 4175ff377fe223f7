import CDSJSON

/// One JSON-RPC message as the server understood it.
package enum RPCMessage: Sendable {
    /// A call expecting a response.
    case request(id: JSONValue, method: String, params: JSONValue?)
    /// A call expecting none.
    case notification(method: String, params: JSONValue?)
    /// A response object sent to the server; it is never answered.
    case response
    /// Not a valid Request object: answered with the error (`id` null unless one was readable).
    case invalid(RPCError, id: JSONValue)

    /// Classifies one element (a batch member or a whole message).
    package init(_ value: JSONValue) {
        guard case .object(let o) = value else {
            self = .invalid(.invalidRequest("a request must be an object, found \(value.typeName)"), id: .null)
            return
        }
        let id = o["id"]
        if let id, !Self.isValidID(id) {
            self = .invalid(.invalidRequest("\"id\" must be a string, a number or null, found \(id.typeName)"), id: .null)
            return
        }
        if o["method"] == nil && (o["result"] != nil || o["error"] != nil) {
            self = .response
            return
        }
        guard o["jsonrpc"] == .string("2.0") else {
            self = .invalid(.invalidRequest("\"jsonrpc\" must be exactly \"2.0\""), id: id ?? .null)
            return
        }
        guard case .string(let method)? = o["method"] else {
            self = .invalid(.invalidRequest("\"method\" must be a string"), id: id ?? .null)
            return
        }
        let params = o["params"]
        if let params {
            switch params {
            case .object, .array: break
            default:
                self = .invalid(.invalidRequest("\"params\" must be an object or an array, found \(params.typeName)"), id: id ?? .null)
                return
            }
        }
        if let id {
            self = .request(id: id, method: method, params: params)
        } else {
            self = .notification(method: method, params: params)
        }
    }

    static func isValidID(_ id: JSONValue) -> Bool {
        switch id {
        case .string, .integer, .unsigned, .double, .null: true
        default: false
        }
    }

    /// An error response's value.
    package static func response(id: JSONValue, error: RPCError) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": error.json]
    }
}
