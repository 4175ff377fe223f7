import CDSEngine
import CDSInterop
import CDSJSON

/// The CDS Hooks methods of a JSON-RPC session (`cds-hooks/discovery`, `feedback/record`)
/// and their state: the cards this session returned, which feedback must name.
///
/// Registered with the server core by `cds serve` (``RPCServerCore/init(engine:configuration:logger:methodSets:)``);
/// the core itself keeps no CDS Hooks state. Cards are remembered when the reply that
/// issued them goes out (``replySent(_:)``), in reply order.
///
/// The issued cards sit behind a lock (never contended: the handlers and `replySent` run on the
/// core's session side, one at a time), so the compiler checks that the session is `Sendable`.
package final class CDSHooksSession: RPCMethodSet, Sendable {
    /// Where `feedback/record` appends card outcomes; nil disables the method.
    package let feedbackLog: String?
    /// Cards this session returned (uuid -> recommendation), for feedback. Bounded: when it
    /// reaches `maxIssuedCards` it starts over, and older cards become unknown.
    private let issuedCards = Locked([String: FeedbackLog.IssuedCard]())
    static let maxIssuedCards = 100_000

    /// A session whose feedback goes to `feedbackLog` (nil: `feedback/record` refuses).
    package init(feedbackLog: String?) {
        self.feedbackLog = feedbackLog
    }

    package var methods: [String: RPCMethod] {
        [
            "cds-hooks/discovery": RPCMethod { core, params throws(RPCError) in
                _ = try Params(params, allowed: [])
                return core.engine.catalog.cdsHooks.discovery
            },
            "feedback/record": RPCMethod { [self] core, params throws(RPCError) in try recordFeedback(params, catalog: core.engine.catalog)
            },
        ]
    }

    package func replySent(_ result: MethodResult) {
        let cards = result.issuedCards
        guard !cards.isEmpty else { return }
        issuedCards.withLock { issued in
            if issued.count + cards.count > Self.maxIssuedCards { issued.removeAll() }
            for card in cards { issued[card.uuid] = card.card }
        }
    }

    /// `feedback/record`: CDS Hooks feedback on cards this session returned, checked and
    /// logged by ``FeedbackLog/record(_:overrideReasons:card:)``.
    func recordFeedback(_ params: JSONValue?, catalog: Catalog) throws(RPCError) -> JSONValue {
        let p = try Params(params, allowed: ["feedback"], required: ["feedback"])
        guard let path = feedbackLog else { throw .feedbackNotRecorded("the server runs without --feedback-log") }
        let cards = issuedCards.withLock { $0 }
        do {
            let count = try FeedbackLog(path: path).record(p["feedback"], overrideReasons: catalog.cdsHooks) { cards[$0] }
            return ["recorded": .integer(Int64(count))]
        } catch {
            switch error {
            case .invalid(let path, let message): throw .invalidParams("\(path) \(message)", errors: [(path: path, message: message)])
            case .unknownCard(let uuid): throw .unknownCard(uuid)
            case .notRecorded(let reason): throw .feedbackNotRecorded(reason)
            }
        }
    }
}

/// The cards a CDS Hooks response issued, attached to its ``MethodResult``.
private struct IssuedCards: Sendable {
    var cards: [(uuid: String, card: FeedbackLog.IssuedCard)]
}

extension MethodResult {
    /// A result already serialised that issued `issuedCards` (a CDS Hooks response).
    package init(result: JSONFragment, issuedCards: [(uuid: String, card: FeedbackLog.IssuedCard)]) {
        self.init(result: result)
        if !issuedCards.isEmpty { attachments.append(IssuedCards(cards: issuedCards)) }
    }

    /// The CDS Hooks cards this result issued (none for any other result).
    package var issuedCards: [(uuid: String, card: FeedbackLog.IssuedCard)] {
        attachments.lazy.compactMap { $0 as? IssuedCards }.first?.cards ?? []
    }
}
