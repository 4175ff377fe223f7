@testable import CDSEngine
import CDSJSON
import CDSModuleAPI
import IliopsoasCondition
import Testing

@Suite("Case validation")
struct CaseReaderTests {
    func issues(_ bytes: [UInt8]) -> [String] {
        do {
            _ = try Cases.read(bytes)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    @Test func aValidCaseBecomesATypedCase() throws {
        let c = try Cases.typed(
            Cases.minimal {
                $0["conservativeCare"] = ["months": 4.5, "outcome": "not-improving"]
                $0["measurements"] = ["nprs": [["date": "2026-02-01", "value": 3], ["date": "2026-01-01", "value": 7]]]
            })
        #expect(c.conservativeCare == .init(months: 4.5, outcome: "not-improving"))
        #expect(c.nprs.map(\.value) == [7, 3], "readings are put in date order")
        #expect(c.assessmentDate == CalendarDate("2026-03-02"))
    }

    @Test func everyProblemIsReportedWithItsPath() {
        let found = issues(
            Cases.minimal {
                $0["patient"] = ["age": "forty", "sex": "female", "colour": "blue"]
                $0["symptoms"] = ["anteriorHipOrGroinPain": true]
                $0["exercise"] = ["currentTier": "moderate"]
                $0["measurements"] = ["nprs": [["date": "2024-02-30", "value": 11]]]
                $0["contraindications"] = [["code": "aspirin"]]
            })
        #expect(found.contains { $0.hasPrefix("/patient/age: ") && $0.contains("integer") })
        #expect(found.contains { $0.hasPrefix("/patient/colour: ") })
        #expect(found.contains { $0.hasPrefix("/symptoms: ") && $0.contains("clickingOrSnapping") })
        #expect(found.contains { $0.hasPrefix("/exercise: ") && $0.contains("tolerated") })
        #expect(found.contains { $0.hasPrefix("/measurements/nprs/0/date: ") })
        #expect(found.contains { $0.hasPrefix("/measurements/nprs/0/value: ") && $0.contains("10") })
        #expect(found.contains { $0.hasPrefix("/contraindications/0/code: ") && $0.contains("nsaids") })
        #expect(found.count == 9, "\(found)")
    }

    @Test func invalidJSONIsReportedWithItsByteOffset() {
        #expect(issues(Array("{\"schemaVersion\": 1,}".utf8)).first?.hasPrefix("/: invalid JSON at byte 20: ") == true)
        #expect(issues(Array("{\"a\":NaN}".utf8)).first?.hasPrefix("/: invalid JSON at byte 5: ") == true)
    }

    @Test func unknownTopLevelFieldsAreRefused() {
        #expect(
            issues(Cases.minimal { $0["diagnosis"] = "x" }) == [
                "/diagnosis: unknown property (allowed: activity, allergies, assessmentDate, caseId, conservativeCare, contraindications, exercise, extensions, measurements, patient, population, priorInterventions, schemaVersion, side, surgicalHistory, symptomOnset, symptoms)"
            ])
    }

    @Test func versionOneRefusesVersionTwoMembersAtTheirPath() {
        #expect(issues(Cases.minimal { $0["side"] = "left" }) == ["/side: no value is allowed here"])
        #expect(
            issues(Cases.minimal { $0["conservativeCare"] = ["months": 2, "treatments": ["nsaids"]] }) == [
                "/conservativeCare/treatments: no value is allowed here"
            ])
        #expect(
            issues(Cases.minimal { $0["population"] = ["groups": ["dancer"]] }) == [
                "/population: missing required property \"group\"", "/population/groups: no value is allowed here",
            ])
    }

    @Test func versionTwoReadsWhatAClinicianCanSay() throws {
        let c = try Cases.typed(
            Cases.minimal {
                $0["schemaVersion"] = 2
                $0["symptoms"] = ["anteriorHipOrGroinPain": "present", "clickingOrSnapping": "absent"]
                $0["population"] = ["groups": ["dancer", "athlete"], "activity": "ballet"]
                $0["conservativeCare"] = ["status": "not-started"]
                $0["surgicalHistory"] = ["totalHipArthroplasty": true, "tenotomyDate": "2025-09-15"]
                $0["priorInterventions"] = [["kind": "surgery", "date": "2025-09-15"]]
                $0["exercise"] = ["currentTier": "low", "tolerated": false, "notToleratedReason": "pain-increase"]
            })
        #expect(c.symptoms.statuses.map(\.status.rawValue) == ["present", "not-assessed", "absent", "not-assessed"])
        #expect(c.population?.groups == ["dancer", "athlete"] && c.population?.activity == "ballet")
        #expect(c.careRecord == .notStarted && c.conservativeCare == nil)
        #expect(c.surgicalHistory?.iliopsoasTenotomy == nil && c.surgicalHistory?.tenotomyDate?.description == "2025-09-15")
        #expect(c.priorInterventions.map(\.kind) == ["surgery"])
        #expect(c.exercise?.notToleratedReason == "pain-increase")
        #expect(
            try Cases.typed(
                Cases.minimal {
                    $0["schemaVersion"] = 2
                    $0["symptoms"] = [String: Any]()
                }
            ).careRecord == .notRecorded)
    }

    @Test func versionTwoRefusesContradictionsAtTheirPath() {
        let v2: (inout [String: Any]) -> Void = {
            $0["schemaVersion"] = 2
            $0["symptoms"] = [String: Any]()
        }
        #expect(
            issues(
                Cases.minimal {
                    v2(&$0)
                    $0["conservativeCare"] = ["status": "not-started", "months": 3]
                }) == ["/conservativeCare/months: no value is allowed here"])
        #expect(
            issues(
                Cases.minimal {
                    v2(&$0)
                    $0["conservativeCare"] = ["status": "started"]
                }) == ["/conservativeCare: missing required property \"months\""])
        #expect(
            issues(
                Cases.minimal {
                    v2(&$0)
                    $0["exercise"] = ["currentTier": "low", "tolerated": true, "notToleratedReason": "other"]
                }) == ["/exercise/notToleratedReason: no value is allowed here"])
        #expect(
            issues(
                Cases.minimal {
                    v2(&$0)
                    $0["symptoms"] = ["clickingOrSnapping": true]
                }) == ["/symptoms/clickingOrSnapping: must be one of \"present\", \"absent\", \"not-assessed\"; found true"])
    }
}
