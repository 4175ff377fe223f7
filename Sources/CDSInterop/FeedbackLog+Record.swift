import CDSEngine
import CDSJSON
import Logging

extension FeedbackLog {
    /// A card this service returned, as feedback about it is checked.
    package struct IssuedCard: Sendable {
        /// The Catalog recommendation the card stands for.
        package var recommendation: String
        /// The `uuid`s of the card's suggestions.
        package var suggestions: [String]

        package init(recommendation: String, suggestions: [String]) {
            self.recommendation = recommendation
            self.suggestions = suggestions
        }
    }

    /// Why feedback was refused; nothing of the request was recorded.
    package enum Refusal: Error, Sendable, CustomStringConvertible {
        /// The body breaks the CDS Hooks 2.0 Feedback structure (`path`: where).
        case invalid(path: String, message: String)
        /// `card` names no card this service returned.
        case unknownCard(String)
        /// The log could not be written.
        case notRecorded(String)

        package var description: String {
            switch self {
            case .invalid(let path, let message): "\(path): \(message)"
            case .unknownCard(let uuid): "unknown card \(uuid)"
            case .notRecorded(let reason): reason
            }
        }
    }

    /// The one entry point of both front ends (JSON-RPC `feedback/record`, HTTP
    /// `POST .../feedback`): checks `feedback` (the body's `feedback` array) against CDS Hooks
    /// 2.0, then appends one line per entry, durably and all or nothing. Returns how many
    /// entries were recorded.
    ///
    /// Rules: `card` is a card `card(_:)` knows; `outcome` is `accepted` (with a non-empty
    /// `acceptedSuggestions` whose `id`s are that card's suggestions, cds-fb-2) or
    /// `overridden` (with an `overrideReason` holding a `reason` Coding with `system` and
    /// `code`, a non-empty `userComment`, or both, cds-fb-3); a reason in the service's own
    /// system must be one the cards offer, a reason in any other system (the EHR's own) is
    /// kept as given; `outcomeTimestamp` is an RFC 3339 date-time with a time zone.
    package func record(
        _ feedback: JSONValue?, overrideReasons: CDSHooksSettings, card: (String) -> IssuedCard?
    ) throws(Refusal) -> Int {
        guard let items = feedback?.arrayValue, !items.isEmpty else {
            throw .invalid(path: "feedback", message: "must be a non-empty array of Feedback objects")
        }
        var lines: [JSONValue] = []
        lines.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            lines.append(try Self.line(for: item, at: "feedback[\(i)]", settings: overrideReasons, card: card))
        }
        do {
            let repaired = try append(lines)
            if repaired > 0 {
                Logger(label: "cds.feedback").warning("repaired the feedback log: cut a torn last line", metadata: ["bytes": "\(repaired)"])
            }
        } catch {
            throw .notRecorded(error.description)
        }
        return lines.count
    }

    /// The log line for one Feedback object, or why it is refused.
    static func line(
        for item: JSONValue, at: String, settings: CDSHooksSettings, card lookup: (String) -> IssuedCard?
    ) throws(Refusal) -> JSONValue {
        guard let object = item.objectValue else { throw .invalid(path: at, message: "must be a Feedback object") }
        let allowed: Set<String> = ["card", "outcome", "acceptedSuggestions", "overrideReason", "outcomeTimestamp", "extension"]
        if let key = object.orderedKeys.first(where: { !allowed.contains($0) }) {
            throw .invalid(
                path: "\(at).\(key)",
                message: "is not a Feedback field (card, outcome, acceptedSuggestions, overrideReason, outcomeTimestamp, extension)")
        }
        guard let uuid = item["card"]?.stringValue else { throw .invalid(path: "\(at).card", message: "must be the uuid of a card") }
        guard let issued = lookup(uuid) else { throw .unknownCard(uuid) }
        guard let timestamp = item["outcomeTimestamp"]?.stringValue else {
            throw .invalid(path: "\(at).outcomeTimestamp", message: "must be an RFC 3339 instant, such as 2026-03-02T10:00:00Z")
        }
        guard RFC3339.isDateTime(timestamp) else {
            throw .invalid(
                path: "\(at).outcomeTimestamp",
                message: "\"\(timestamp)\" is not an RFC 3339 instant (YYYY-MM-DDThh:mm:ss[.fff] and Z or ±hh:mm)")
        }
        var line: JSONObject = ["card": .string(uuid), "recommendation": .string(issued.recommendation)]
        switch item["outcome"]?.stringValue {
        case "accepted":
            if item["overrideReason"] != nil { throw .invalid(path: "\(at).overrideReason", message: "is only for outcome \"overridden\"") }
            guard let accepted = item["acceptedSuggestions"]?.arrayValue, !accepted.isEmpty else {
                throw .invalid(
                    path: "\(at).acceptedSuggestions",
                    message: "must list the accepted suggestions when the outcome is \"accepted\" (cds-fb-2)")
            }
            var ids: [JSONValue] = []
            for (j, suggestion) in accepted.enumerated() {
                let path = "\(at).acceptedSuggestions[\(j)]"
                guard let id = suggestion["id"]?.stringValue, suggestion.objectValue?.count == 1 else {
                    throw .invalid(path: path, message: "must be {\"id\": suggestion uuid}")
                }
                guard issued.suggestions.contains(id) else {
                    throw .invalid(path: "\(path).id", message: "\"\(id)\" is not a suggestion of card \(uuid)")
                }
                ids.append(.string(id))
            }
            line["outcome"] = "accepted"
            line["acceptedSuggestions"] = .array(ids)
        case "overridden":
            if item["acceptedSuggestions"] != nil {
                throw .invalid(path: "\(at).acceptedSuggestions", message: "is only for outcome \"accepted\"")
            }
            line["outcome"] = "overridden"
            line["overrideReason"] = try overrideReason(item["overrideReason"], at: "\(at).overrideReason", settings: settings)
        default:
            throw .invalid(path: "\(at).outcome", message: "must be \"accepted\" or \"overridden\"")
        }
        line["outcomeTimestamp"] = .string(timestamp)
        return .object(line)
    }

    /// The override reason as logged: `{"reason": {"system", "code"[, "display"]}, "userComment"}`.
    private static func overrideReason(_ value: JSONValue?, at: String, settings: CDSHooksSettings) throws(Refusal) -> JSONValue {
        guard let object = value?.objectValue else {
            throw .invalid(path: at, message: "must give a reason, a userComment or both when the outcome is \"overridden\" (cds-fb-3)")
        }
        if let key = object.orderedKeys.first(where: { $0 != "reason" && $0 != "userComment" && $0 != "extension" }) {
            throw .invalid(path: "\(at).\(key)", message: "is not an OverrideReason field (reason, userComment)")
        }
        var logged: JSONObject = [:]
        if let reason = value?["reason"] {
            guard let coding = reason.objectValue else {
                throw .invalid(path: "\(at).reason", message: "must be a Coding with system and code")
            }
            guard let system = coding["system"]?.stringValue, !system.isEmpty else {
                throw .invalid(path: "\(at).reason.system", message: "must be the non-empty URI of the reason's code system")
            }
            guard let code = coding["code"]?.stringValue, !code.isEmpty else {
                throw .invalid(path: "\(at).reason.code", message: "must be a non-empty code")
            }
            if let key = coding.orderedKeys.first(where: { !["system", "code", "display", "version", "userSelected"].contains($0) }) {
                throw .invalid(path: "\(at).reason.\(key)", message: "is not a Coding field")
            }
            if system == settings.overrideReasonSystem, !settings.overrideReasons.contains(where: { $0.code == code }) {
                let offered = settings.overrideReasons.map(\.code).joined(separator: ", ")
                throw .invalid(
                    path: "\(at).reason.code",
                    message:
                        "\"\(code)\" is not one of this service's override reasons (\(offered)); the EHR's own reasons use the EHR's code system"
                )
            }
            var kept: JSONObject = ["system": .string(system), "code": .string(code)]
            if let display = coding["display"] {
                guard let text = display.stringValue else { throw .invalid(path: "\(at).reason.display", message: "must be a string") }
                kept["display"] = .string(text)
            }
            logged["reason"] = .object(kept)
        }
        if let comment = value?["userComment"] {
            guard let text = comment.stringValue, !text.isEmpty else {
                throw .invalid(path: "\(at).userComment", message: "must be a non-empty string")
            }
            logged["userComment"] = .string(text)
        }
        guard !logged.isEmpty else {
            throw .invalid(path: at, message: "must give a reason, a userComment or both (cds-fb-3)")
        }
        return .object(logged)
    }

    /// The `uuid` of the one suggestion (accept) on a recommend or consider card
    /// (``Plan/cdsHooksCards(catalog:hookInstance:)``); avoid cards have none.
    package static func acceptSuggestion(ofCard uuid: String) -> String { Plan.uuid(uuid + "|accept") }
}

/// RFC 3339 section 5.6 `date-time` (`full-date "T" full-time`, time zone required).
enum RFC3339 {
    static func isDateTime(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for i in at..<(at + n) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 20, let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), let hour = digits(11, 2),
            b[13] == UInt8(ascii: ":"), let minute = digits(14, 2), b[16] == UInt8(ascii: ":"), let second = digits(17, 2)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...days[month - 1]).contains(day), hour <= 23, minute <= 59, second <= 60 else { return false }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > start else { return false }
        }
        guard i < b.count else { return false }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { return i + 1 == b.count }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count, let h = digits(i + 1, 2),
            b[i + 3] == UInt8(ascii: ":"),
            let m = digits(i + 4, 2)
        else { return false }
        return h <= 23 && m <= 59
    }
}
