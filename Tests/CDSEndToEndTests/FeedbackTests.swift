import CDSJSON
import CDSTestSupport
import Foundation
import Testing

/// `feedback/record` as CDS Hooks 2.0 defines Feedback, the durable log behind it and
/// `cds feedback report`, through the built executable.
@Suite("CDS Hooks feedback")
struct FeedbackTests {
    /// The cards of vignette 16 (NSAIDs avoided, cryotherapy recommended) and the request
    /// that returns them.
    struct Cards {
        var evaluate: String
        var nsaids: String
        var cryotherapy: String
        var cryotherapySuggestion: String
        var relativeRest: String
    }

    static func cards() throws -> Cards {
        let c = try TestRepository.vignette("16-nsaid-contraindication").replacingOccurrences(of: "\n", with: "")
        let evaluate = #"{"jsonrpc":"2.0","id":1,"method":"case/evaluate","params":{"case":\#(c),"options":{"format":"cds-hooks"}}}"#
        let first = try ServerProcess.session(evaluate + "\n")
        let cards = try #require(try JSONParser().parse(first.lines[0])["result"]?["cards"]?.arrayValue)
        func card(_ code: String) throws -> JSONValue { try #require(cards.first { $0["source"]?["topic"]?["code"] == .string(code) }) }
        let cryo = try card("initial.cryotherapy")
        return Cards(
            evaluate: evaluate, nsaids: try #require(try card("initial.nsaids")["uuid"]?.stringValue),
            cryotherapy: try #require(cryo["uuid"]?.stringValue),
            cryotherapySuggestion: try #require(cryo["suggestions"]?.arrayValue?.first?["uuid"]?.stringValue),
            relativeRest: try #require(try card("initial.relative-rest")["uuid"]?.stringValue))
    }

    static func record(_ id: Int, _ items: String...) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"feedback/record","params":{"feedback":[\#(items.joined(separator: ","))]}}"#
    }

    static func temporaryLog() -> String { NSTemporaryDirectory() + "feedback-\(UUID().uuidString).ndjson" }

    static func logLines(_ path: String) throws -> [JSONValue] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONParser().parse(String($0)) }
    }

    /// `cds feedback report` rows with runs of spaces collapsed.
    static func reportRows(_ log: String) throws -> (status: Int32, rows: [String]) {
        let report = try CLITests.run(["feedback", "report", log])
        return (
            report.status,
            report.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        )
    }

    @Test func theLogKeepsSuggestionsReasonsAndCommentsAndTheReportShowsThem() throws {
        let log = Self.temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: log) }
        let c = try Self.cards()
        let ehrReason =
            #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"reason":{"system":"http://ehr.example.org/override-reasons","code":"pt-declined","display":"Patient declined"},"userComment":"Prefers paracetamol"},"outcomeTimestamp":"2026-03-02T10:00:00Z"}"#
        let ownReason =
            #"{"card":"\#(c.relativeRest)","outcome":"overridden","overrideReason":{"reason":{"system":"urn:cds:iliopsoas:override-reason","code":"clinical-judgement"}},"outcomeTimestamp":"2026-03-02T10:00:00.25+01:00"}"#
        let commentOnly =
            #"{"card":"\#(c.relativeRest)","outcome":"overridden","overrideReason":{"userComment":"Already resting"},"outcomeTimestamp":"2026-03-02T10:00:01Z"}"#
        let accepted =
            #"{"card":"\#(c.cryotherapy)","outcome":"accepted","acceptedSuggestions":[{"id":"\#(c.cryotherapySuggestion)"}],"outcomeTimestamp":"2026-03-02T10:00:02Z"}"#
        let session = try ServerProcess.session(
            [c.evaluate, Self.record(2, ehrReason, ownReason, commentOnly, accepted)].joined(separator: "\n") + "\n",
            ["--feedback-log", log])
        #expect(try JSONParser().parse(session.lines[1])["result"] == ["recorded": 4], "\(session.lines[1])")
        let lines = try Self.logLines(log)
        try #require(lines.count == 4)
        #expect(lines[0]["recommendation"] == "initial.nsaids")
        #expect(lines[0]["overrideReason"]?["reason"]?["system"] == "http://ehr.example.org/override-reasons")
        #expect(lines[0]["overrideReason"]?["reason"]?["code"] == "pt-declined")
        #expect(lines[0]["overrideReason"]?["userComment"] == "Prefers paracetamol")
        #expect(lines[2]["overrideReason"] == ["userComment": "Already resting"])
        #expect(lines[3]["acceptedSuggestions"] == [.string(c.cryotherapySuggestion)])
        let (status, rows) = try Self.reportRows(log)
        #expect(status == 0)
        let piped = try CLITests.run(["feedback", "report", "-"], stdin: try String(contentsOfFile: log, encoding: .utf8))
        #expect(piped.stdout == (try CLITests.run(["feedback", "report", log]).stdout), "a log read from a pipe")
        #expect(rows.contains("initial.cryotherapy 1 0 0%"))
        #expect(rows.contains("initial.nsaids 0 1 100% http://ehr.example.org/override-reasons|pt-declined 1"))
        #expect(rows.contains("initial.relative-rest 0 2 100% urn:cds:iliopsoas:override-reason|clinical-judgement 1"))
        #expect(
            rows.contains(
                "2026-03-02T10:00:00Z initial.nsaids overridden http://ehr.example.org/override-reasons|pt-declined Prefers paracetamol"))
        #expect(rows.contains("2026-03-02T10:00:01Z initial.relative-rest overridden - Already resting"))
        #expect(rows.contains("2026-03-02T10:00:02Z initial.cryotherapy accepted \(c.cryotherapySuggestion)"))
    }

    @Test func feedbackThatBreaksTheSpecificationIsRefusedAndNothingIsLogged() throws {
        let log = Self.temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: log) }
        let c = try Self.cards()
        let t = #""outcomeTimestamp":"2026-03-02T10:00:00Z""#
        let cases: [(item: String, path: String)] = [
            (#"{"card":"\#(c.cryotherapy)","outcome":"accepted",\#(t)}"#, "feedback[0].acceptedSuggestions"),
            (#"{"card":"\#(c.cryotherapy)","outcome":"accepted","acceptedSuggestions":[],\#(t)}"#, "feedback[0].acceptedSuggestions"),
            (
                #"{"card":"\#(c.cryotherapy)","outcome":"accepted","acceptedSuggestions":[{"id":"\#(c.nsaids)"}],\#(t)}"#,
                "feedback[0].acceptedSuggestions[0].id"
            ),
            (#"{"card":"\#(c.nsaids)","outcome":"overridden",\#(t)}"#, "feedback[0].overrideReason"),
            (#"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{},\#(t)}"#, "feedback[0].overrideReason"),
            (
                #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":""},\#(t)}"#,
                "feedback[0].overrideReason.userComment"
            ),
            (
                #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"reason":{"code":"x"}},\#(t)}"#,
                "feedback[0].overrideReason.reason.system"
            ),
            (
                #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"reason":{"system":"urn:cds:iliopsoas:override-reason","code":"invented"}},\#(t)}"#,
                "feedback[0].overrideReason.reason.code"
            ),
            (
                #"{"card":"\#(c.nsaids)","outcome":"accepted","acceptedSuggestions":[{"id":"\#(c.cryotherapySuggestion)"}],"overrideReason":{"userComment":"x"},\#(t)}"#,
                "feedback[0].overrideReason"
            ),
            (#"{"card":"\#(c.nsaids)","outcome":"ignored",\#(t)}"#, "feedback[0].outcome"),
            (
                #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":"x"},"outcomeTimestamp":"t"}"#,
                "feedback[0].outcomeTimestamp"
            ),
            (
                #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":"x"},"outcomeTimestamp":"2026-03-02"}"#,
                "feedback[0].outcomeTimestamp"
            ),
            (
                #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":"x"},"outcomeTimestamp":"2026-02-29T10:00:00Z"}"#,
                "feedback[0].outcomeTimestamp"
            ),
            (
                #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":"x"},"outcomeTimestamp":"2026-03-02T10:00:00"}"#,
                "feedback[0].outcomeTimestamp"
            ),
            (
                #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":"x"},"outcomeTimestamp":"2026-03-02 10:00:00Z"}"#,
                "feedback[0].outcomeTimestamp"
            ),
        ]
        let requests = [c.evaluate] + cases.enumerated().map { Self.record($0.offset + 2, $0.element.item) }
        let session = try ServerProcess.session(requests.joined(separator: "\n") + "\n", ["--feedback-log", log])
        try #require(session.lines.count == cases.count + 1)
        for (i, expected) in cases.enumerated() {
            let error = try JSONParser().parse(session.lines[i + 1])["error"]
            #expect(error?["code"] == .integer(-32602), "\(expected.item)")
            #expect(error?["data"]?["errors"]?.arrayValue?.first?["path"] == .string(expected.path), "\(session.lines[i + 1])")
        }
        // One bad entry refuses the whole request: the good one before it is not logged.
        let good = #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":"x"},\#(t)}"#
        let unknownCard =
            #"{"card":"00000000-0000-8000-8000-000000000000","outcome":"overridden","overrideReason":{"userComment":"x"},\#(t)}"#
        let mixed = try ServerProcess.session(
            [c.evaluate, Self.record(2, good, cases[0].item), Self.record(3, good, unknownCard)].joined(separator: "\n") + "\n",
            ["--feedback-log", log])
        #expect(try JSONParser().parse(mixed.lines[1])["error"]?["code"] == .integer(-32602))
        #expect(try JSONParser().parse(mixed.lines[2])["error"]?["code"] == .integer(-32005))
        #expect(try JSONParser().parse(mixed.lines[2])["error"]?["data"]?["card"] == "00000000-0000-8000-8000-000000000000")
        let written = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(written.isEmpty, "nothing logged")
        // Without a log configured, the method says so.
        let refused = try ServerProcess.session(c.evaluate + "\n" + Self.record(2, good) + "\n")
        #expect(try JSONParser().parse(refused.lines[1])["error"]?["code"] == .integer(-32006))
    }

    @Test func aTornLastLineIsRepairedBeforeTheNextAppend() throws {
        let log = Self.temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: log) }
        let c = try Self.cards()
        let whole =
            #"{"card":"x","recommendation":"initial.nsaids","outcome":"overridden","overrideReason":{"userComment":"earlier"},"outcomeTimestamp":"2026-03-01T09:00:00Z"}"#
            + "\n"
        // A writer killed mid-write left half a record without its newline.
        try (whole + #"{"card":"y","recommendation":"initial.nsai"#).write(toFile: log, atomically: true, encoding: .utf8)
        let item =
            #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":"now"},"outcomeTimestamp":"2026-03-02T10:00:00Z"}"#
        let session = try ServerProcess.session(c.evaluate + "\n" + Self.record(2, item) + "\n", ["--feedback-log", log])
        #expect(try JSONParser().parse(session.lines[1])["result"] == ["recorded": 1])
        let lines = try Self.logLines(log)
        #expect(lines.count == 2)
        #expect(lines.last?["overrideReason"]?["userComment"] == "now")
        let (status, rows) = try Self.reportRows(log)
        #expect(status == 0)
        #expect(rows.contains("initial.nsaids 0 2 100%"))
        #expect(!rows.contains { $0.contains("skipped") }, "\(rows)")
    }

    @Test func aLogThatIsNotARegularFileIsRefusedWithoutHanging() throws {
        let fifo = Self.temporaryLog()
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let c = try Self.cards()
        let item =
            #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":"x"},"outcomeTimestamp":"2026-03-02T10:00:00Z"}"#
        let session = try ServerProcess.session(c.evaluate + "\n" + Self.record(2, item) + "\n", ["--feedback-log", fifo])
        let error = try JSONParser().parse(session.lines[1])["error"]
        #expect(error?["code"] == .integer(-32006))
        #expect(error?["data"]?["detail"]?.stringValue?.contains("not a regular file") == true)
    }

    @Test func aFullDiskRefusesFeedbackAndKeepsEarlierLines() throws {
        let log = Self.temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: log) }
        let earlier = String(
            repeating: #"{"card":"x","recommendation":"initial.nsaids","outcome":"overridden","outcomeTimestamp":"2026-03-01T09:00:00Z"}"#
                + "\n", count: 5)
        let padded = earlier + String(repeating: " ", count: 1024 - earlier.utf8.count - 1) + "\n"
        try padded.write(toFile: log, atomically: true, encoding: .utf8)
        let c = try Self.cards()
        let item =
            #"{"card":"\#(c.nsaids)","outcome":"overridden","overrideReason":{"userComment":"x"},"outcomeTimestamp":"2026-03-02T10:00:00Z"}"#
        // A file-size limit of 1024 bytes (2 blocks of 512) stands in for a full disk.
        let (p, input, output) = try CLITests.spawn(
            ["-c", "ulimit -f 2; exec \"$0\" serve --feedback-log \"$1\"", CLITests.binary, log], executable: "/bin/sh")
        input.fileHandleForWriting.write(Data((c.evaluate + "\n" + Self.record(2, item) + "\n").utf8))
        try input.fileHandleForWriting.close()
        let lines = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        try #require(lines.count == 2)
        let reply = try JSONParser().parse(String(lines[1]))
        #expect(reply["error"]?["code"] == .integer(-32006), "\(reply.serialized())")
        #expect(try String(contentsOfFile: log, encoding: .utf8) == padded, "earlier lines intact, nothing half written")
    }
}
