import CDSBuiltins
import CDSEngine
import CDSJSON
import CDSModuleAPI
import CDSTestSupport
import Foundation
import Testing

/// Golden clinical vignettes: `Tests/Vignettes/NAME.case.json` in, `NAME.plan.json` out,
/// byte for byte. Regenerate after an intended change with `CDS_UPDATE_GOLDEN=1 make test`
/// and review the diff like code. The clinical intent of each vignette is also asserted
/// below, so a golden file cannot silently enshrine a wrong plan.
@Suite("Clinical vignettes")
struct VignetteTests {
    static var directory: String { TestRepository.root + "/Tests/Vignettes" }

    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".case.json") }.map { String($0.dropLast(".case.json".count)) }.sorted()
    }()

    static var engine: Engine { TestRepository.engine }

    static func plan(_ name: String) throws -> (Plan, String) {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name).case.json")))
        let plan = engine.evaluate(try engine.caseReader.read(bytes))
        return (plan, plan.json(catalog: engine.catalog).serializedPretty() + "\n")
    }

    @Test func thereAreEnoughVignettesAndEachHasExpectations() {
        #expect(Self.names.count >= 12)
        #expect(Set(Self.names) == Set(Self.expectations.keys), "every vignette states its clinical intent below")
    }

    @Test(arguments: names)
    func planMatchesGolden(name: String) throws {
        let (_, text) = try Self.plan(name)
        let goldenPath = "\(Self.directory)/\(name).plan.json"
        if ProcessInfo.processInfo.environment["CDS_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: goldenPath, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: goldenPath, encoding: .utf8)
        #expect(text == golden, "plan for \(name) differs from \(name).plan.json; if intended, regenerate with CDS_UPDATE_GOLDEN=1")
    }

    @Test(arguments: names)
    func planCarriesTheClinicalIntent(name: String) throws {
        let (plan, _) = try Self.plan(name)
        let actions = Dictionary(uniqueKeysWithValues: plan.resolution.recommendations.map { ($0.id.rawValue, $0.action.rawValue) })
        for (id, expected) in Self.expectations[name] ?? [:] {
            #expect(actions[id] ?? "absent" == expected, "\(name): \(id)")
        }
        #expect(plan.modules.allSatisfy { $0.status != .failed && $0.status != .refused }, "\(name): \(plan.modules)")
        for r in plan.resolution.recommendations {
            #expect(!r.sources.isEmpty && r.sources.allSatisfy { !$0.proposal.rationale.rule.isEmpty }, "\(name): \(r.id) unexplained")
        }
    }

    @Test func sameCaseGivesByteIdenticalPlans() throws {
        for name in Self.names {
            #expect(try Self.plan(name).1 == Self.plan(name).1)
        }
    }

    /// What each vignette must show: recommendation id -> action, or "absent".
    static let expectations: [String: [String: String]] = [
        "01-new-patient": [
            "initial.relative-rest": "recommend", "initial.nsaids": "recommend", "initial.cryotherapy": "recommend",
            "program.hip-rotation-strengthening": "recommend", "strengthening.tier-low": "recommend",
            "strengthening.tier-moderate": "absent", "stretching.iliopsoas": "recommend",
            "escalation.corticosteroid-injection": "defer", "escalation.endoscopic-surgery": "defer", "monitoring.nprs": "recommend",
        ],
        "02-low-tier-tolerated": ["strengthening.tier-low": "absent", "strengthening.tier-moderate": "recommend"],
        "03-moderate-tier-tolerated": ["strengthening.tier-moderate": "absent", "strengthening.tier-high": "recommend"],
        "04-high-tier-tolerated": [
            "strengthening.tier-high": "absent", "advanced.open-kinetic-chain": "recommend", "advanced.external-loads": "recommend",
            "advanced.dynamic-exercises": "recommend", "advanced.progressive-strength-training": "recommend",
        ],
        "05-moderate-tier-not-tolerated": ["strengthening.tier-low": "recommend", "strengthening.tier-moderate": "defer", "strengthening.tier-high": "absent"],
        "06-low-tier-not-tolerated": ["strengthening.tier-low": "consider", "strengthening.tier-moderate": "absent"],
        "07-advanced-not-tolerated": ["strengthening.tier-high": "recommend", "advanced.external-loads": "defer", "advanced.open-kinetic-chain": "defer"],
        "08-escalation-before-3-months": ["escalation.corticosteroid-injection": "defer", "escalation.endoscopic-surgery": "defer"],
        "09-escalation-at-4-months": ["escalation.corticosteroid-injection": "consider", "escalation.endoscopic-surgery": "consider", "strengthening.tier-high": "absent"],
        "10-escalation-beyond-6-months": ["escalation.corticosteroid-injection": "consider", "escalation.endoscopic-surgery": "consider"],
        "11-improving-at-5-months": ["escalation.corticosteroid-injection": "defer", "escalation.endoscopic-surgery": "defer", "advanced.dynamic-exercises": "recommend"],
        "12-dancer": ["population.dancer-conservative-care": "recommend", "initial.nsaids": "recommend", "monitoring.return-to-activity": "recommend"],
        "13-student-dancer": ["population.dancer-conservative-care": "recommend", "strengthening.tier-moderate": "recommend"],
        "14-athlete-return-to-sport": ["monitoring.return-to-activity": "recommend", "population.dancer-conservative-care": "absent", "advanced.dynamic-exercises": "recommend"],
        "15-post-arthroplasty-tenotomy": ["population.post-arthroplasty-mobilization": "recommend", "strengthening.tier-low": "recommend"],
        "16-nsaid-contraindication": ["initial.nsaids": "avoid", "initial.cryotherapy": "recommend", "initial.relative-rest": "recommend"],
        "17-lidocaine-allergy-at-escalation": ["escalation.corticosteroid-injection": "avoid", "escalation.endoscopic-surgery": "consider"],
        "18-presentation-does-not-fit": [
            "initial.nsaids": "defer", "program.hip-rotation-strengthening": "defer", "strengthening.tier-low": "defer",
            "escalation.corticosteroid-injection": "defer", "monitoring.nprs": "defer",
        ],
        "19-dancer-with-nsaid-allergy-failed-care": [
            "initial.nsaids": "avoid", "population.dancer-conservative-care": "recommend", "strengthening.tier-low": "recommend",
            "strengthening.tier-moderate": "defer", "escalation.corticosteroid-injection": "consider",
        ],
    ]
}
