import CDSJSON

/// A JSON-RPC error object: code, message and optional data.
package struct RPCError: Error, Sendable, Hashable {
    package var code: Int64
    package var message: String
    package var data: JSONValue?

    package init(_ code: Int64, _ message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// The error member of a response.
    package var json: JSONValue {
        var o = JSONObject()
        o["code"] = .integer(code)
        o["message"] = .string(message)
        if let data { o["data"] = data }
        return .object(o)
    }

    // JSON-RPC 2.0 codes.
    package static func parseError(_ detail: String, offset: Int? = nil) -> RPCError {
        var data: JSONObject = ["detail": .string(detail)]
        if let offset { data["offset"] = .integer(Int64(offset)) }
        return RPCError(-32700, "Parse error", data: .object(data))
    }
    package static func invalidRequest(_ detail: String) -> RPCError {
        RPCError(-32600, "Invalid Request", data: ["detail": .string(detail)])
    }
    package static func methodNotFound(_ method: String) -> RPCError {
        RPCError(-32601, "Method not found", data: ["method": .string(method)])
    }
    package static func invalidParams(_ detail: String, errors: [(path: String, message: String)] = []) -> RPCError {
        var data: JSONObject = ["detail": .string(detail)]
        if !errors.isEmpty {
            data["errors"] = .array(errors.map { ["path": .string($0.path), "message": .string($0.message)] })
        }
        return RPCError(-32602, "Invalid params", data: .object(data))
    }
    package static func internalError(_ detail: String) -> RPCError {
        RPCError(-32603, "Internal error", data: ["detail": .string(detail)])
    }
    /// LSP's RequestCancelled.
    package static let requestCancelled = RPCError(-32800, "Request cancelled")

    // Application codes (-32000...-32099), documented in docs/protocol.md.
    package static let shuttingDown = RPCError(-32000, "Server is shutting down")
    package static let alreadyInitialized = RPCError(-32001, "Already initialized")
    package static func messageTooLarge(limit: Int) -> RPCError {
        RPCError(-32002, "Message too large", data: ["limitBytes": .integer(Int64(limit))])
    }
    /// FHIR input lacks facts a decision needs (the CDS Hooks "412" case): never guessed.
    package static func missingFacts(_ facts: [String], notes: [String]) -> RPCError {
        RPCError(-32004, "Facts missing", data: ["missing": .array(facts.map(JSONValue.string)), "notes": .array(notes.map(JSONValue.string))])
    }
    package static func unknownCard(_ uuid: String) -> RPCError {
        RPCError(-32005, "Unknown card", data: ["card": .string(uuid)])
    }
    package static func feedbackNotRecorded(_ detail: String) -> RPCError {
        RPCError(-32006, "Feedback not recorded", data: ["detail": .string(detail)])
    }
    package static func unknownEntry(_ id: String) -> RPCError {
        RPCError(-32003, "Unknown Catalog entry", data: ["id": .string(id)])
    }
}
