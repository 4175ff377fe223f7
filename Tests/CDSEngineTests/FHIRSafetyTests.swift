import CDSBuiltins
@testable import CDSEngine
@testable import CDSInterop
import CDSJSON
import CDSModuleAPI
import CDSTestSupport
import Foundation
import Testing

/// Issue 11: real EHR data, safely. Each defect named in the issue has a test here that
/// failed on the code before the change.
@Suite("FHIR input: patient identity, terminology, fail safe, no-guidance answers")
struct FHIRSafetyTests {
    let engine = TestRepository.engine

    func bundle(_ file: String) throws -> JSONObject {
        let v = try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: TestRepository.root + "/Tests/FHIR/" + file))))
        return try #require(v.objectValue)
    }

    /// The Bundle with `resources` appended as entries.
    func adding(_ resources: [JSONValue], to file: String = "09-escalation-at-4-months.bundle.json", dropID: Bool = false) throws
        -> JSONValue
    {
        var b = try bundle(file)
        var entries = b["entry"]?.arrayValue ?? []
        entries += resources.map { ["resource": $0] }
        b["entry"] = .array(entries)
        if dropID { b["id"] = nil }
        return .object(b)
    }

    static func allergy(
        _ id: String, system: String, code: String, display: String, patient: String = "Patient/p1", category: String? = "medication"
    ) -> JSONValue {
        var o: JSONObject = [
            "resourceType": "AllergyIntolerance", "id": .string(id),
            "clinicalStatus": [
                "coding": [["system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"]]
            ],
            "verificationStatus": [
                "coding": [["system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"]]
            ],
            "code": ["coding": [["system": .string(system), "code": .string(code), "display": .string(display)]]],
            "patient": ["reference": .string(patient)],
        ]
        if let category { o["category"] = [.string(category)] }
        return .object(o)
    }

    static func observation(
        _ id: String, code: String, system: String = "urn:cds:iliopsoas:local", subject: String = "Patient/p1", _ extra: JSONObject
    ) -> JSONValue {
        var o: JSONObject = [
            "resourceType": "Observation", "id": .string(id), "status": "final",
            "code": ["coding": [["system": .string(system), "code": .string(code)]]], "subject": ["reference": .string(subject)],
        ]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    func actions(_ plan: Plan) -> [String: String] {
        Dictionary(uniqueKeysWithValues: plan.resolution.recommendations.map { ($0.id.rawValue, $0.action.rawValue) })
    }

    func cards(_ plan: Plan, hookInstance: String? = nil) -> [JSONValue] {
        plan.cdsHooksCards(catalog: engine.catalog, hookInstance: hookInstance).map(\.json)
    }

    // MARK: defect 1: allergies in standard terminologies

    @Test(arguments: [
        ("http://www.nlm.nih.gov/research/umls/rxnorm", "5640", "ibuprofen"),
        ("http://www.nlm.nih.gov/research/umls/rxnorm", "7258", "naproxen"),
        ("http://snomed.info/sct", "372665008", "Non-steroidal anti-inflammatory agent"),
    ])
    func anNSAIDAllergyInAStandardCodeAvoidsNSAIDs(system: String, code: String, display: String) throws {
        let before = actions(try engine.evaluateInput(try adding([]), asOf: TestRepository.today))
        #expect(before["initial.nsaids"] == "recommend", "the Bundle recommends NSAIDs without the allergy")
        let plan = try engine.evaluateInput(
            try adding([Self.allergy("a1", system: system, code: code, display: display)]), asOf: TestRepository.today)
        #expect(actions(plan)["initial.nsaids"] == "avoid")
        #expect(plan.input?["mapped"]?.arrayValue?.contains { $0["code"]?.stringValue == code && $0["fact"] == "/allergies" } == true)
        let nsaidCard = try #require(cards(plan).first { $0["summary"]?.stringValue == "Avoid: NSAIDs" })
        #expect(nsaidCard["indicator"] == "critical")
    }

    @Test func lidocaineAndMethylprednisoloneInRxNormAvoidTheInjection() throws {
        for (code, name) in [("6387", "lidocaine"), ("6902", "methylprednisolone")] {
            let plan = try engine.evaluateInput(
                try adding([Self.allergy("a1", system: "http://www.nlm.nih.gov/research/umls/rxnorm", code: code, display: name)]),
                asOf: TestRepository.today)
            #expect(actions(plan)["escalation.corticosteroid-injection"] == "avoid", "\(name)")
        }
    }

    // MARK: fail safe: an allergy the mapping cannot classify

    @Test func anUnclassifiedMedicationAllergyHoldsEveryMedicationForReview() throws {
        let penicillin = Self.allergy("a9", system: "http://www.nlm.nih.gov/research/umls/rxnorm", code: "7980", display: "penicillin G")
        let plan = try engine.evaluateInput(try adding([penicillin]), asOf: TestRepository.today)
        let a = actions(plan)
        for id in ["initial.nsaids", "escalation.corticosteroid-injection"] {
            let action = try #require(a[id])
            #expect(!["recommend", "consider"].contains(action), "\(id) is \(action)")
        }
        #expect(a["initial.cryotherapy"] == "recommend", "no other item changes")
        #expect(plan.input?["needsReview"] == ["http://www.nlm.nih.gov/research/umls/rxnorm|7980 penicillin G"])
        let first = try #require(cards(plan).first)
        #expect(first["indicator"] == "warning")
        #expect(first["detail"]?.stringValue?.contains("penicillin G") == true)
        // A food allergy is not a medication allergy.
        let food = Self.allergy("f1", system: "http://snomed.info/sct", code: "000000", display: "a food", category: "food")
        #expect(actions(try engine.evaluateInput(try adding([food]), asOf: TestRepository.today))["initial.nsaids"] == "recommend")
        // "No known drug allergy" is understood, not an unclassified allergy.
        let none = Self.allergy(
            "n1", system: "http://snomed.info/sct", code: "409137002", display: "No known drug allergy (situation)", category: nil)
        #expect(actions(try engine.evaluateInput(try adding([none]), asOf: TestRepository.today))["initial.nsaids"] == "recommend")
    }

    @Test func aContraindicationThisServiceCannotReadHoldsEveryMedicationForReview() throws {
        let unread: JSONValue = [
            "resourceType": "Condition", "id": "k1",
            "code": ["coding": [["system": "urn:cds:iliopsoas:local", "code": "contraindication-unheard-of"]]],
            "subject": ["reference": "Patient/p1"],
        ]
        let plan = try engine.evaluateInput(try adding([unread]), asOf: TestRepository.today)
        #expect(actions(plan)["initial.nsaids"] == "defer")
        #expect(plan.input?["needsReview"]?.arrayValue?.first?.stringValue?.contains("contraindication-unheard-of") == true)
        #expect(cards(plan).first?["indicator"] == "warning")
    }

    // MARK: defects 2-4: one patient per evaluation

    @Test func anotherPatientsObservationIsIgnoredAndListed() throws {
        let foreign = Self.observation(
            "x1", code: "weakness-resisted-hip-flexion-in-abduction", subject: "Patient/someone-else",
            ["effectiveDateTime": "2026-03-03", "valueBoolean": true])
        let plan = try engine.evaluateInput(try adding([foreign]), asOf: TestRepository.today)
        #expect(plan.caseDocument["symptoms"]?["weaknessResistedHipFlexionInAbduction"] == false, "the patient's own observation stands")
        #expect(
            plan.input?["ignored"]?.arrayValue?.contains([
                "resource": "Observation/x1", "reason": "subject Patient/someone-else is not this evaluation's patient",
            ]) == true)
        var orphan = try #require(foreign.objectValue)
        orphan["subject"] = nil
        let unreferenced = try engine.evaluateInput(try adding([.object(orphan)]), asOf: TestRepository.today)
        #expect(unreferenced.input?["ignored"]?.arrayValue?.contains { $0["resource"] == "Observation/x1" } == true)
    }

    @Test func aResourceReferencingThePatientByFullUrlIsUsed() throws {
        let byURL = Self.observation(
            "u1", code: "clicking-or-snapping", subject: "urn:uuid:fhir-09-escalation-at-4-months-0",
            ["effectiveDateTime": "2026-03-03", "valueBoolean": true])
        let plan = try engine.evaluateInput(try adding([byURL]), asOf: TestRepository.today)
        #expect(plan.caseDocument["symptoms"]?["clickingOrSnapping"] == true)
    }

    @Test func twoPatientsInOneBundleAreRefused() throws {
        let other: JSONValue = ["resourceType": "Patient", "id": "p9", "gender": "male", "birthDate": "1950-01-01"]
        let input = try adding([other])
        do {
            _ = try engine.evaluateInput(input, asOf: TestRepository.today)
            Issue.record("two patients were evaluated as one")
        } catch {
            #expect(error.identityProblem?.data["patients"] == ["p1", "p9"])
            #expect(error.issues.first?.message.contains("2 patients") == true)
        }
    }

    func hooksRequest(contextPatient: String, prefetchPatient: String = "p1") throws -> JSONValue {
        var b = try bundle("09-escalation-at-4-months.bundle.json")
        let entries = b["entry"]?.arrayValue ?? []
        let patient = try #require(entries.first?["resource"]?.objectValue)
        var rest = b
        rest["entry"] = .array(Array(entries.dropFirst()))
        b = [:]
        var p = patient
        p["id"] = .string(prefetchPatient)
        return [
            "hook": "patient-view", "hookInstance": "h-1", "context": ["userId": "Practitioner/1", "patientId": .string(contextPatient)],
            "prefetch": [
                "patient": .object(p), "conditions": .object(rest), "observations": nil, "procedures": nil, "allergies": nil,
                "medications": nil,
            ],
        ]
    }

    @Test func aContextNamingAnotherPatientIsRefusedNamingBoth() throws {
        let input = try hooksRequest(contextPatient: "p2")
        do {
            _ = try engine.evaluateInput(input, asOf: TestRepository.today)
            Issue.record("evaluated although context.patientId names another patient")
        } catch {
            #expect(error.identityProblem?.data == ["contextPatientId": "p2", "prefetchPatientId": "p1"])
        }
        #expect(
            try engine.evaluateInput(try hooksRequest(contextPatient: "p1"), asOf: TestRepository.today).resolution.recommendations.isEmpty
                == false)
    }

    @Test func withoutAPatientNoResourceIsUsed() throws {
        var b = try bundle("09-escalation-at-4-months.bundle.json")
        b["entry"] = .array((b["entry"]?.arrayValue ?? []).filter { $0["resource"]?["resourceType"] != "Patient" })
        let plan = try engine.evaluateInput(.object(b), asOf: TestRepository.today)
        #expect(plan.resolution.recommendations.isEmpty)
        #expect(plan.input?["mapped"] == [])
        #expect(
            plan.input?["notes"]?.arrayValue?.first
                == "no Patient in the input: no resource can be shown to belong to one patient, so none is used")
    }

    // MARK: the prefetch templates ask for what the mapping uses

    @Test func theObservationTemplateAsksForEveryMappedObservationCodeAndNoOther() throws {
        let settings = engine.catalog.cdsHooks
        let template = try #require(settings.prefetch["observations"]?.stringValue)
        let codes = template.components(separatedBy: "&code=").last?.split(separator: ",").map(String.init) ?? []
        let mapped = engine.catalog.fhirMapping.entries.filter { $0.resources.contains("Observation") }.map { "\($0.system)|\($0.code)" }
        #expect(template.hasPrefix("Observation?patient={{context.patientId}}&code="))
        #expect(codes == mapped)
        #expect(settings.prefetch["medications"] == "MedicationRequest?patient={{context.patientId}}&intent=order", "as US Core exposes it")
        #expect(settings.prefetch.objectValue.map { o in o.map(\.key).sorted() } == FHIRCaseBuilder.prefetchKeys.sorted())
    }

    // MARK: no guidance is an answer

    @Test func aPatientWithNothingIliopsoasRelatedGetsNoCardsAndAPlanSayingSo() throws {
        var request = try hooksRequest(contextPatient: "p1").objectValue ?? [:]
        var prefetch = request["prefetch"]?.objectValue ?? [:]
        prefetch["conditions"] = ["resourceType": "Bundle", "type": "searchset", "total": 0]
        prefetch["observations"] = [
            "resourceType": "Bundle", "type": "searchset",
            "entry": [
                [
                    "resource": Self.observation(
                        "n1", code: "72514-3", system: "http://loinc.org", ["effectiveDateTime": "2026-01-01", "valueInteger": 3])
                ]
            ],
        ]
        prefetch["allergies"] = [
            "resourceType": "OperationOutcome",
            "issue": [["severity": "error", "code": "timeout", "diagnostics": "allergy service timed out"]],
        ]
        request["prefetch"] = .object(prefetch)
        let plan = try engine.evaluateInput(.object(request), asOf: TestRepository.today)
        #expect(plan.resolution.recommendations.isEmpty)
        #expect(plan.input?["applicable"] == false)
        let notes = plan.input?["notes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(notes.contains("nothing on record concerns iliopsoas syndrome: the algorithm does not apply"))
        #expect(notes.contains { $0.hasPrefix("prefetch \"allergies\" is an OperationOutcome") && $0.contains("timed out") })
        #expect(plan.modules.allSatisfy { $0.status == .notRun })
        #expect(cards(plan, hookInstance: "h-1").isEmpty, "{\"cards\": []}")
        let explained = plan.explanationWithInput(catalog: engine.catalog)
        #expect(explained.contains("The iliopsoas algorithm does not apply to this record."))
        #expect(explained.contains("- nothing on record concerns iliopsoas syndrome: the algorithm does not apply"))
    }

    @Test func aMissingPrefetchKeyIsTheOnlyRefusalForMissingData() throws {
        var request = try hooksRequest(contextPatient: "p1").objectValue ?? [:]
        var prefetch = request["prefetch"]?.objectValue ?? [:]
        prefetch["procedures"] = nil
        request["prefetch"] = .object(prefetch)
        do {
            _ = try engine.evaluateInput(.object(request), asOf: TestRepository.today)
            Issue.record("evaluated without the procedures it asked for")
        } catch {
            #expect(error.missingPrefetch == ["procedures"])
        }
    }

    @Test func aHipReplacementWithoutATenotomyOnRecordGetsAPlan() throws {
        var b = try bundle("15-post-arthroplasty.bundle.json")
        b["entry"] = .array((b["entry"]?.arrayValue ?? []).filter { $0["resource"]?["id"] != "pr2" })
        let plan = try engine.evaluateInput(.object(b), asOf: TestRepository.today)
        #expect(plan.caseDocument["surgicalHistory"]?["iliopsoasTenotomy"] == nil, "absence from the record is not a record of absence")
        #expect(plan.modules.contains { $0.descriptor.id == "post-arthroplasty" && $0.status != .notRun })
        #expect(!plan.resolution.recommendations.isEmpty)
        #expect(
            plan.input?["notes"]?.arrayValue?.contains(
                "/surgicalHistory/iliopsoasTenotomy is unknown: no iliopsoas tenotomy among the Procedures on record") == true)
    }

    @Test func anUnclassifiedProcedureLeavesTheTenotomyUnknown() throws {
        var b = try bundle("15-post-arthroplasty.bundle.json")
        var entries = (b["entry"]?.arrayValue ?? []).filter { $0["resource"]?["id"] != "pr2" }
        entries.append([
            "resource": [
                "resourceType": "Procedure", "id": "pr9", "status": "completed", "subject": ["reference": "Patient/p2"],
                "code": ["coding": [["system": "http://www.ama-assn.org/go/cpt", "code": "27005"]]],
            ]
        ])
        b["entry"] = .array(entries)
        let plan = try engine.evaluateInput(.object(b), asOf: TestRepository.today)
        #expect(plan.caseDocument["surgicalHistory"]?["iliopsoasTenotomy"] == nil, "not guessed")
        // Not a required fact: the plan is made, and the post-arthroplasty module names it unknown.
        #expect(plan.input?["unknown"] == nil)
        #expect(plan.resolution.recommendations.contains { $0.id == "population.post-arthroplasty-mobilization" && $0.action == .defer })
        #expect(plan.input?["notes"]?.arrayValue?.contains { $0.stringValue?.contains("Procedure/pr9") == true } == true)
    }

    @Test func factsNotOnRecordGiveAnIncompletePlanWithAWarningNotAnError() throws {
        var b = try bundle("09-escalation-at-4-months.bundle.json")
        b["entry"] = .array((b["entry"]?.arrayValue ?? []).filter { $0["resource"]?["id"] != "s2" })
        let plan = try engine.evaluateInput(.object(b), asOf: TestRepository.today)
        #expect(plan.input?["unknown"] == ["/symptoms/weaknessResistedHipFlexionInAbduction"])
        let card = try #require(cards(plan).first)
        #expect(card["indicator"] == "warning")
        #expect(card["detail"]?.stringValue?.contains("/symptoms/weaknessResistedHipFlexionInAbduction") == true)
    }

    // MARK: bad readings are dropped; readings ordered by their real time

    @Test func badReadingsAreDroppedAndReportedTheRestGoesOn() throws {
        let plan = try engine.evaluateInput(
            try adding([
                Self.observation(
                    "bad1", code: "72514-3", system: "http://loinc.org", ["effectiveDateTime": "2026-02-01", "valueInteger": 12]),
                Self.observation("bad2", code: "lefs-total", ["effectiveDateTime": "2026-02-01", "valueInteger": 95]),
                Self.observation(
                    "bad3", code: "72514-3", system: "http://loinc.org",
                    ["effectiveDateTime": "2026-02-01", "valueQuantity": ["value": 4, "unit": "mm", "code": "mm"]]),
            ]), asOf: TestRepository.today)
        let ignored = plan.input?["ignored"]?.arrayValue ?? []
        #expect(ignored.contains(["resource": "Observation/bad1", "reason": "score 12 is outside 0-10"]))
        #expect(ignored.contains(["resource": "Observation/bad2", "reason": "score 95 is outside 0-80"]))
        #expect(ignored.contains(["resource": "Observation/bad3", "reason": "unit \"mm\" is not a score"]))
        #expect(!plan.resolution.recommendations.isEmpty)
    }

    @Test func readingsAreOrderedByTheirRealTimeAcrossEffectiveTypes() throws {
        var b = try bundle("09-escalation-at-4-months.bundle.json")
        b["entry"] = .array(
            (b["entry"]?.arrayValue ?? []).filter { $0["resource"]?["code"]?["coding"]?.arrayValue?.first?["code"] != "72514-3" })
        let loinc = "http://loinc.org"
        let readings: [JSONValue] = [
            Self.observation("r3", code: "72514-3", system: loinc, ["effectiveInstant": "2026-02-10T08:00:00Z", "valueInteger": 3]),
            Self.observation("r1", code: "72514-3", system: loinc, ["effectivePeriod": ["start": "2026-01-05"], "valueInteger": 8]),
            // 09:00 at UTC+05:00 is 04:00 UTC: before r3 on the same day.
            Self.observation("r2", code: "72514-3", system: loinc, ["effectiveDateTime": "2026-02-10T09:00:00+05:00", "valueInteger": 5]),
        ]
        b["entry"] = .array((b["entry"]?.arrayValue ?? []) + readings.map { ["resource": $0] })
        let plan = try engine.evaluateInput(.object(b), asOf: TestRepository.today)
        #expect(plan.caseDocument["measurements"]?["nprs"]?.arrayValue?.compactMap { $0["value"]?.numberValue } == [8, 5, 3])
        #expect(FHIRCaseBuilder.instant("2026-02-09T23:30:00-05:00")?.instant == FHIRCaseBuilder.instant("2026-02-10T04:30:00Z")?.instant)
    }

    // MARK: CDS Hooks details

    @Test func cardIdsDifferForTwoPatientsWhoseBundlesHaveNoID() throws {
        let a = try engine.evaluateInput(try adding([], dropID: true), asOf: TestRepository.today)
        var other = try bundle("09-escalation-at-4-months.bundle.json")
        other["id"] = nil
        let text = JSONValue.object(other).serialized().replacingOccurrences(of: "Patient/p1", with: "Patient/q7").replacingOccurrences(
            of: "\"id\":\"p1\"", with: "\"id\":\"q7\"")
        let b = try engine.evaluateInput(try JSONParser().parse(Array(text.utf8)), asOf: TestRepository.today)
        let idsA = Set(cards(a).compactMap { $0["uuid"]?.stringValue })
        let idsB = Set(cards(b).compactMap { $0["uuid"]?.stringValue })
        #expect(!idsA.isEmpty && idsA.count == cards(a).count)
        #expect(idsA.isDisjoint(with: idsB), "two patients share card ids")
        #expect(cards(a) == cards(try engine.evaluateInput(try adding([], dropID: true), asOf: TestRepository.today)), "deterministic")
    }

    struct Broken: AssessmentModule {
        let descriptor = ModuleDescriptor(id: "broken", version: SemanticVersion(1, 0, 0), summary: "Always fails.", reads: [])
        func assess(_ facts: CaseFacts, context: AssessmentContext) throws -> [Proposal] { throw ModuleError("broken on purpose") }
    }

    @Test func aFailedModuleIsAWarningCard() throws {
        let withBroken = Engine(catalog: engine.catalog, modules: BuiltinModules.all + [Broken()], clock: FixedClock(TestRepository.today))
        let plan = try withBroken.evaluateInput(try adding([]), asOf: TestRepository.today)
        let warning = try #require(cards(plan).first)
        #expect(warning["indicator"] == "warning")
        #expect(warning["summary"] == "Plan incomplete: module broken failed")
    }
}
