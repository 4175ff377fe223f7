import CDSJSON
@_spi(Host) import CDSModuleAPI
import IliopsoasCondition
import Testing

@Suite("CaseFacts: typed reads by JSON Pointer, limited to reads")
struct CaseFactsTests {
    static let document: JSONValue = [
        "caseId": "c-1",
        "assessmentDate": "2026-03-02",
        "schemaVersion": 2,
        "text": "left",
        "count": 3,
        "whole": 4.0,
        "fraction": 2.5,
        "flag": false,
        "nothing": .null,
        "day": "2026-01-05",
        "notADay": "2026-02-30",
        "list": [1, 2],
        "empty": [],
        "obj": ["a": true],
        "a~b": ["c/d": "escaped"],
    ]

    let all = CaseFacts(document: Self.document, reads: [""])

    @Test func caseIdAndAssessmentDateAreRead() {
        #expect(all.caseId == "c-1")
        #expect(all.assessmentDate == CalendarDate(year: 2026, month: 3, day: 2))
        let bare = CaseFacts(document: ["x": 1], reads: [])
        #expect(bare.caseId == nil)
        #expect(bare.assessmentDate == nil)
    }

    @Test func eachTypedReadReturnsItsType() throws {
        #expect(try all.string("/text") == "left")
        #expect(try all.number("/count") == 3)
        #expect(try all.number("/fraction") == 2.5)
        #expect(try all.integer("/count") == 3)
        #expect(try all.integer("/whole") == 4)
        #expect(try all.bool("/flag") == false)
        #expect(try all.date("/day") == CalendarDate(year: 2026, month: 1, day: 5))
        #expect(try all.array("/list") == [1, 2])
        #expect(try all.array("/empty") == [])
        #expect(try all.object("/obj") == ["a": true])
        #expect(try all.value("/list/1") == 2)
        #expect(try all.string("/a~0b/c~1d") == "escaped")
    }

    @Test func aFactNotRecordedIsUnknownNotFalse() throws {
        // Missing member, JSON null, and a missing array element: all nil (unknown), never false/0/empty.
        #expect(try all.bool("/missing") == nil)
        #expect(try all.bool("/nothing") == nil)
        #expect(try all.value("/list/5") == nil)
        #expect(try all.object("/obj/a/deeper") == nil)
        // A recorded false is false, not unknown.
        #expect(try all.bool("/flag") == .some(false))
    }

    @Test func aWrongTypeThrowsWithThePath() {
        #expect(throws: ModuleError("expected a boolean, found string", fact: "/text")) { try all.bool("/text") }
        #expect(throws: ModuleError("expected a string, found integer", fact: "/count")) { try all.string("/count") }
        #expect(throws: ModuleError("expected an integer, found number", fact: "/fraction")) { try all.integer("/fraction") }
        #expect(throws: ModuleError("expected a number, found boolean", fact: "/flag")) { try all.number("/flag") }
        #expect(throws: ModuleError("expected a date (YYYY-MM-DD), found string", fact: "/notADay")) { try all.date("/notADay") }
        #expect(throws: ModuleError("expected an array, found object", fact: "/obj")) { try all.array("/obj") }
        #expect(throws: ModuleError("expected an object, found array", fact: "/list")) { try all.object("/list") }
    }

    @Test func aPathNotDeclaredInReadsThrows() throws {
        let scoped = CaseFacts(document: Self.document, reads: ["/obj", "/list"])
        #expect(try scoped.bool("/obj/a") == true)
        #expect(try scoped.array("/list") == [1, 2])
        for path: FactPath in ["/text", "/objx", "/", "", "/lis"] {
            let error = #expect(throws: ModuleError.self) { try scoped.value(path) }
            #expect(error?.fact == path)
            #expect(error?.message.contains("not declared in `reads`") == true)
        }
        // Declared or not, an undeclared missing fact throws too: the limit is on paths, not values.
        #expect(throws: ModuleError.self) { try scoped.bool("/missing") }
        #expect(throws: ModuleError("not a JSON Pointer", fact: "obj")) { try scoped.value("obj") }
    }

    @Test func scopedCopiesShareTheDocumentButNotTheirReads() throws {
        let a = all.scoped(to: ["/text"])
        #expect(try a.string("/text") == "left")
        #expect(throws: ModuleError.self) { try a.value("/count") }
        #expect(a.caseId == "c-1")
    }

    @Test func theTypedIliopsoasViewIsBuiltOncePerEvaluationAndSharedByScopedCopies() throws {
        let document: JSONValue = [
            "patient": ["age": 30, "sex": "female"],
            "symptoms": [
                "anteriorHipOrGroinPain": true, "weaknessResistedHipFlexionInAbduction": true, "clickingOrSnapping": false,
                "painWithHipFlexionActivities": true,
            ],
        ]
        let root = CaseFacts(document: document, reads: [""])
        let first = try root.scoped(to: ["/symptoms"]).clinicalCase()
        let second = try root.scoped(to: ["/patient"]).clinicalCase()
        #expect(first == second)
        #expect(first.patient.age == 30)
        #expect(first.symptoms.clickingOrSnapping == false)
        // A document the typed view cannot read fails every module alike, with the reason.
        let broken = CaseFacts(document: ["patient": ["age": "thirty"]], reads: [""])
        #expect(throws: ModuleError.self) { try broken.clinicalCase() }
        #expect(throws: ModuleError.self) { try broken.scoped(to: []).clinicalCase() }
    }
}
