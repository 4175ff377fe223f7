import CDSJSON
import CDSTestSupport
import Foundation
import Testing

@Suite("cds evaluate --batch")
struct BatchTests {
    static let vignettes = ["01-new-patient", "09-escalation-at-4-months", "19-dancer-with-nsaid-allergy-failed-care"]

    static func oneLine(_ name: String) throws -> String {
        let text = try TestRepository.vignette(name)
        return try JSONParser().parse(text).serialized()
    }

    /// Cases, a blank line, malformed JSON and an invalid case: one output line per
    /// non-blank input line, in order; plans equal `cds evaluate`'s; errors carry their
    /// line number; status 65 because some line could not be evaluated.
    @Test(arguments: ["1", "2", "4"])
    func linesInOrderWithPlansAndErrors(workers: String) throws {
        var input = try Self.vignettes.map(Self.oneLine)
        input.insert("", at: 1)
        input.append(#"{"caseId": "#)
        input.append(#"{"caseId":"no-facts"}"#)
        let run = try CLITests.run(
            ["evaluate", "--batch", "--workers", workers, "--as-of", "2026-03-02", "-"], stdin: input.joined(separator: "\n") + "\n")
        #expect(run.status == 65)
        #expect(run.stderr.contains("2 of 5 lines could not be evaluated"))
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        for (i, name) in Self.vignettes.enumerated() {
            let single = try CLITests.run(["evaluate", "--as-of", "2026-03-02", "Tests/Vignettes/\(name).case.json"])
            #expect(lines[i] + "\n" == single.stdout, "line \(i + 1) is the plan `cds evaluate` prints")
        }
        #expect(try JSONParser().parse(lines[3])["line"] == .integer(5))
        #expect(try JSONParser().parse(lines[3])["error"]?["code"] == .integer(-32700))
        #expect(try JSONParser().parse(lines[4])["line"] == .integer(6))
        #expect(try JSONParser().parse(lines[4])["error"]?["data"]?["errors"]?.arrayValue?.isEmpty == false)
    }

    @Test func everyCaseEvaluatedIsStatus0AndTheSameForAnyNumberOfLanes() throws {
        let input = try (0..<60).map { Self.vignettes[$0 % 3] }.map(Self.oneLine).joined(separator: "\n")
        let one = try CLITests.run(["evaluate", "--batch", "--workers", "1", "--as-of", "2026-03-02", "-"], stdin: input)
        let two = try CLITests.run(["evaluate", "--batch", "--workers", "2", "--as-of", "2026-03-02", "-"], stdin: input)
        #expect(one.status == 0 && two.status == 0)
        #expect(one.stdout == two.stdout)
        #expect(one.stdout.split(separator: "\n").count == 60)
    }

    @Test func cdsHooksCardsPerLine() throws {
        let run = try CLITests.run(
            ["evaluate", "--batch", "--format", "cds-hooks", "--as-of", "2026-03-02", "-"],
            stdin: try Self.oneLine("09-escalation-at-4-months") + "\n")
        #expect(run.status == 0)
        #expect(try JSONParser().parse(String(run.stdout.split(separator: "\n")[0]))["cards"]?.arrayValue?.isEmpty == false)
    }

    @Test(arguments: [["--pretty"], ["--explain"], ["--workers", "0"]])
    func optionsThatCannotApplyAreUsageErrors(extra: [String]) throws {
        let run = try CLITests.run(["evaluate", "--batch", "-"] + extra, stdin: "")
        #expect(run.status == 64)
    }

    /// A consumer that stops reading (`| head -1`) cuts the output short: that is an
    /// error (74), not success, and no crash.
    @Test func outputCutShortIsStatus74() throws {
        let line = try Self.oneLine("09-escalation-at-4-months")
        let cases = NSTemporaryDirectory() + "cds-batch-cut-\(getpid()).ndjson"
        try String(repeating: line + "\n", count: 500).write(toFile: cases, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: cases) }
        let script = "\"$0\" evaluate --batch --as-of 2026-03-02 \"$1\" | head -c 100 > /dev/null; echo \"${PIPESTATUS[0]}\""
        let run = try CLITests.run(["-c", script, CLITests.binary, cases], executable: "/bin/bash")
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "74")
    }

    /// SIGTERM while input is still open: every line read before it is answered whole and
    /// in order, nothing after, and the status says the run was cut short.
    @Test func sigtermAnswersWhatWasReadAndExits143() throws {
        // Read-ahead above the 200 lines, so that the reader takes them all at once however
        // slowly the lanes go (under ThreadSanitizer too); lines not yet read at SIGTERM are
        // rightly never answered.
        let (p, input, output) = try CLITests.spawn(["evaluate", "--batch", "--max-in-flight", "256", "--as-of", "2026-03-02", "-"])
        let line = try Self.oneLine("09-escalation-at-4-months") + "\n"
        input.fileHandleForWriting.write(Data(String(repeating: line, count: 200).utf8))
        Thread.sleep(forTimeInterval: 0.5)
        kill(p.processIdentifier, SIGTERM)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(
            p.terminationReason == .exit && p.terminationStatus == 143,
            "ended by \(p.terminationReason == .exit ? "exit" : "signal") \(p.terminationStatus) after \(text.split(separator: "\n").count) lines"
        )
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 200, "all 200 lines were read before SIGTERM, so all are answered")
        #expect(lines.allSatisfy { (try? JSONParser().parse(String($0)))?["caseId"] == "09-escalation-at-4-months" })
        #expect(text.hasSuffix("\n"), "no line cut short")
    }
}
