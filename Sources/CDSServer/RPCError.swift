import CDSEngine
import CDSInterop
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
    /// A CDS Hooks request lacks prefetch data the service asked for (the CDS Hooks "412"
    /// case): never guessed, never fetched.
    package static func missingPrefetch(_ keys: [String], notes: [String]) -> RPCError {
        RPCError(
            -32004, "Prefetch missing", data: ["missing": .array(keys.map(JSONValue.string)), "notes": .array(notes.map(JSONValue.string))])
    }
    package static func unknownCard(_ uuid: String) -> RPCError {
        RPCError(-32005, "Unknown card", data: ["card": .string(uuid)])
    }
    package static func feedbackNotRecorded(_ detail: String) -> RPCError {
        RPCError(-32006, "Feedback not recorded", data: ["detail": .string(detail)])
    }
    /// The error for input that could not become a case: -32602 for an invalid case or
    /// input that is not one patient's record (`data` names the patients), -32004 for
    /// missing prefetch.
    package init(_ error: InputError) {
        if let problem = error.identityProblem {
            var data = problem.data
            data["detail"] = .string(problem.message)
            self.init(-32602, "Invalid params", data: .object(data))
        } else if !error.missingPrefetch.isEmpty {
            self = .missingPrefetch(error.missingPrefetch, notes: error.report?.notes ?? [])
        } else {
            self = .invalidParams(
                "the case is invalid",
                errors: error.issues.map { (path: $0.path.tokens.isEmpty ? "" : $0.path.description, message: $0.message) })
        }
    }
    package static func unknownEntry(_ id: String) -> RPCError {
        RPCError(-32003, "Unknown Catalog entry", data: ["id": .string(id)])
    }
}
