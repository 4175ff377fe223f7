@testable import CDSEngine
import CDSJSON
import CDSModuleAPI
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
        let c = try Cases.read(
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
        #expect(issues(Cases.minimal { $0["diagnosis"] = "x" }) == ["/diagnosis: unknown property (allowed: activity, allergies, assessmentDate, caseId, conservativeCare, contraindications, exercise, extensions, measurements, patient, population, priorInterventions, schemaVersion, side, surgicalHistory, symptomOnset, symptoms)"])
    }
}
