import CDSBuiltins
@testable import CDSEngine
import CDSModuleAPI
import CDSTestSupport
import Foundation
import Testing

/// Decision rules in `policy.json`: local policy is labelled, sourceless and configurable;
/// published thresholds carry their named source.
@Suite("Catalog decision rules (local policy and published thresholds)")
struct CatalogRuleTests {
    @Test func theShippedRulesAreLabelledAndSourced() throws {
        let rules = Dictionary(uniqueKeysWithValues: Repository.catalog.rules.map { ($0.id, $0) })
        for id in [
            "symptoms.presentation-fit", "exercise.step-back-on-intolerance", "escalation.window", "strengthening.mvic-bounds",
            "progression.hold-when-worse",
        ] {
            #expect(rules[id]?.kind == "local-policy" && rules[id]?.sources.isEmpty == true, "\(id)")
        }
        #expect(rules["progression.nprs-important-change"]?.sources.map(\.source) == ["farrar-2001"])
        #expect(
            rules["progression.nprs-important-change"]?.parameters == [.init(name: "points", value: 2), .init(name: "percent", value: 30)])
        #expect(rules["progression.lefs-important-change"]?.sources.map(\.source) == ["binkley-1999"])
        #expect(rules["progression.lefs-important-change"]?.parameters == [.init(name: "points", value: 9)])
        #expect(Repository.catalog.view.rules["symptoms.presentation-fit"]?.parameters["minimumPresent"] == 1)
    }

    @Test func aLocalPolicyWithASourceIsRefused() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace(
            "packs/iliopsoas/policy.json", "\"parameters\": { \"stepsBack\": 1 }",
            with: "\"parameters\": { \"stepsBack\": 1 }, \"sources\": [{ \"source\": \"binkley-1999\" }]")
        guard case .failure(let error) = scratch.load() else {
            Issue.record("loaded")
            return
        }
        #expect(
            error.issues.map(\.description).contains(
                "packs/iliopsoas/policy.json: /rules/1/sources: a local policy has no source (it is not evidence); a rule with a source is a published-threshold"
            ), "\(error.issues)")
    }

    @Test func aThresholdWithAnUnknownSourceIsRefused() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace("packs/iliopsoas/policy.json", "{ \"source\": \"farrar-2001\"", with: "{ \"source\": \"farrar-2002\"")
        guard case .failure(let error) = scratch.load() else {
            Issue.record("loaded")
            return
        }
        #expect(
            error.issues.map(\.description).contains(
                "packs/iliopsoas/policy.json: /rules/4/sources/0/source: unknown source \"farrar-2002\" (not in sources.json)"),
            "\(error.issues)")
    }

    /// The clinical owner changes a local policy in the Catalog and the plan follows, with no
    /// code change: with two symptoms required, one symptom no longer starts the algorithm.
    @Test func aLocalPolicyIsConfigurable() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace("packs/iliopsoas/policy.json", "\"minimumPresent\": 1", with: "\"minimumPresent\": 2")
        let catalog = try scratch.load().get()
        let engine = Engine(catalog: catalog, modules: BuiltinModules.all, clock: FixedClock(TestRepository.today))
        let text = try String(
            contentsOfFile: TestRepository.root + "/Tests/Vignettes/27-one-symptom-fits-weakly.case.json", encoding: .utf8)
        let plan = engine.evaluate(try engine.caseReader.read(Array(text.utf8)))
        let cryo = plan.resolution.recommendations.first { $0.id == "initial.cryotherapy" }
        #expect(cryo?.action == .defer)
        #expect(cryo?.sources.first?.proposal.rationale.rule.contains("below the local policy's minimum of 2") == true)
        #expect(plan.jsonText(catalog: catalog).count > 0)
        let json = plan.json(catalog: catalog)
        #expect(json["policies"]?.arrayValue?.compactMap { $0["id"]?.stringValue }.contains("symptoms.presentation-fit") == true)
        #expect(plan.explanation(catalog: catalog).contains("symptoms.presentation-fit [local policy, set by the clinical owner]"))
    }
}
