import CDSEngine
import CDSInterop
import CDSJSON
import CDSModuleAPI
import CDSServer

/// The seam between the HTTP front end and the engine: every call the service makes into
/// the CDS Hooks mapping, the evaluation and the feedback log goes through here, so that
/// these entry points can be re-pointed in one place.
package struct HooksBackend: Sendable {
    package let engine: Engine
    /// The date to evaluate as of when the request has none (as `cds evaluate --as-of`).
    package let asOf: CalendarDate?
    /// Where feedback is appended; nil: the feedback endpoint answers 501.
    package let feedbackLog: String?

    package init(engine: Engine, asOf: CalendarDate? = nil, feedbackLog: String? = nil) {
        self.engine = engine
        self.asOf = asOf
        self.feedbackLog = feedbackLog
    }

    /// The one service the Catalog defines.
    package var settings: CDSHooksSettings { engine.catalog.cdsHooks }

    /// The discovery document, as `cds hooks discovery` prints it.
    package func discovery() -> [UInt8] { Array((settings.discovery.serialized() + "\n").utf8) }

    /// What an evaluation gave.
    package enum Outcome: Sendable {
        /// The response body, byte for byte what `cds evaluate --format cds-hooks` prints,
        /// and the cards issued.
        case cards([UInt8], issued: [(uuid: String, card: FeedbackLog.IssuedCard)])
        /// Prefetch data the service asked for is missing, and it does not fetch data (412).
        case missingPrefetch([String], notes: [String])
        /// The request cannot be evaluated (400): why, with JSON paths.
        case invalid(String, details: [String])
    }

    /// Evaluates one CDS Hooks request (a JSON object already checked to be a hook call).
    package func evaluate(_ request: JSONValue) -> Outcome {
        do {
            let result = try EvaluationRequest(format: .cdsHooks, asOf: asOf).run(on: engine, input: request)
            return .cards(result.text() + [0x0A], issued: result.issuedCards)
        } catch {
            if error.code == RPCError.missingPrefetch([], notes: []).code {
                let missing = error.data?["missing"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let notes = error.data?["notes"]?.arrayValue?.compactMap(\.stringValue) ?? []
                return .missingPrefetch(missing, notes: notes)
            }
            let details = (error.data?["errors"]?.arrayValue ?? []).map { e in
                "\(e["path"]?.stringValue ?? ""): \(e["message"]?.stringValue ?? "")"
            }
            return .invalid(error.data?["detail"]?.stringValue ?? error.message, details: details)
        }
    }

    /// Feedback refused: why (400), or the log could not take it (500).
    package struct FeedbackRejection: Error, Sendable {
        package var status: Int
        package var reason: String
    }

    /// Records CDS Hooks feedback (`{"feedback": [...]}`) about cards this service issued
    /// (`card(uuid)`), checked by ``FeedbackLog/record(_:overrideReasons:card:)`` (the entry
    /// point `feedback/record` shares) into the log `cds serve --feedback-log` writes.
    /// Returns how many outcomes were recorded.
    package func recordFeedback(_ body: JSONValue, card: (String) -> FeedbackLog.IssuedCard?) throws(FeedbackRejection) -> Int {
        guard let path = feedbackLog else { throw FeedbackRejection(status: 501, reason: "this service runs without --feedback-log") }
        guard case .object = body else { throw FeedbackRejection(status: 400, reason: "the body must be a JSON object with \"feedback\"") }
        do {
            return try FeedbackLog(path: path).record(body["feedback"], overrideReasons: settings, card: card)
        } catch {
            switch error {
            case .invalid(let path, let message): throw FeedbackRejection(status: 400, reason: "\(path): \(message)")
            case .unknownCard(let uuid): throw FeedbackRejection(status: 400, reason: "\(uuid) is not a card this service issued")
            case .notRecorded(let reason): throw FeedbackRejection(status: 500, reason: "feedback not recorded: \(reason)")
            }
        }
    }
}
