import CDSEngine
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
        /// and the cards issued (uuid, recommendation).
        case cards([UInt8], issued: [(uuid: String, recommendation: String)])
        /// Facts a decision needs are missing and this service does not fetch them (412).
        case missingFacts([String], notes: [String])
        /// The request cannot be evaluated (400): why, with JSON paths.
        case invalid(String, details: [String])
    }

    /// Evaluates one CDS Hooks request (a JSON object already checked to be a hook call).
    package func evaluate(_ request: JSONValue) -> Outcome {
        do {
            let result = try EvaluationRequest(format: .cdsHooks, asOf: asOf).run(on: engine, input: request)
            return .cards(result.text() + [0x0A], issued: result.issuedCards)
        } catch {
            if error.code == RPCError.missingFacts([], notes: []).code {
                let missing = error.data?["missing"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let notes = error.data?["notes"]?.arrayValue?.compactMap(\.stringValue) ?? []
                return .missingFacts(missing, notes: notes)
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

    /// Records CDS Hooks feedback (`{"feedback": [...]}`) for cards this service issued
    /// (`recommendation(uuid)`), in the feedback log `cds serve --feedback-log` writes.
    /// Returns how many outcomes were recorded.
    package func recordFeedback(_ body: JSONValue, recommendation: (String) -> String?) throws(FeedbackRejection) -> Int {
        guard let path = feedbackLog else { throw FeedbackRejection(status: 501, reason: "this service runs without --feedback-log") }
        guard let items = body["feedback"]?.arrayValue, !items.isEmpty else {
            throw FeedbackRejection(status: 400, reason: "\"feedback\" must be a non-empty array")
        }
        let reasons = Set(settings.overrideReasons.map(\.code))
        var lines: [JSONValue] = []
        for (i, item) in items.enumerated() {
            let at = "/feedback/\(i)"
            func refuse(_ message: String) -> FeedbackRejection { FeedbackRejection(status: 400, reason: "\(at)\(message)") }
            guard let card = item["card"]?.stringValue else { throw refuse("/card: must be a card uuid") }
            guard let rec = recommendation(card) else { throw refuse("/card: \(card) is not a card this service issued") }
            guard let outcome = item["outcome"]?.stringValue, outcome == "accepted" || outcome == "overridden" else {
                throw refuse("/outcome: must be \"accepted\" or \"overridden\"")
            }
            guard let timestamp = item["outcomeTimestamp"]?.stringValue else { throw refuse("/outcomeTimestamp: must be a string") }
            var line: JSONObject = ["card": .string(card), "recommendation": .string(rec), "outcome": .string(outcome), "outcomeTimestamp": .string(timestamp)]
            if let code = item["overrideReason"]?["reason"]?["code"]?.stringValue {
                guard outcome == "overridden", reasons.contains(code) else {
                    throw refuse("/overrideReason/reason/code: must be one of \(reasons.sorted().joined(separator: ", ")) with outcome overridden")
                }
                line["overrideReason"] = .string(code)
            }
            lines.append(.object(line))
        }
        do {
            try FeedbackLog(path: path).append(lines)
        } catch {
            throw FeedbackRejection(status: 500, reason: error.description)
        }
        return lines.count
    }
}
