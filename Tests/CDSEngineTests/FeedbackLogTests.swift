@testable import CDSEngine
@testable import CDSInterop
import CDSJSON
import CDSTestSupport
import Foundation
import Testing

/// `FeedbackLog.record`, the entry point both front ends call, and the log's append path.
@Suite("Feedback log")
struct FeedbackLogTests {
    static let card = "11111111-1111-8111-8111-111111111111"
    static let suggestion = FeedbackLog.acceptSuggestion(ofCard: card)

    static func lookup(_ uuid: String) -> FeedbackLog.IssuedCard? {
        uuid == card ? FeedbackLog.IssuedCard(recommendation: "initial.cryotherapy", suggestions: [suggestion]) : nil
    }

    static func temporary() -> String { NSTemporaryDirectory() + "feedback-unit-\(UUID().uuidString).ndjson" }

    static func record(_ log: FeedbackLog, _ items: String) throws(FeedbackLog.Refusal) -> Int {
        let value = (try? JSONParser().parse("[\(items)]")) ?? .null
        return try log.record(value, overrideReasons: Repository.catalog.cdsHooks, card: lookup)
    }

    @Test(arguments: [
        ("2026-03-02T10:00:00Z", true), ("2026-03-02T10:00:00.123456789Z", true), ("2026-03-02T10:00:00+01:00", true),
        ("2026-03-02t10:00:00z", true), ("2024-02-29T23:59:60-08:00", true), ("2026-03-02T10:00:00", false),
        ("2026-03-02", false), ("2026-02-29T10:00:00Z", false), ("2026-13-01T10:00:00Z", false), ("2026-03-02T24:00:00Z", false),
        ("2026-03-02T10:00:00.Z", false), ("2026-03-02T10:00:00+0100", false), ("2026-03-02 10:00:00Z", false), ("t", false),
        ("2026-03-02T10:00:00Z ", false), ("１２３４-03-02T10:00:00Z", false),
    ])
    func outcomeTimestampsAreRFC3339DateTimes(text: String, valid: Bool) {
        #expect(RFC3339.isDateTime(text) == valid)
    }

    @Test func theSuggestionDerivationIsTheCardsOwn() throws {
        let plan = TestRepository.engine.evaluate(try Cases.read(Array(try TestRepository.vignette("16-nsaid-contraindication").utf8)))
        let cards = plan.cdsHooksCards(catalog: Repository.catalog, hookInstance: nil)
        let withSuggestions = cards.filter { $0.json["suggestions"] != nil }
        #expect(!withSuggestions.isEmpty)
        for c in withSuggestions {
            #expect(
                c.json["suggestions"]?.arrayValue?.compactMap { $0["uuid"]?.stringValue } == [FeedbackLog.acceptSuggestion(ofCard: c.uuid)])
        }
    }

    @Test func recordChecksThenAppendsAllOrNothing() throws {
        let log = FeedbackLog(path: Self.temporary())
        defer { unlink(log.path) }
        let accepted =
            #"{"card":"\#(Self.card)","outcome":"accepted","acceptedSuggestions":[{"id":"\#(Self.suggestion)"}],"outcomeTimestamp":"2026-03-02T10:00:00Z"}"#
        let bad =
            #"{"card":"\#(Self.card)","outcome":"accepted","acceptedSuggestions":[{"id":"\#(Self.card)"}],"outcomeTimestamp":"2026-03-02T10:00:00Z"}"#
        #expect(try Self.record(log, accepted + "," + accepted) == 2)
        #expect(throws: FeedbackLog.Refusal.self) { try Self.record(log, accepted + "," + bad) }
        do {
            _ = try Self.record(log, accepted + "," + bad)
        } catch {
            guard case .invalid(let path, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(path == "feedback[1].acceptedSuggestions[0].id")
        }
        do {
            _ = try Self.record(log, #"{"card":"nope","outcome":"accepted","outcomeTimestamp":"2026-03-02T10:00:00Z"}"#)
        } catch {
            guard case .unknownCard("nope") = error else {
                Issue.record("\(error)")
                return
            }
        }
        let report = try log.report()
        #expect(report.records.count == 2)
        #expect(report.records.allSatisfy { $0.acceptedSuggestions == [Self.suggestion] })
        #expect(report.rows.map(\.accepted) == [2])
    }

    @Test func anotherWritersLockMakesTheAppendWaitThenRefuse() throws {
        var log = FeedbackLog(path: Self.temporary())
        log.lockTimeoutMilliseconds = 50
        defer { unlink(log.path) }
        let holder = open(log.path, O_RDWR | O_CREAT, 0o644)
        #expect(holder >= 0)
        #expect(flock(holder, LOCK_EX) == 0)
        #expect(throws: FeedbackLog.Failure.self) { try log.append([["card": "x"]]) }
        flock(holder, LOCK_UN)
        close(holder)
        try log.append([["card": "x"]])
        #expect(try String(contentsOfFile: log.path, encoding: .utf8) == #"{"card":"x"}"# + "\n")
    }

    @Test func aTailThatIsNotARecordIsNeverCut() throws {
        let log = FeedbackLog(path: Self.temporary())
        defer { unlink(log.path) }
        let foreign = "line one\nnot a feedback log"
        try foreign.write(toFile: log.path, atomically: true, encoding: .utf8)
        #expect(throws: FeedbackLog.Failure.self) { try log.append([["card": "x"]]) }
        #expect(try String(contentsOfFile: log.path, encoding: .utf8) == foreign)
        // A torn record is cut, and how much is said.
        try (#"{"card":"a"}"# + "\n" + #"{"card":"b"#).write(toFile: log.path, atomically: true, encoding: .utf8)
        #expect(try log.append([["card": "c"]]) == 10)
        #expect(try String(contentsOfFile: log.path, encoding: .utf8) == #"{"card":"a"}"# + "\n" + #"{"card":"c"}"# + "\n")
    }
}
