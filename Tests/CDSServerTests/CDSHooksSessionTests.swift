import CDSJSON
import CDSServer
import CDSTestSupport
import Foundation
import Testing

/// The CDS Hooks methods live in their own method set, registered with the core; the
/// generic JSON-RPC core answers them only when it is.
@Suite("CDS Hooks session methods")
struct CDSHooksSessionTests {
    static func evaluate(_ id: Int) throws -> String {
        let c = try TestRepository.vignette("16-nsaid-contraindication").replacingOccurrences(of: "\n", with: "")
        return #"{"jsonrpc":"2.0","id":\#(id),"method":"case/evaluate","params":{"case":\#(c),"options":{"format":"cds-hooks"}}}"#
    }

    static func feedback(_ id: Int, card: String) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"feedback/record","params":{"feedback":[{"card":"\#(card)","outcome":"overridden","overrideReason":{"userComment":"n/a"},"outcomeTimestamp":"2026-03-02T10:00:00Z"}]}}"#
    }

    @Test func theCoreAloneHasNoCDSHooksMethods() throws {
        let core = RPCServerCore(engine: TestRepository.engine)
        #expect(!core.methodNames.contains("cds-hooks/discovery"))
        #expect(!core.methodNames.contains("feedback/record"))
        let reply = json(core.handle(#"{"jsonrpc":"2.0","id":1,"method":"cds-hooks/discovery"}"#))
        #expect(reply?["error"]?["code"] == -32601)
    }

    @Test func aRegisteredSessionAnswersDiscoveryAndRemembersTheCardsItsRepliesIssued() throws {
        let log = NSTemporaryDirectory() + "session-feedback-\(UUID().uuidString).ndjson"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let core = RPCServerCore(engine: TestRepository.engine, methodSets: [CDSHooksSession(feedbackLog: log)])
        #expect(core.methodNames.contains("cds-hooks/discovery") && core.methodNames.contains("feedback/record"))
        let discovery = json(core.handle(#"{"jsonrpc":"2.0","id":1,"method":"cds-hooks/discovery"}"#))
        #expect(discovery?["result"]?["services"]?.arrayValue?.count == 1)

        // A card not issued by this session is unknown.
        let unknown = json(core.handle(Self.feedback(2, card: "00000000-0000-4000-8000-000000000000")))
        #expect(unknown?["error"] != nil)
        #expect(unknown?["result"] == nil)

        let cards = try #require(json(core.handle(try Self.evaluate(3)))?["result"]?["cards"]?.arrayValue)
        let uuid = try #require(cards.first?["uuid"]?.stringValue)
        let recorded = json(core.handle(Self.feedback(4, card: uuid)))
        #expect(recorded?["result"] == ["recorded": 1])
    }
}
