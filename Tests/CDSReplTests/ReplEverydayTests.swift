import CDSEngine
import CDSJSON
import CDSRepl
import Testing

/// A line source that replays lines and records what was entered as whole entries.
struct ScriptedLines: LineSource {
    var lines: [String]
    var entries: [String] = []
    var continuations = 0

    mutating func next() -> String? { lines.isEmpty ? nil : lines.removeFirst() }
    mutating func continuation() -> String? {
        continuations += 1
        return next()
    }
    mutating func record(_ entry: String) { entries.append(entry) }
    mutating func finish() {}
}

@Suite("REPL for everyday use")
struct ReplEverydayTests {
    @Test func helpForAFieldComesFromTheSchema() {
        let s = ReplFixture.session()
        #expect(
            s.execute("help patient.sex").output
                == "patient.sex\n  type: one of female, male, other, unknown\n  set it with: set patient.sex VALUE")
        let age = s.execute("help /patient/age").output
        #expect(age.contains("type: integer 0-130"))
        let date = s.execute("help assessmentDate").output
        #expect(date.contains("type: string (YYYY-MM-DD)") && date.contains("The date the case describes"))
        #expect(s.execute("help symptoms.clickingOrSnapping").output.contains("symptoms: The common symptoms listed by the source"))
        #expect(s.execute("help allergies").output.contains("set it with: add allergies VALUE"))
        #expect(s.execute("help nonsense").failed == false)
    }

    @Test func helpSetListsOneFieldPerLineWithItsType() {
        let text = ReplFixture.session().execute("help set").output
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("  patient.age ") && $0.hasSuffix("integer 0-130") })
        #expect(lines.contains { $0.hasPrefix("  conservativeCare.outcome ") && $0.contains("improving") })
        #expect(lines.filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }.count >= ReplFixture.session().fields.fields.count)
    }

    @Test func explainAllExplainsEveryRecommendationInThePlan() {
        let s = ReplFixture.session(ReplFixture.basics)
        _ = s.execute("evaluate")
        let plan = s.lastPlan?.resolution.recommendations ?? []
        let all = s.execute("explain all").output
        #expect(!plan.isEmpty)
        for r in plan { #expect(all.contains("\(r.id.rawValue) — "), "\(r.id)") }
        #expect(all.components(separatedBy: "\n\n").count == plan.count)
    }

    @Test func aReadingAfterTheAsOfDateIsFlagged() {
        let s = ReplFixture.session(
            ReplFixture.basics + ["set assessmentDate 2026-03-02", "reading nprs 2026-03-01 6", "reading nprs 2026-04-01 3"])
        let text = s.execute("progress").output
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first { $0.contains("2026-04-01") }?.hasSuffix("3/10  ! dated after the as-of date 2026-03-02") == true, "\(text)")
        #expect(lines.first { $0.contains("2026-03-01") }?.contains("after the as-of date") == false)
    }

    /// A change between readings that reaches the Catalog's published threshold is marked;
    /// one below it is not (NPRS: 2 points or 30 %; LEFS: 9 points).
    @Test func clinicallyImportantChangesAreMarkedByTheCatalogThresholds() {
        let s = ReplFixture.session(
            ReplFixture.basics + [
                "set assessmentDate 2026-03-02", "reading nprs 2026-01-01 4", "reading nprs 2026-02-01 5", "reading nprs 2026-03-01 7",
                "reading lefs 2026-01-01 50", "reading lefs 2026-03-01 45",
            ])
        let lines = s.execute("progress").output.split(separator: "\n").map(String.init)
        let marked = lines.filter { $0.hasPrefix("  ! ") }
        #expect(marked.count == 1, "\(lines)")
        #expect(marked.first?.contains("2026-02-01 -> 2026-03-01: +2") == true, "\(marked)")
        #expect(marked.first?.contains("rule progression.nprs-important-change") == true)
        #expect(
            lines.contains("  no clinically important change between readings (at least 9 points; rule progression.lefs-important-change)"),
            "\(lines)")
    }

    /// `set symptoms {` continues on the next lines until the value is complete; the
    /// history gets the whole entry once.
    @Test func anOpenJSONValueContinuesOnTheNextLines() {
        let s = ReplFixture.session(["set patient.age 34"])
        var source = ScriptedLines(lines: [
            #"set symptoms {"anteriorHipOrGroinPain": true,"#,
            #"  "weaknessResistedHipFlexionInAbduction": false, "clickingOrSnapping": "{not a brace}","#,
            #"  "painWithHipFlexionActivities": true}"#, "show",
        ])
        var output = ""
        _ = runREPL(s, source: &source) { output += $0 }
        #expect(source.continuations == 2)
        #expect(source.entries.count == 2 && source.entries[0].split(separator: "\n").count == 3)
        #expect(output.contains("error: /symptoms/clickingOrSnapping"), "the value was read whole and validated: \(output)")
        var fixed = ScriptedLines(lines: [
            #"set symptoms {"anteriorHipOrGroinPain": true, "weaknessResistedHipFlexionInAbduction": false,"#,
            #"  "clickingOrSnapping": true, "painWithHipFlexionActivities": true}"#,
        ])
        output = ""
        _ = runREPL(s, source: &fixed) { output += $0 }
        #expect(
            output.hasPrefix(
                #"symptoms = {"anteriorHipOrGroinPain":true,"weaknessResistedHipFlexionInAbduction":false,"clickingOrSnapping":true,"#),
            "\(output)")
    }

    /// At a narrow terminal the plan table leaves out the phase and module columns and
    /// shortens titles rather than wrapping every row; piped output keeps the whole table.
    @Test func thePlanTableFitsANarrowTerminal() {
        let s = ReplFixture.session(ReplFixture.basics)
        let full = s.execute("evaluate").output
        #expect(full.hasPrefix("PHASE "))
        for width in [140, 100, 80] {
            s.terminalWidth = { width }
            let lines = s.execute("evaluate").output.split(separator: "\n").map(String.init)
            let table = lines.prefix { !$0.isEmpty && !$0.hasPrefix("as of") && !$0.contains("superseded") }
            #expect(table.allSatisfy { $0.count <= width }, "\(width): \(table)")
            #expect(table.first?.hasPrefix("RECOMMENDATION ") == true)
            #expect(table.contains { $0.hasPrefix("initial.cryotherapy ") && $0.contains("recommend  80") && $0.hasSuffix("Cryotherapy") })
        }
    }

    @Test func aMistypedCommandNamesTheNearestOne() {
        let s = ReplFixture.session()
        #expect(s.execute("evalute").output == "error: unknown command 'evalute'; did you mean 'evaluate'? type 'help' for the list")
        #expect(s.execute("xyzzy").output == "error: unknown command 'xyzzy'; type 'help' for the list")
    }

    @Test func longLinesWrapAtWordBoundariesWithAHangingIndent() {
        let text =
            "  why (symptoms, module priority 90): 3 of 4 common symptoms present: presentation consistent with iliopsoas syndrome\nshort"
        let wrapped = Presenter.wrap(text, width: 40)
        let lines = wrapped.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.count <= 40 }, "\(lines)")
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.hasPrefix("    ") && !$0.hasPrefix("     ") })
        #expect(lines.last == "short")
        #expect(
            wrapped.split(whereSeparator: { $0 == " " || $0 == "\n" }) == text.split(whereSeparator: { $0 == " " || $0 == "\n" }),
            "no word lost or split")
        #expect(
            Presenter.wrap("\u{1B}[32mrecommend\u{1B}[0m fits", width: 20) == "\u{1B}[32mrecommend\u{1B}[0m fits",
            "colour codes take no width")
        #expect(
            Presenter.wrap("caseId = 患者患者患者 Zoë 🦴🦴🦴🦴", width: 20) == "caseId =\n  患者患者患者 Zoë\n  🦴🦴🦴🦴", "wide characters take two columns")
    }
}
