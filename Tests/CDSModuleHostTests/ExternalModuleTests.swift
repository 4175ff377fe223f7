import CDSBuiltins
import CDSEngine
@testable import CDSModuleHost
import CDSModuleAPI
import CDSTestSupport
import Foundation
import Logging
import Testing

enum HostFixture {
    static var root: String { TestRepository.root }
    static var catalog: Catalog { TestRepository.catalog }

    static let faulty = root + "/Tests/Fixtures/faulty_module.py"

    static func manifest(_ mode: String, timeout: Int = 1000) -> ModuleManifest {
        ModuleManifest(
            id: "faulty-\(mode)", executable: faulty, arguments: [mode], priority: 40, timeoutMilliseconds: timeout, origin: "test")
    }

    /// The fixture module reporting module API `api` in its handshake, as `faulty-api`.
    static func manifest(reportingAPI api: String) -> ModuleManifest {
        ModuleManifest(
            id: "faulty-api", executable: faulty, arguments: ["api-\(api)", "faulty-api"], priority: 40, timeoutMilliseconds: 1000,
            origin: "test")
    }

    static var fastPolicy: SupervisionPolicy {
        var p = SupervisionPolicy()
        p.backoffMilliseconds = 0
        p.maximumBackoffMilliseconds = 0
        p.failureThreshold = 3
        p.cooldownMilliseconds = 60_000
        p.terminationGraceMilliseconds = 200
        return p
    }

    static func host(_ manifests: [ModuleManifest], policy: SupervisionPolicy = fastPolicy) -> (Engine, ExternalModules) {
        var logger = Logger(label: "test")
        logger.logLevel = .critical  // the faulty modules' stderr floods would drown the test output
        let external = ExternalModules.start(manifests, catalog: catalog.view, policy: policy, logger: logger)
        let engine = Engine(
            catalog: catalog, modules: BuiltinModules.all + external.modules, refusals: external.refusals,
            fallbackPriorities: external.priorities, clock: FixedClock(CalendarDate("2026-03-02")!))
        return (engine, external)
    }

    static func sampleCase() throws -> CaseFacts {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/Tests/Vignettes/09-escalation-at-4-months.case.json")))
        return try CaseReader(schema: catalog.caseSchema).read(bytes)
    }

    static func report(_ plan: Plan, _ id: String) -> ModuleReport? { plan.modules.first { $0.descriptor.id == id } }
}

@Suite("External modules under supervision", .serialized)
struct ExternalModuleTests {
    @Test func aWellBehavedModuleContributesLikeABuiltIn() throws {
        let (engine, external) = HostFixture.host([HostFixture.manifest("good")])
        defer { external.stop() }
        let plan = engine.evaluate(try HostFixture.sampleCase())
        #expect(HostFixture.report(plan, "faulty-good")?.status == .contributed)
        #expect(HostFixture.report(plan, "faulty-good")?.priority == 40, "manifest priority, the policy does not name it")
        let stretch = try #require(plan.resolution.recommendations.first { $0.id == "stretching.hip-flexor" })
        #expect(stretch.sources.map(\.module).contains("faulty-good"))
    }

    @Test(arguments: [
        ("trap", "closed its output during assess (killed by signal 6 (SIGABRT))"),
        ("hang", "no answer within 3000 ms; stopped it (SIGTERM, then SIGKILL)"),
        ("garbage", "answered with invalid JSON"),
        ("stdout-noise", "answered with invalid JSON"),
        ("wrong-id", "answered with something other than the reply to request"),
    ])
    func aFaultyModuleIsReportedAndTheOthersStillContribute(mode: String, reason: String) throws {
        let (engine, external) = HostFixture.host([HostFixture.manifest(mode, timeout: 3000)])
        defer { external.stop() }
        let plan = engine.evaluate(try HostFixture.sampleCase())
        let report = try #require(HostFixture.report(plan, "faulty-\(mode)"))
        #expect(report.status == .failed)
        #expect(report.error?.contains(reason) == true, "\(report.error ?? "")")
        #expect(plan.modules.filter { $0.status == .contributed }.count == 4, "the built-in modules still contribute")
        #expect(plan.resolution.recommendations.contains { $0.id == "escalation.corticosteroid-injection" })
    }

    @Test func anIncompatibleProtocolIsRefusedAndListed() throws {
        let (engine, external) = HostFixture.host([HostFixture.manifest("incompatible")])
        defer { external.stop() }
        #expect(engine.registry.refused.map(\.descriptor.id) == ["faulty-incompatible"])
        #expect(
            engine.registry.refused[0].reason == "module \"faulty-incompatible\" speaks module protocol 9.0; this host supports major 1")
        let plan = engine.evaluate(try HostFixture.sampleCase())
        #expect(HostFixture.report(plan, "faulty-incompatible")?.status == .refused)
    }

    /// Module API 2.0 did not change the wire contract: an external module reporting API 1.0
    /// or 1.1 (or 2.0) in its handshake loads and contributes; one reporting 3.0 is refused.
    @Test(arguments: ["1.0", "1.1", "2.0"])
    func anExternalModuleOfAPI1xOr2xLoads(api: String) throws {
        let (engine, external) = HostFixture.host([HostFixture.manifest(reportingAPI: api)])
        defer { external.stop() }
        #expect(engine.registry.refused.isEmpty)
        let plan = engine.evaluate(try HostFixture.sampleCase())
        let report = try #require(HostFixture.report(plan, "faulty-api"))
        #expect(report.status == .contributed)
        #expect(report.descriptor.apiVersion.description == api)
    }

    @Test func anExternalModuleBuiltAgainstAFutureMajorIsRefused() throws {
        let (engine, external) = HostFixture.host([HostFixture.manifest(reportingAPI: "3.0")])
        defer { external.stop() }
        #expect(engine.registry.refused.map(\.descriptor.id) == ["faulty-api"])
        #expect(
            engine.registry.refused.first?.reason
                == "module \"faulty-api\" 1.0.0 was built against module API 3.0; this host speaks 2.0 and loads 2.0 through 2.0 (external modules: also 1.x)"
        )
        let plan = engine.evaluate(try HostFixture.sampleCase())
        #expect(HostFixture.report(plan, "faulty-api")?.status == .refused)
    }

    @Test func aModuleThatCannotStartIsReportedInEveryPlan() throws {
        let (engine, external) = HostFixture.host([HostFixture.manifest("no-start")])
        defer { external.stop() }
        let entry = try #require(engine.registry.modules.first { $0.descriptor.id == "faulty-no-start" })
        #expect(entry.kind == "external")
        #expect(entry.state.hasPrefix("not started: no answer to initialize (exited with status 3)"))
        let plan = engine.evaluate(try HostFixture.sampleCase())
        #expect(
            HostFixture.report(plan, "faulty-no-start")?.error?.hasPrefix(
                "threw: did not start: no answer to initialize (exited with status 3)") == true)
    }

    @Test func aCrashedModuleIsRestartedAndRepeatedFailuresOpenTheCircuit() throws {
        let (engine, external) = HostFixture.host([HostFixture.manifest("trap")])
        defer { external.stop() }
        let c = try HostFixture.sampleCase()
        var errors: [String] = []
        for _ in 0..<4 {
            errors.append(HostFixture.report(engine.evaluate(c), "faulty-trap")?.error ?? "")
        }
        #expect(errors[0].contains("SIGABRT"))
        #expect(errors[1].contains("SIGABRT"), "restarted, then crashed again")
        #expect(errors[2].contains("SIGABRT"))
        #expect(errors[3].hasPrefix("threw: not called: 3 consecutive failures, paused for"), "\(errors[3])")
    }

    @Test func backoffDelaysTheRestart() throws {
        var policy = HostFixture.fastPolicy
        policy.backoffMilliseconds = 60_000
        policy.maximumBackoffMilliseconds = 60_000
        let (engine, external) = HostFixture.host([HostFixture.manifest("trap")], policy: policy)
        defer { external.stop() }
        let c = try HostFixture.sampleCase()
        _ = engine.evaluate(c)
        let second = HostFixture.report(engine.evaluate(c), "faulty-trap")?.error ?? ""
        #expect(second.hasPrefix("threw: restarting after a failure in "), "\(second)")
    }

    @Test func aModuleFloodingStandardErrorDoesNotBlock() throws {
        let (engine, external) = HostFixture.host([HostFixture.manifest("flood-stderr", timeout: 5000)])
        defer { external.stop() }
        let c = try HostFixture.sampleCase()
        for _ in 0..<3 {
            #expect(HostFixture.report(engine.evaluate(c), "faulty-flood-stderr")?.status == .contributed)
        }
    }

    @Test func manifestsAreCheckedWithPreciseErrors() throws {
        let dir = NSTemporaryDirectory() + "manifests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"id": "x", "executable": "bin/x", "timeout": 5}"#.write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
        do {
            _ = try ModuleConfiguration(directories: [dir]).loadManifests()
            Issue.record("accepted")
        } catch {
            #expect(
                error.description
                    == "\(dir)/a.json: /timeout: unknown member (allowed: arguments, executable, id, pack, priority, timeoutMilliseconds)")
        }
        try #"{"id": "x", "executable": "bin/x"}"#.write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
        let manifests = try ModuleConfiguration(directories: [dir]).loadManifests()
        #expect(manifests.map(\.executable) == [dir + "/bin/x"], "relative to the manifest")
        try #"{"modulesDirectory": "."}"#.write(toFile: dir + "/cds.conf.json", atomically: true, encoding: .utf8)
        var config = ModuleConfiguration()
        try config.add(configurationFile: dir + "/cds.conf.json")
        #expect(config.directories == [dir + "/."])
    }
}
