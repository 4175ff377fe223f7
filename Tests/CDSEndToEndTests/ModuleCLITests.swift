import CDSJSON
import Foundation
import Testing

@Suite("Out-of-process modules through the executable")
struct ModuleCLITests {
    static let builtins = [
        "escalation", "exercise-progression", "monitoring", "population", "post-arthroplasty", "safety-screening", "symptoms",
    ]

    @Test(arguments: builtins)
    func everyBuiltInModulePassesConformanceOutOfProcess(id: String) throws {
        let r = try CLITests.run(["module", "check", CLITests.binary, "module", "serve-builtin", id])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.hasSuffix("10 passed, 0 failed\n"))
    }

    @Test func outOfProcessBuiltInsGiveTheSamePlanAsInProcess() throws {
        // Serve every built-in out of process under another id is not possible (ids are
        // unique), so compare proposals: the conformance suite's assess already parses them;
        // here the whole plan of a vignette with the symptoms module out of process must
        // equal the in-process plan apart from the module kind.
        let dir = NSTemporaryDirectory() + "parity-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"id": "symptoms-out-of-process", "executable": "\#(CLITests.binary)", "arguments": ["module", "serve-builtin", "symptoms"]}"#
            .write(toFile: dir + "/m.json", atomically: true, encoding: .utf8)
        let r = try CLITests.run(["evaluate", "--module-manifest", dir + "/m.json", "Tests/Vignettes/01-new-patient.case.json"])
        #expect(r.status == 0)
        let plan = try JSONParser().parse(r.stdout)
        let report = plan["modules"]?.arrayValue?.first { $0["id"] == "symptoms-out-of-process" }
        #expect(report?["status"] == "failed")
        #expect(
            report?["error"]?.stringValue?.contains("reports id \"symptoms\" but its manifest") == true,
            "a module cannot pose under another id")
    }

    @Test func theExampleModulesPassConformance() throws {
        for executable in [
            URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().path + "/SnappingHipExample",
            CLITests.root + "/Plugins/Examples/python/nprs_baseline_module.py",
        ] {
            let r = try CLITests.run(["module", "check", executable])
            #expect(r.status == 0, "\(executable): \(r.stdout)")
        }
    }

    @Test(arguments: ["trap", "hang", "garbage", "incompatible", "stdout-noise", "no-start", "wrong-id"])
    func faultyModulesFailConformance(mode: String) throws {
        let r = try CLITests.run(["module", "check", "--timeout-ms", "500", CLITests.root + "/Tests/Fixtures/faulty_module.py", mode])
        #expect(r.status == 1, "\(mode): \(r.stdout)")
        #expect(r.stdout.contains("FAIL"))
    }

    @Test func theHostLoadsTheExampleModulesFromAModulesDirectory() throws {
        let r = try CLITests.run([
            "evaluate", "--modules-dir", "Plugins/Examples/modules.d", "Tests/Vignettes/09-escalation-at-4-months.case.json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let plan = try JSONParser().parse(r.stdout)
        let statuses = Dictionary(
            uniqueKeysWithValues: (plan["modules"]?.arrayValue ?? []).compactMap { m in
                m["id"]?.stringValue.map { ($0, m["status"]?.stringValue ?? "") }
            })
        #expect(statuses["snapping-hip-example"] == "contributed")
        #expect(statuses["nprs-baseline-example"] == "no-proposals", "the case has NPRS readings")
        let iliopsoas = plan["recommendations"]?.arrayValue?.first { $0["id"] == "stretching.iliopsoas" }
        #expect(iliopsoas?["modules"] == ["exercise-progression", "snapping-hip-example"])
        let listing = try CLITests.run(["modules", "--modules-dir", "Plugins/Examples/modules.d"])
        #expect(
            listing.stdout.split(separator: "\n").contains {
                $0.hasPrefix("snapping-hip-example ") && $0.contains("external") && $0.contains("loaded")
            })
    }

    @Test func aBrokenManifestStopsTheHostWithFilePathMessage() throws {
        let dir = NSTemporaryDirectory() + "bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"id": "x"}"#.write(toFile: dir + "/x.json", atomically: true, encoding: .utf8)
        let r = try CLITests.run(["modules", "--modules-dir", dir])
        #expect(r.status == 78)
        #expect(r.stderr == "cds: error: \(dir)/x.json: /executable: expected the path of the module executable\n")
    }

    @Test func aNewModulesPackLoadsAndItsPlaceholderIsRefused() throws {
        let dir = NSTemporaryDirectory() + "new-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let created = try CLITests.run(["module", "new", "HipSnapping", "--directory", dir + "/HipSnapping"])
        #expect(created.status == 0, "\(created.stderr)")
        // The skeleton pack loads with the Catalog as written (its sha256 matches its source).
        let loads = try CLITests.run(["catalog", "check", "--pack-dir", dir + "/HipSnapping/pack"])
        #expect(loads.status == 0, "\(loads.stderr)")
        // The manifest check loads it too, and refuses the placeholder recommendation.
        let check = try CLITests.run(["module", "check", dir + "/HipSnapping/module.json"])
        #expect(check.status == 1)
        let rows = check.stdout.split(separator: "\n")
        #expect(rows.contains { $0.hasPrefix("pack loads ") && $0.contains(" pass ") }, "\(check.stdout)")
        #expect(
            rows.contains { $0.hasPrefix("pack content ") && $0.contains(" FAIL ") && $0.contains("hip-snapping.placeholder-replace-me") },
            "\(check.stdout)")
        // Nothing is built yet: the executable cannot start.
        #expect(rows.contains { $0.hasPrefix("handshake ") && $0.contains(" FAIL ") }, "\(check.stdout)")
    }
}
