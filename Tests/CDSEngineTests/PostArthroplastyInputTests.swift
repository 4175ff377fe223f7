@testable import CDSEngine
@testable import CDSInterop
import CDSJSON
import CDSModuleAPI
import IliopsoasCondition
import CDSTestSupport
import Foundation
import Testing

/// A hip replacement without a tenotomy on record gets a plan, from a case document or from
/// FHIR, and the post-arthroplasty module says which criterion of reference 7 is unknown.
@Suite("Post-arthroplasty outside the tenotomy evidence")
struct PostArthroplastyInputTests {
    static var engine: Engine { TestRepository.engine }

    @Test func aFHIRBundleWithAHipReplacementAndNoTenotomyGetsAPlan() throws {
        let text = try String(contentsOfFile: TestRepository.root + "/Tests/FHIR/15-post-arthroplasty.bundle.json", encoding: .utf8)
        guard case .object(var bundle) = try JSONParser().parse(text), let entries = bundle["entry"]?.arrayValue else {
            Issue.record("not a bundle")
            return
        }
        bundle["entry"] = .array(entries.filter { !$0.serialized().contains("iliopsoas-tenotomy") })
        let (facts, _) = try Self.engine.readInput(.object(bundle), asOf: TestRepository.today)
        let c = try facts.clinicalCase()
        #expect(c.surgicalHistory?.totalHipArthroplasty == true)
        #expect(c.surgicalHistory?.iliopsoasTenotomy == nil)
        let plan = Self.engine.evaluate(facts)
        let item = try #require(plan.resolution.recommendations.first { $0.id == "population.post-arthroplasty-mobilization" })
        #expect(item.action == .defer)
        #expect(item.sources.first?.proposal.rationale.rule.contains("not recorded (unknown): iliopsoas tenotomy") == true)
        #expect(!plan.evidenceIDs(of: item, catalog: Self.engine.catalog).contains("seed-ref-7"))
        #expect(plan.resolution.recommendations.contains { $0.id == "strengthening.tier-low" && $0.action == .recommend })
    }
}
