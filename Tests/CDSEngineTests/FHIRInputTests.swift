import CDSBuiltins
@testable import CDSEngine
@testable import CDSInterop
import CDSJSON
import CDSModuleAPI
import CDSTestSupport
import Foundation
import IliopsoasCondition
import Testing

@Suite("FHIR R4 and CDS Hooks input")
struct FHIRInputTests {
    let engine = TestRepository.engine

    func document(_ file: String) throws -> JSONValue {
        try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: TestRepository.root + "/Tests/FHIR/" + file))))
    }

    func actions(_ plan: Plan) -> [String: String] {
        Dictionary(uniqueKeysWithValues: plan.resolution.recommendations.map { ($0.id.rawValue, $0.action.rawValue) })
    }

    @Test func aBundleGivesTheSamePlanAsTheEquivalentCase() throws {
        let (fromFHIR, report) = try engine.readInput(try document("09-escalation-at-4-months.bundle.json"), asOf: TestRepository.today)
        let fromCase = try engine.caseReader.read(try JSONParser().parse(try TestRepository.vignette("09-escalation-at-4-months")))
        #expect(actions(engine.evaluate(fromFHIR)) == actions(engine.evaluate(fromCase)))
        #expect(try fromFHIR.clinicalCase().patient == .init(age: 34, sex: "female"), "age in whole years at the assessment date")
        #expect(try fromFHIR.clinicalCase().nprs.map(\.value) == [7, 7])
        let r = try #require(report)
        #expect(r.format == "fhir-r4-bundle")
        #expect(r.ignored == [["resource": "MedicationStatement/m1", "reason": "medication statements set no case fact in this version"]])
        #expect(r.mapped.contains { $0["code"] == "M76.11" && $0["note"] != nil }, "recognised, no fact")
    }

    @Test(arguments: ["13-student-dancer", "16-nsaid-contraindication"])
    func bundlesForTheVignettesGiveTheVignettesPlans(name: String) throws {
        let (fromFHIR, _) = try engine.readInput(try document("\(name).bundle.json"), asOf: TestRepository.today)
        let fromCase = try engine.caseReader.read(try JSONParser().parse(try TestRepository.vignette(name)))
        #expect(actions(engine.evaluate(fromFHIR)) == actions(engine.evaluate(fromCase)))
    }

    @Test func surgeryAllergiesAndInactiveResourcesAreMappedAsTheCatalogSays() throws {
        let (facts, report) = try engine.readInput(try document("15-post-arthroplasty.bundle.json"), asOf: TestRepository.today)
        let c = try facts.clinicalCase()
        #expect(
            c.surgicalHistory
                == .init(totalHipArthroplasty: true, iliopsoasTenotomy: true, monthsSinceSurgery: 9, persistentGroinPain: true))
        #expect(c.allergies == ["nsaid"])
        #expect(c.symptoms.clickingOrSnapping == false, "a resolved Condition does not count")
        #expect(report?.ignored == [["resource": "Condition/old", "reason": "clinicalStatus resolved"]])
        let a = actions(engine.evaluate(facts))
        #expect(a["population.post-arthroplasty-mobilization"] == "recommend")
        #expect(a["initial.nsaids"] == "avoid")
    }

    @Test func missingPrefetchIsNamedAndPrefetchGapsExplained() throws {
        let request = try document("patient-view-missing-observations.hooks.json")
        do {
            _ = try engine.evaluateInput(request, asOf: TestRepository.today)
            Issue.record("evaluated without the observations the service asked for")
        } catch {
            #expect(error.missingPrefetch == ["observations"])
            #expect(error.report?.format == "cds-hooks-request")
            #expect(
                error.report?.notes == [
                    "prefetch \"observations\" was not provided; this service does not fetch data itself",
                    "prefetch \"medications\" is null: the EHR has no data for it",
                ])
        }
    }

    @Test func aCaseDocumentIsStillReadAsACase() throws {
        let (c, report) = try engine.readInput(try JSONParser().parse(try TestRepository.vignette("01-new-patient")), asOf: nil)
        #expect(report == nil)
        #expect(c.caseId == "01-new-patient")
    }

    @Test func everyMappedFactIsAFieldOfTheCaseSchema() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace(
            "packs/iliopsoas/fhir-mapping.json", "\"value\": \"/conservativeCare/months\"", with: "\"value\": \"/conservativeCare/weeks\"")
        guard case .failure(let error) = scratch.load() else {
            Issue.record("loaded")
            return
        }
        #expect(
            error.issues.map(\.description).contains {
                $0.hasPrefix("packs/iliopsoas/fhir-mapping.json: /codes/")
                    && $0.hasSuffix("/value: \"/conservativeCare/weeks\" is not a field of the case schema")
            })
    }
}
