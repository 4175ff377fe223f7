import CDSJSON
import Foundation
import Testing

/// An external module in Python that ships its own knowledge pack (Tests/Packs/synthetic-y,
/// synthetic content for the tests), loaded by its manifest beside the iliopsoas pack.
@Suite("Knowledge packs, end to end")
struct KnowledgePackCLITests {
    static let modules = "Tests/Packs/modules.d"

    /// Vignette 01 with marker gamma, the fact the synthetic pack declares.
    static func caseWithGamma(_ gamma: Any = true) throws -> String {
        let path = CLITests.root + "/Tests/Vignettes/01-new-patient.case.json"
        var c = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        c["syntheticY"] = ["gamma": gamma]
        return String(decoding: try JSONSerialization.data(withJSONObject: c), as: UTF8.self)
    }

    /// A scratch folder with a copy of the synthetic pack (`pack/`) and a manifest
    /// (`module.json`) running the repository's synthetic module with it.
    static func scratchModule() throws -> String {
        let scratch = NSTemporaryDirectory() + "cds-packs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLITests.root + "/Tests/Packs/synthetic-y/pack", toPath: scratch + "/pack")
        try #"{"id": "synthetic-y", "executable": "\#(CLITests.root)/Tests/Packs/synthetic-y/synthetic_y_module.py", "pack": "pack"}"#
            .write(toFile: scratch + "/module.json", atomically: true, encoding: .utf8)
        return scratch
    }

    @Test func thePythonModuleAndItsPackContributeToOnePlan() throws {
        let r = try CLITests.run(["evaluate", "--modules-dir", Self.modules, "-"], stdin: try Self.caseWithGamma())
        #expect(r.status == 0, "\(r.stderr)")
        let plan = try JSONParser().parse(Array(r.stdout.utf8))
        let items = plan["recommendations"]?.arrayValue ?? []
        let gamma = try #require(items.first { $0["id"]?.stringValue == "synthetic-y.step-gamma" })
        #expect(gamma["action"]?.stringValue == "consider")
        #expect(gamma["modules"]?.arrayValue?.compactMap(\.stringValue) == ["synthetic-y"])
        #expect(items.contains { $0["id"]?.stringValue == "program.hip-rotation-strengthening" })
        let module = plan["modules"]?.arrayValue?.first { $0["id"]?.stringValue == "synthetic-y" }
        #expect(module?["status"]?.stringValue == "contributed")
        #expect(module?["priority"]?.integerValue == 30)
        let packs = plan["provenance"]?["packs"]?.arrayValue ?? []
        #expect(packs.compactMap { $0["id"]?.stringValue } == ["iliopsoas", "synthetic-y"])
        #expect(packs.last?["version"]?.stringValue == "0.2.0")
        // The iliopsoas part of the plan is what the iliopsoas pack alone gives.
        let alone = try CLITests.run(["evaluate", "Tests/Vignettes/01-new-patient.case.json"])
        let aloneItems = try JSONParser().parse(Array(alone.stdout.utf8))["recommendations"]?.arrayValue ?? []
        #expect(items.filter { $0["id"]?.stringValue?.hasPrefix("synthetic-y.") == false } == aloneItems)
    }

    @Test func thePacksFactIsPartOfTheCaseFormatOnlyWithThePack() throws {
        let without = try CLITests.run(["evaluate", "-"], stdin: try Self.caseWithGamma())
        #expect(without.status == 65)
        #expect(without.stderr.contains("/syntheticY"), "\(without.stderr)")
        let wrongType = try CLITests.run(["evaluate", "--modules-dir", Self.modules, "-"], stdin: try Self.caseWithGamma("yes"))
        #expect(wrongType.status == 65)
        #expect(wrongType.stderr.contains("/syntheticY/gamma"), "\(wrongType.stderr)")
    }

    @Test func aBrokenPackInAManifestStopsTheStartAndNamesTheFile() throws {
        let scratch = try Self.scratchModule()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let file = scratch + "/pack/recommendations.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "consider synthetic step gamma.\" }", with: "consider synthetic step delta.\" }")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try CLITests.run(["evaluate", "--module-manifest", scratch + "/module.json", "-"], stdin: try Self.caseWithGamma())
        #expect(r.status == 78)
        #expect(r.stdout.isEmpty)
        #expect(
            r.stderr.contains("recommendations.json: /recommendations/0/sources/0/quote: not found verbatim in source \"synthy-source\""),
            "\(r.stderr)")
        #expect(r.stderr.contains(scratch + "/pack/recommendations.json"), "\(r.stderr)")
        #expect(r.stderr.contains("nothing was loaded"))
    }

    @Test func catalogCommandsSeeEveryPack() throws {
        let list = try CLITests.run(["catalog", "list", "--pack-dir", "Tests/Packs/synthetic-x", "--pack", "synthetic-x"])
        #expect(list.status == 0, "\(list.stderr)")
        let rows = list.stdout.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).prefix(3).joined(separator: " ")
        }
        #expect(rows == ["ID PACK PHASE", "synthx.step-alpha synthetic-x synthx-review", "synthx.step-beta synthetic-x synthx-review"])
        let all = try CLITests.run(["catalog", "list"])
        #expect(all.stdout.split(separator: "\n").count == 24)
        let unknown = try CLITests.run(["catalog", "list", "--pack", "synthetic-x"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("no pack \"synthetic-x\" is loaded (loaded: iliopsoas"))
        let check = try CLITests.run([
            "catalog", "check", "--pack-dir", "Tests/Packs/synthetic-x", "--pack-dir", "Tests/Packs/synthetic-y/pack",
        ])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("  pack synthetic-x 0.1.0"))
        #expect(check.stdout.contains("  pack synthetic-y 0.2.0"))
        let report = try CLITests.run(["catalog", "traceability", "--pack-dir", "Tests/Packs/synthetic-y/pack", "--pack", "synthetic-y"])
        #expect(report.stdout.contains("| 2 | Marker gamma present: consider synthetic step gamma. | `synthetic-y.step-gamma` |"))
        #expect(!report.stdout.contains("## Pack `iliopsoas`"))
    }

    @Test func cdsModulesShowsEachModulesPackAndPriority() throws {
        let r = try CLITests.run(["modules", "--modules-dir", Self.modules])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first?.prefix(5) == ["MODULE", "VERSION", "API", "PACK", "PRIORITY"])
        #expect(rows.contains { $0.prefix(5) == ["synthetic-y", "0.2.0", "2.0", "synthetic-y", "30"] }, "\(r.stdout)")
        #expect(rows.contains { $0.prefix(5) == ["symptoms", "1.1.0", "2.0", "iliopsoas", "90"] }, "\(r.stdout)")
    }

    @Test func aModuleWithoutAPriorityDoesNotStart() throws {
        let scratch = try Self.scratchModule()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let policy = scratch + "/pack/policy.json"
        let text = try String(contentsOfFile: policy, encoding: .utf8)
        try text.replacingOccurrences(of: "\"synthetic-y\": 30", with: "\"synthetic-z\": 30").write(
            toFile: policy, atomically: true, encoding: .utf8)
        let r = try CLITests.run(["evaluate", "--module-manifest", scratch + "/module.json", "-"], stdin: try Self.caseWithGamma())
        #expect(r.status == 78)
        #expect(r.stderr.contains("module \"synthetic-y\" has no priority"), "\(r.stderr)")
    }
}
