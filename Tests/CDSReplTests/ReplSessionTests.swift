import CDSBuiltins
import CDSEngine
import CDSJSON
import CDSModuleAPI
import CDSRepl
import CDSTestSupport
import Foundation
import Testing

enum ReplFixture {
    static var root: String { TestRepository.root }
    static var engine: Engine { TestRepository.engine }

    static func session(_ lines: [String] = []) -> ReplSession {
        let s = ReplSession(engine: engine)
        for line in lines { _ = s.execute(line) }
        return s
    }

    static let basics = [
        "set patient.age 34", "set patient.sex female", "set symptoms.anteriorHipOrGroinPain true",
        "set symptoms.weaknessResistedHipFlexionInAbduction false", "set symptoms.clickingOrSnapping true",
        "set symptoms.painWithHipFlexionActivities true",
    ]
}

@Suite("REPL session")
struct ReplSessionTests {
    @Test func setValidatesOnTheSpotAndKeepsTheCaseOnError() {
        let s = ReplFixture.session(ReplFixture.basics)
        let bad = s.execute("set patient.age -3")
        #expect(bad.failed)
        #expect(bad.output == "error: /patient/age: must be ≥ 0, found -3; the case is unchanged")
        #expect(s.document["patient"]?["age"] == 34)
        let unknown = s.execute("set patient.colour blue")
        #expect(unknown.output == "error: /patient/colour: unknown property (allowed: age, sex); the case is unchanged")
        #expect(s.execute("set population.group dancer").output == #"population.group = "dancer""#)
    }

    @Test func aValueIsJSONWhenItParsesAndTextOtherwise() {
        let s = ReplFixture.session()
        _ = s.execute(#"set conservativeCare {"months": 4.5, "outcome": "not-improving"}"#)
        #expect(s.document["conservativeCare"] == ["months": 4.5, "outcome": "not-improving"])
        _ = s.execute("set assessmentDate 2026-03-02   ")
        #expect(s.document["assessmentDate"] == "2026-03-02")
    }

    @Test func addWrapsACodeIntoTheListItemTheSchemaExpects() {
        let s = ReplFixture.session(ReplFixture.basics)
        #expect(s.execute("add contraindications nsaids").output == #"contraindications += {"code":"nsaids"}"#)
        #expect(s.execute("add allergies lidocaine").output == #"allergies += {"substance":"lidocaine"}"#)
        #expect(s.execute("add contraindications aspirin").failed)
        #expect(s.document["contraindications"]?.arrayValue?.count == 1)
    }

    @Test func evaluatePrintsATableAndExplainTellsWhy() throws {
        let s = ReplFixture.session(ReplFixture.basics + ["add contraindications nsaids"])
        let table = s.execute("evaluate").output
        let nsaids = try #require(table.split(separator: "\n").first { $0.contains("initial.nsaids") })
        #expect(
            nsaids.split(separator: " ", omittingEmptySubsequences: true).map(String.init) == [
                "initial-management", "initial.nsaids", "NSAIDs", "avoid", "100", "safety-screening",
            ], "the title beside the id")
        let why = s.execute("explain initial.nsaids").output
        #expect(why.contains("plan: avoid (priority 100), decided by safety-screening"))
        #expect(why.contains(#"fact /contraindications/0/code = "nsaids""#))
        #expect(
            why.contains(
                "resolver: symptoms's recommend initial.nsaids lost to safety-screening's avoid initial.nsaids: module priority 90 ('symptoms') is below 100 ('safety-screening')"
            ))
    }

    @Test func whatIfShowsTheDifferenceAndLeavesTheCase() {
        let s = ReplFixture.session(ReplFixture.basics + [#"set exercise {"currentTier": "low", "tolerated": true}"#])
        let before = s.document
        let diff = s.execute("whatif exercise.tolerated false").output
        #expect(
            diff == """
                what if exercise.tolerated = false (the case is unchanged):
                  + strengthening.tier-low consider
                  - strengthening.tier-moderate recommend
                """)
        #expect(s.document == before)
        #expect(s.execute("whatif patient.age 35").output.hasSuffix("no change in the plan"))
    }

    @Test func progressShowsTrendsAndThePlansDecisions() {
        let s = ReplFixture.session(
            ReplFixture.basics + [
                "reading nprs 2026-01-05 7", "reading nprs 2026-03-02 4", "reading lefs 2026-01-05 40",
                #"set exercise {"currentTier": "moderate", "tolerated": false}"#,
                #"set conservativeCare {"months": 4, "outcome": "not-improving"}"#,
            ])
        let text = s.execute("progress").output
        #expect(
            text.contains(
                "NPRS (0-10):\n  2026-01-05  █████████████████████          7/10\n  2026-03-02  ████████████                   4/10\n  change -3 over 56 days"
            ))
        #expect(text.contains("LEFS (0-80):\n  2026-01-05  ███████████████                40/80\n"))
        #expect(!text.contains("after the as-of date"))
        #expect(text.contains("exercise: current tier moderate (not tolerated); plan: step back -> low"))
        #expect(text.contains("escalation window 3-6 months: conservative care 4 months, within the window"))
        #expect(text.contains("escalation escalation.corticosteroid-injection: consider"))
        #expect(s.execute("reading nprs 2026-02-30 3").output == "error: '2026-02-30' is not a date (YYYY-MM-DD)")
        #expect(s.execute("reading nprs 2026-03-03 11").failed)
    }

    @Test func saveAndLoadRoundTripTheCase() throws {
        let file = NSTemporaryDirectory() + "repl-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let s = ReplFixture.session(ReplFixture.basics)
        #expect(s.execute("save \(file)").output == "saved \(file)")
        let t = ReplFixture.session()
        #expect(t.execute("load \(file)").output == "loaded \(file)")
        #expect(t.document == s.document)
        #expect(t.execute("load /no/such/file.json").output == "error: cannot read /no/such/file.json: No such file or directory")
    }

    @Test func errorsAreOneLineAndUnknownCommandsAreNamed() {
        let s = ReplFixture.session()
        for line in ["bogus", "set", "explain no.such", "evaluate", "catalog nowhere", "unset patient.age"] {
            let r = s.execute(line)
            #expect(r.failed, "\(line)")
            #expect(!r.output.contains("\n") && r.output.hasPrefix("error: "), "\(line): \(r.output)")
        }
        #expect(s.execute("quit").quit)
    }

    @Test func everyCommandHasHelp() {
        let s = ReplFixture.session()
        for name in ReplSession.commandNames {
            #expect(s.execute("help \(name)").output.hasPrefix("usage: \(name)"), "\(name)")
        }
    }
}

@Suite("REPL completion")
struct CompleterTests {
    let completer = Completer(session: ReplFixture.session())

    @Test func completesCommandsFieldsValuesAndCatalogIDs() {
        #expect(completer.complete("ev") == ["evaluate", "evidence"])
        #expect(completer.complete("set patient.") == ["patient.age", "patient.sex"])
        #expect(completer.complete("set patient.sex f") == ["female"])
        #expect(completer.complete("set exercise.tolerated ") == ["false", "true"])
        #expect(completer.complete("set conservativeCare.outcome ") == ["improving", "not-improving"])
        #expect(
            completer.complete("add ") == [
                "allergies", "conservativeCare.treatments", "contraindications", "measurements.lefs", "measurements.nprs",
                "measurements.rangeOfMotion",
                "measurements.strength", "population.groups", "priorInterventions",
            ])
        #expect(completer.complete("add contraindications n") == ["nsaids"])
        #expect(completer.complete("explain escalation.") == ["escalation.corticosteroid-injection", "escalation.endoscopic-surgery"])
        #expect(completer.complete("catalog strengthening-") == ["strengthening-high", "strengthening-low", "strengthening-moderate"])
        #expect(completer.complete("reading ") == ["lefs", "nprs"])
        #expect(
            completer.complete("load \(ReplFixture.root)/Tests/Vign") == ["\(ReplFixture.root)/Tests/Vignettes/"], "a directory ends with /"
        )
        #expect(
            completer.complete("load \(ReplFixture.root)/Tests/Vignettes/09-esc")?.contains(
                "\(ReplFixture.root)/Tests/Vignettes/09-escalation-at-4-months.case.json") == true)
        #expect(completer.complete("show x") == [])
    }
}

@Suite("docs/repl.md")
struct ReplDocumentationTests {
    /// Replays the recorded session of docs/repl.md and checks every output line.
    @Test func theDocumentedSessionReplaysExactly() throws {
        let doc = try String(contentsOfFile: ReplFixture.root + "/docs/repl.md", encoding: .utf8)
        let block = try #require(doc.components(separatedBy: "```text\n").dropFirst().first?.components(separatedBy: "\n```")[0])
        let session = ReplFixture.session()
        var expected: [String] = []
        var actual: [String] = []
        var commands = 0
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("cds> ") {
                commands += 1
                var command = String(line.dropFirst(5))
                if command.hasPrefix("save ") { command = "save " + NSTemporaryDirectory() + "repl-doc-\(UUID().uuidString).json" }
                let result = session.execute(command)
                actual +=
                    result.output.isEmpty ? [] : result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            } else {
                expected.append(String(line))
            }
        }
        #expect(commands > 10)
        // The save path differs; compare everything else line by line.
        let strip = { (lines: [String]) in lines.filter { !$0.hasPrefix("saved ") } }
        #expect(strip(actual) == strip(expected))
    }
}
