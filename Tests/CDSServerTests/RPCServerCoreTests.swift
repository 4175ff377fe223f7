import CDSBuiltins
import CDSEngine
import CDSJSON
import CDSModuleAPI
import CDSServer
import CDSTestSupport
import Foundation
import Testing

enum Fixture {
    static var root: String { TestRepository.root }
    static var engine: Engine { TestRepository.engine }

    static func core(examples: Bool = false) -> RPCServerCore {
        var configuration = ServerConfiguration()
        configuration.specificationExamples = examples
        return RPCServerCore(engine: engine, configuration: configuration)
    }

    static func caseText(_ name: String) -> String { (try? TestRepository.vignette(name)) ?? "" }
}

/// Compares replies as JSON values (member order and spacing aside).
func json(_ text: String?) -> JSONValue? {
    text.flatMap { try? JSONParser().parse($0) }
}

func json(_ bytes: [UInt8]?) -> JSONValue? {
    bytes.flatMap { try? JSONParser().parse($0) }
}

@Suite("JSON-RPC 2.0 specification examples, replayed as written")
struct SpecificationExampleTests {
    /// Request text and the response the specification shows (nil: no response).
    static let examples: [(String, String?)] = [
        (#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#, #"{"jsonrpc": "2.0", "result": 19, "id": 1}"#),
        (#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#, #"{"jsonrpc": "2.0", "result": -19, "id": 2}"#),
        (
            #"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#,
            #"{"jsonrpc": "2.0", "result": 19, "id": 3}"#
        ),
        (
            #"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#,
            #"{"jsonrpc": "2.0", "result": 19, "id": 4}"#
        ),
        (#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#, nil),
        (#"{"jsonrpc": "2.0", "method": "foobar"}"#, nil),
        (
            #"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#,
            #"{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}"#
        ),
        (
            #"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#,
            #"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#
        ),
        (
            #"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
            #"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#
        ),
        (
            #"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method""#,
            #"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#
        ),
        ("[]", #"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#),
        ("[1]", #"[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]"#),
        (
            "[1,2,3]",
            #"[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]"#
        ),
        (
            #"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},{"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},{"foo": "boo"},{"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},{"jsonrpc": "2.0", "method": "get_data", "id": "9"}]"#,
            #"[{"jsonrpc": "2.0", "result": 7, "id": "1"},{"jsonrpc": "2.0", "result": 19, "id": "2"},{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},{"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}]"#
        ),
        (
            #"[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]"#,
            nil
        ),
    ]

    /// The specification's responses omit `data`; ours add it. Compare without it.
    static func withoutErrorData(_ v: JSONValue?) -> JSONValue? {
        switch v {
        case .array(let a)?: return .array(a.compactMap { withoutErrorData($0) })
        case .object(var o)?:
            if case .object(var e)? = o["error"] {
                e["data"] = nil
                o["error"] = .object(e)
            }
            return .object(o)
        default: return v
        }
    }

    @Test(arguments: 0..<examples.count)
    func exampleExchange(index: Int) {
        let (request, expected) = Self.examples[index]
        let reply = Fixture.core(examples: true).handle(request)
        if let expected {
            #expect(Self.withoutErrorData(json(reply)) == json(expected), "\(request)")
        } else {
            #expect(reply == nil, "a notification was answered: \(reply ?? "")")
        }
    }
}

@Suite("JSON-RPC server core")
struct RPCServerCoreTests {
    @Test(arguments: [
        #""abc""#, "9007199254740993", "-9223372036854775808", "1.5", "null", "0", #""""#, #""é😀""#,
        "9223372036854775807", "9223372036854775808", "18446744073709551615",
    ])
    func idsEchoWithTheirExactTypeAndValue(id: String) throws {
        let reply = try #require(Fixture.core().handle(#"{"jsonrpc":"2.0","method":"ping","id":"# + id + "}"))
        let expectedID = try JSONParser().parse(id)
        #expect(json(reply)?["id"] == expectedID)
        #expect(reply.contains("\"id\":" + expectedID.serialized()))
    }

    @Test(arguments: ["{}", "[]", "true", #"{"a":1}"#])
    func structuredOrBooleanIDsAreInvalidRequests(id: String) throws {
        let reply = json(Fixture.core().handle(#"{"jsonrpc":"2.0","method":"ping","id":"# + id + "}"))
        #expect(reply?["id"] == .null)
        #expect(reply?["error"]?["code"] == .integer(-32600))
    }

    @Test func notificationsAreNeverAnsweredEvenOnError() {
        let core = Fixture.core()
        #expect(core.handle(#"{"jsonrpc":"2.0","method":"no/such/method"}"#) == nil)
        #expect(core.handle(#"{"jsonrpc":"2.0","method":"case/evaluate","params":{"case":{}}}"#) == nil)
        #expect(core.handle(#"[{"jsonrpc":"2.0","method":"ping"},{"jsonrpc":"2.0","method":"nope"}]"#) == nil)
    }

    @Test func responseObjectsAreNeverAnswered() {
        let core = Fixture.core()
        #expect(core.handle(#"{"jsonrpc":"2.0","id":1,"result":{}}"#) == nil)
        #expect(core.handle(#"{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}"#) == nil)
        #expect(core.handle(#"[{"jsonrpc":"2.0","id":1,"result":5}]"#) == nil)
    }

    @Test(arguments: [
        ("NaN", -32700), ("{\"a\":1,}", -32700), ("{'a':1}", -32700), ("{} {}", -32700), ("{\"a\":\"\u{01}\"}", -32700),
        ("1", -32600), ("\"text\"", -32600), ("null", -32600), ("true", -32600),
        (#"{"jsonrpc":"1.0","method":"ping","id":1}"#, -32600), (#"{"method":"ping","id":1}"#, -32600),
        (#"{"jsonrpc":"2.0","method":"ping","params":3,"id":1}"#, -32600),
        (#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#, -32601),
        (#"{"jsonrpc":"2.0","method":"ping","params":{"x":1},"id":1}"#, -32602),
    ])
    func malformedMessagesGetThePreciseError(message: String, code: Int) throws {
        let reply = try #require(json(Fixture.core().handle(message)))
        #expect(reply["error"]?["code"] == .integer(Int64(code)), "\(message)")
        #expect(reply["jsonrpc"] == "2.0")
    }

    @Test func invalidUTF8AndNULAreParseErrors() throws {
        let core = Fixture.core()
        for bytes: [UInt8] in [[0x7B, 0x22, 0xC0, 0x80, 0x22, 0x3A, 0x31, 0x7D], [0x7B, 0x00, 0x7D]] {
            let reply = try #require(core.prepare(.line(bytes)).flatMap { core.execute($0) })
            #expect(json(reply)?["error"]?["code"] == .integer(-32700))
            #expect(json(reply)?["id"] == .null)
        }
    }

    @Test func blankLinesAreIgnored() {
        #expect(Fixture.core().prepare(.line([])) == nil)
        #expect(Fixture.core().prepare(.line(Array("  \t ".utf8))) == nil)
    }

    @Test func initializeWorksOnceAndIsNotRequired() throws {
        let core = Fixture.core()
        #expect(json(core.handle(#"{"jsonrpc":"2.0","method":"ping","id":0}"#))?["result"] == [:])
        let first = try #require(json(core.handle(#"{"jsonrpc":"2.0","method":"initialize","id":1,"params":{"clientInfo":{"name":"t"}}}"#)))
        #expect(first["result"]?["serverInfo"]?["name"] == "cds")
        #expect(first["result"]?["catalog"]?["version"] == "1.0.0")
        #expect(first["result"]?["modules"]?.arrayValue?.count == 7)
        let second = try #require(json(core.handle(#"{"jsonrpc":"2.0","method":"initialize","id":2}"#)))
        #expect(second["error"]?["code"] == .integer(-32001))
    }

    @Test func shutdownThenRequestsFailAndExitEndsCleanly() throws {
        let core = Fixture.core()
        #expect(json(core.handle(#"{"jsonrpc":"2.0","method":"shutdown","id":1}"#))?["result"] == .null)
        #expect(json(core.handle(#"{"jsonrpc":"2.0","method":"ping","id":2}"#))?["error"]?["code"] == .integer(-32000))
        #expect(core.lifecycle == .running)
        #expect(core.handle(#"{"jsonrpc":"2.0","method":"exit"}"#) == nil)
        #expect(core.lifecycle == .exit(0))
    }

    @Test func exitWithoutShutdownEndsWithStatus1() {
        let core = Fixture.core()
        _ = core.handle(#"{"jsonrpc":"2.0","method":"exit"}"#)
        #expect(core.lifecycle == .exit(1))
    }

    @Test(arguments: [
        #"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}"#,
        #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user"}}"#,
    ])
    func aCancelledPendingRequestGetsExactlyOneCancelledReply(cancel: String) throws {
        let core = Fixture.core()
        let pending = try #require(core.prepare(.line(Array(#"{"jsonrpc":"2.0","method":"ping","id":7}"#.utf8))))
        #expect(core.prepare(.line(Array(cancel.utf8))).flatMap { core.execute($0) } == nil)
        let reply = try #require(json(core.execute(pending)))
        #expect(reply["error"]?["code"] == .integer(-32800))
        #expect(reply["id"] == .integer(7))
        // The same id later is not cancelled again, and a cancel for a finished request is a no-op.
        #expect(json(core.handle(#"{"jsonrpc":"2.0","method":"ping","id":7}"#))?["result"] == [:])
        _ = core.handle(cancel)
        #expect(json(core.handle(#"{"jsonrpc":"2.0","method":"ping","id":7}"#))?["result"] == [:])
    }

    @Test func evaluateReturnsThePlanWithAnOptionalExplanation() throws {
        let core = Fixture.core()
        let c = Fixture.caseText("09-escalation-at-4-months")
        let reply = try #require(
            json(
                core.handle(#"{"jsonrpc":"2.0","method":"case/evaluate","id":1,"params":{"case":"# + c + #","options":{"explain":true}}}"#))
        )
        let result = try #require(reply["result"])
        #expect(result["planFormat"] == .integer(1))
        #expect(result["explanation"]?.stringValue?.hasPrefix("Plan for case 09-escalation-at-4-months") == true)
        var withoutExplanation = try #require(result.objectValue)
        withoutExplanation["explanation"] = nil
        let golden = try JSONParser().parse(
            try String(contentsOfFile: Fixture.root + "/Tests/Vignettes/09-escalation-at-4-months.plan.json", encoding: .utf8))
        #expect(JSONValue.object(withoutExplanation) == golden, "the server returns the same plan as cds evaluate")
    }

    @Test func anInvalidCaseIsInvalidParamsWithEveryPath() throws {
        let reply = try #require(
            json(
                Fixture.core().handle(
                    #"{"jsonrpc":"2.0","method":"case/evaluate","id":1,"params":{"case":{"schemaVersion":1,"patient":{"age":"x","sex":"female"}}}}"#
                )))
        #expect(reply["error"]?["code"] == .integer(-32602))
        let errors = try #require(reply["error"]?["data"]?["errors"]?.arrayValue)
        #expect(errors.contains { $0["path"] == "/patient/age" })
        #expect(errors.contains { $0["path"] == "" && ($0["message"]?.stringValue ?? "").contains("symptoms") })
    }

    @Test func validateReportsWithoutEvaluating() throws {
        let core = Fixture.core()
        let ok = try #require(
            json(
                core.handle(
                    #"{"jsonrpc":"2.0","method":"case/validate","id":1,"params":{"case":"# + Fixture.caseText("01-new-patient") + "}}")))
        #expect(ok["result"] == ["valid": true, "errors": []])
        let bad = try #require(json(core.handle(#"{"jsonrpc":"2.0","method":"case/validate","id":2,"params":{"case":[]}}"#)))
        #expect(bad["result"]?["valid"] == false)
        #expect(bad["result"]?["errors"] == [["path": "", "message": "expected object, found array"]])
    }

    @Test func catalogMethods() throws {
        let core = Fixture.core()
        let list = try #require(json(core.handle(#"{"jsonrpc":"2.0","method":"catalog/list","id":1}"#)))
        #expect(list["result"]?["recommendations"]?.arrayValue?.count == 23)
        let entry = try #require(
            json(core.handle(#"{"jsonrpc":"2.0","method":"catalog/get","id":2,"params":{"id":"initial.cryotherapy"}}"#)))
        #expect(entry["result"]?["dosage"]?["parameters"]?["durationMinutes"] == .integer(10))
        #expect(entry["result"]?["evidenceRecords"]?.arrayValue?.first?["id"] == "seed-ref-3")
        let missing = try #require(json(core.handle(#"{"jsonrpc":"2.0","method":"catalog/get","id":3,"params":{"id":"x"}}"#)))
        #expect(missing["error"]?["code"] == .integer(-32003))
        let modules = try #require(json(core.handle(#"{"jsonrpc":"2.0","method":"modules/list","id":4}"#)))
        #expect(
            modules["result"]?["modules"]?.arrayValue?.map { $0["id"] } == [
                "escalation", "exercise-progression", "monitoring", "population", "post-arthroplasty", "safety-screening", "symptoms",
            ])
    }

    @Test func batchesMixRequestsNotificationsAndErrorsInOrder() throws {
        let reply = try #require(
            json(
                Fixture.core().handle(
                    #"[{"jsonrpc":"2.0","method":"ping","id":"a"},{"jsonrpc":"2.0","method":"ping"},5,{"jsonrpc":"2.0","method":"nope","id":"b"}]"#
                )))
        #expect(reply.arrayValue?.map { $0["id"] } == ["a", .null, "b"])
    }

    /// A batch's `case/evaluate` members go to the lanes 16 per lane at a time (two lanes:
    /// 32 and then the rest), and the batch reply is the members' single replies, in order,
    /// byte for byte, whatever the windows.
    @Test func batchMembersAreComputedAWindowAtATimeAndAnsweredInOrder() throws {
        var configuration = ServerConfiguration()
        configuration.workers = 2
        let core = RPCServerCore(engine: Fixture.engine, configuration: configuration)
        let caseText = Fixture.caseText("09-escalation-at-4-months")
        let members = (0..<40).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"case/evaluate","params":{"case":\#(caseText)}}"# }
        let handOffs = Locked<[Int]>([])
        let job = try #require(core.prepare(.line(Array(("[" + members.joined(separator: ",") + "]").utf8))))
        let batch = try #require(
            core.execute(
                job,
                parallel: { works in
                    handOffs.withLock { $0.append(works.count) }
                    return works.map { $0() }
                }))
        #expect(handOffs.withLock { $0 } == [32, 8])
        let singles = members.compactMap { core.handle($0) }
        #expect(String(decoding: batch, as: UTF8.self) == "[" + singles.joined(separator: ",") + "]")
    }

    @Test func tooLongAndTooDeepMessagesAreRefusedWithoutCrashing() throws {
        let core = Fixture.core()
        let long = try #require(core.prepare(.tooLong(limit: 4096)).flatMap { core.execute($0) })
        #expect(json(long)?["error"]?["code"] == .integer(-32002))
        let deep = String(repeating: "[", count: 100_000)
        #expect(json(core.handle(deep))?["error"]?["code"] == .integer(-32700))
    }
}
