import CDSEngine
@testable import CDSModuleHost
import CDSJSON
@_spi(ConditionLibrary) import CDSModuleAPI
import CDSModuleProtocol
import Foundation
import Logging
import Testing

/// Whether `pid` is a live process (a zombie, dead but not reaped, is not).
func isAlive(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(after: close)...].dropFirst().first
    return state != "Z" && state != "X"
}

/// Waits (up to `seconds`) until none of `pids` is alive; the ones still alive then.
func survivors(_ pids: [pid_t], within seconds: Double = 10) -> [pid_t] {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if !pids.contains(where: isAlive) { return [] }
        usleep(20_000)
    }
    return pids.filter(isAlive)
}

/// The pids a fixture module wrote to `path`, once it has written them.
func pids(in path: String, atLeast count: Int, within seconds: Double = 20) -> [pid_t] {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let list = text.split(separator: "\n").compactMap { pid_t($0) }
            if list.count >= count { return list }
        }
        usleep(20_000)
    }
    return []
}

/// A log handler that keeps every message with its metadata, for assertions on the log.
struct CapturingLogHandler: LogHandler {
    final class Store: @unchecked Sendable {
        let lock = NSLock()
        var lines: [(Logger.Level, String)] = []
        var all: [(Logger.Level, String)] { lock.withLock { lines } }
    }
    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let text =
            "\(event.message) " + (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        store.lock.withLock { store.lines.append((event.level, text)) }
    }
}

extension ModuleProcess.Received {
    var isClosed: Bool {
        if case .closed = self { return true }
        return false
    }
}

extension HostFixture {
    static func manifest(_ mode: String, state: String, timeout: Int = 5000) -> ModuleManifest {
        ModuleManifest(
            id: "faulty-\(mode)", executable: faulty, arguments: [mode, "faulty-\(mode)", state], priority: 40,
            timeoutMilliseconds: timeout, origin: "test")
    }

    static func temporaryPath(_ name: String) -> String { NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)" }
}

extension ExternalModuleTests {
    @Test func aTimedOutModuleGoesWithTheChildrenItForked() throws {
        let state = HostFixture.temporaryPath("fork-hang")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let (engine, external) = HostFixture.host([HostFixture.manifest("fork-hang", state: state, timeout: 3000)])
        defer { external.stop() }
        let plan = engine.evaluate(try HostFixture.sampleCase())
        #expect(HostFixture.report(plan, "faulty-fork-hang")?.error?.contains("no answer within 3000 ms") == true)
        let tree = pids(in: state, atLeast: 3)
        #expect(tree.count == 3, "the module and its two children")
        #expect(survivors(tree) == [], "the whole process group is stopped, not only the module")
    }

    @Test func aStoppedModuleGoesWithTheChildrenItForked() throws {
        let state = HostFixture.temporaryPath("fork-good")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let (engine, external) = HostFixture.host([HostFixture.manifest("fork-good", state: state)])
        let c = try HostFixture.sampleCase()
        for _ in 0..<2 {
            #expect(HostFixture.report(engine.evaluate(c), "faulty-fork-good")?.status == .contributed)
        }
        let children = pids(in: state, atLeast: 2)
        #expect(children.count == 2 && children.allSatisfy(isAlive))
        external.stop()
        #expect(survivors(children) == [], "children forked on each call go when the module is stopped")
    }

    @Test func terminateAllEndsAHungCallAtOnce() throws {
        let state = HostFixture.temporaryPath("fork-hang")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let (engine, external) = HostFixture.host([HostFixture.manifest("fork-hang", state: state, timeout: 600_000)])
        defer {
            external.stop()
            OutOfProcessModule.stopping.withLock { $0 = false }
        }
        let c = try HostFixture.sampleCase()
        let stopper = Thread {
            _ = pids(in: state, atLeast: 3)
            ExternalModules.terminateAll()
        }
        stopper.start()
        let plan = engine.evaluate(c)
        let error = HostFixture.report(plan, "faulty-fork-hang")?.error ?? ""
        #expect(error == "threw: not answered: the host is stopping, so the module was stopped", "not the 600 s deadline: \(error)")
        #expect(survivors(pids(in: state, atLeast: 3)) == [])
        let after = HostFixture.report(engine.evaluate(c), "faulty-fork-hang")?.error
        #expect(after == "threw: not called: the host is stopping", "no restart once the host stops")
    }

    /// A descriptor the host's process left inheritable (an embedding program's or a test
    /// harness's pipe) is not passed on: a module (and the guardian) get their standard
    /// streams only. An inherited pipe end kept another process's input open for the
    /// module's whole life.
    @Test func aModuleInheritsOnlyItsStandardStreams() throws {
        var leaked: [Int32] = [0, 0]
        #expect(pipe(&leaked) == 0)  // not close-on-exec
        defer { for fd in leaked { close(fd) } }
        let process = try ModuleProcess.spawn(
            "/bin/sh",
            ["-c", "for fd in 0 1 2 \(leaked[0]) \(leaked[1]); do [ -e /proc/$$/fd/$fd ] && printf 'o' || printf 'c'; done; echo"],
            label: "m", logger: Logger(label: "test"))
        defer { process.finish(grace: 100) }
        guard case .line(let bytes) = process.receive(until: Monotonic.milliseconds() + 10_000) else {
            Issue.record("no line from the child")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "ooocc", "0, 1, 2 open; the parent's inheritable pipe closed")
    }

    /// A request goes out in three pieces by `writev` (the case's bytes are not copied into
    /// the line): pieces far larger than the pipe, sent to a module that starts reading late,
    /// so that writes are partial and wait, arrive whole and in order.
    @Test func aLineSentInPiecesArrivesWholeThroughPartialWrites() throws {
        let a = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000)
        let b = (0..<300_000).map { UInt8(ascii: "0") + UInt8($0 % 10) }
        let c = [UInt8](repeating: UInt8(ascii: "c"), count: 70_001) + [0x0A]
        let process = try ModuleProcess.spawn(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import sys, time; time.sleep(0.3); l = sys.stdin.buffer.readline(); "
                    + "print(len(l), l.count(b'a'), l.count(b'c'), l[1000:300000+1000] == bytes(48 + i % 10 for i in range(300000)))",
            ],
            label: "m", logger: Logger(label: "test"))
        defer { process.finish(grace: 100) }
        #expect(process.send(a, b, c, until: Monotonic.milliseconds() + 10_000))
        guard case .line(let bytes) = process.receive(until: Monotonic.milliseconds() + 10_000) else {
            Issue.record("no line from the child")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "371002 1000 70001 True")
    }

    @Test func stoppingAModuleTwiceClosesNothingElse() throws {
        let process = try ModuleProcess.spawn(HostFixture.faulty, ["good", "m"], label: "m", logger: Logger(label: "test"))
        process.terminate(grace: 100)
        // The two descriptors just freed (its input and output) are the lowest free numbers:
        // the next two opens take them.
        let others = [open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY)]
        defer { for fd in others { close(fd) } }
        #expect(others.allSatisfy { $0 >= 0 })
        process.terminate(grace: 100)
        process.finish(grace: 100)
        #expect(others.allSatisfy { fcntl($0, F_GETFD) != -1 }, "a second stop closed a descriptor it no longer owned")
        #expect(process.receive(until: Monotonic.milliseconds() + 100).isClosed)
    }

    @Test(arguments: [
        ("shift-reads", "refused the restarted module: it reads /symptoms /history, first /symptoms"),
        ("shift-api", "refused the restarted module: it reports module API 2.0, first 1.0"),
        ("shift-version", "refused the restarted module: it reports version 1.0.1, first 1.0.0"),
    ])
    func aRestartedModuleIsHeldToItsFirstHandshake(mode: String, reason: String) throws {
        let state = HostFixture.temporaryPath(mode)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let (engine, external) = HostFixture.host([HostFixture.manifest(mode, state: state)])
        defer { external.stop() }
        let c = try HostFixture.sampleCase()
        #expect(HostFixture.report(engine.evaluate(c), "faulty-\(mode)")?.error?.contains("SIGABRT") == true)
        let second = try #require(HostFixture.report(engine.evaluate(c), "faulty-\(mode)"))
        #expect(second.status == .failed)
        #expect(second.error == "threw: " + reason)
        #expect(second.descriptor.reads == ["/symptoms"], "plans keep describing the module as first registered")
    }

    @Test(arguments: ["1.-1", "01.0", "1.0.0x", "1.0.0", "+1.0", "1", "1.", ".0", "1.0 ", "1.01", "１.0", "99999999999999999999.0"])
    func aMalformedAPIVersionIsRefusedAtTheHandshake(version: String) throws {
        #expect(ModuleAPIVersion(version) == nil)
        let json: JSONValue = ["id": "m", "version": "1.0.0", "apiVersion": .string(version), "reads": []]
        #expect(throws: ModuleProtocolError("module.apiVersion: expected MAJOR.MINOR (non-negative integers without leading zeros)")) {
            try ModuleDescriptor(protocolJSON: json)
        }
    }

    @Test func wellFormedAPIVersionsParse() {
        #expect(ModuleAPIVersion("1.0") == ModuleAPIVersion(major: 1, minor: 0))
        #expect(ModuleAPIVersion("0.12") == ModuleAPIVersion(major: 0, minor: 12))
        #expect(ModuleAPIVersion("10.0") == ModuleAPIVersion(major: 10, minor: 0))
    }

    @Test func whatAModuleWritesReachesTheLogEscapedBoundedAndWithoutCaseData() throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(store: store) }
        let external = ExternalModules.start(
            [HostFixture.manifest("evil-stderr")], catalog: HostFixture.catalog.view, policy: HostFixture.fastPolicy, logger: logger)
        let engine = Engine(
            catalog: HostFixture.catalog, modules: external.modules, clock: FixedClock(CalendarDate("2026-03-02")!), logger: logger)
        let plan = engine.evaluate(try HostFixture.sampleCase())
        _ = engine.evaluate(try HostFixture.sampleCase())  // renews the budget: logs the count dropped
        external.stop()
        let error = HostFixture.report(plan, "faulty-evil-stderr")?.error ?? ""
        #expect(error.contains("answered with invalid JSON"))
        #expect(!error.contains("09-escalation"), "what the module wrote to stdout is not quoted: \(error)")
        // The stderr drain is asynchronous: wait for the truncation notice.
        let end = Date().addingTimeInterval(10)
        while Date() < end, !store.all.contains(where: { $0.1.hasPrefix("module stderr truncated") }) { usleep(20_000) }
        let lines = store.all
        #expect(lines.contains { $0.1.hasPrefix("module stderr truncated") })
        for (level, text) in lines {
            #expect(text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } || text.hasPrefix("module stderr truncated"), "escaped: \(text)")
            #expect(!text.contains("09-escalation-at-4-months") || level <= .debug, "no case data above debug: \(text)")
        }
        let stderrLines = lines.filter { $0.1.hasPrefix("module stderr ") && !$0.1.hasPrefix("module stderr truncated") }
        #expect(stderrLines.allSatisfy { $0.0 == .debug })
        #expect(stderrLines.contains { $0.1.contains(#"patient Jane Doe\x00\x1b]0;pwned\x07\x1b[2J"#) }, "NUL and escapes escaped")
        #expect(
            stderrLines.contains {
                $0.1.contains("line=2026-01-01T00:00:00+0000 critical cds: patient Jane Doe") && $0.1.contains("module=faulty-evil-stderr")
            }, "a line that looks like a log record is the module's stderr line, attributed")
        let logged = stderrLines.reduce(0) { $0 + $1.1.utf8.count }
        #expect(
            logged < 2 * ModuleProcess.stderrBytesPerEvaluation * 2,
            "at most the budget per evaluation (two evaluations), not 64 KiB: \(logged)")
    }

    @Test func modulesOfOneEvaluationComputeTogetherAndMergeInIdOrder() throws {
        // "a-slow" is collected first although it answers last; four slow modules run at once.
        let ids = ["d-slow", "a-slow", "c-slow", "b-slow"]
        let manifests = ids.map {
            ModuleManifest(
                id: $0, executable: HostFixture.faulty, arguments: ["slow-good", $0], priority: 40, timeoutMilliseconds: 5000,
                origin: "test")
        }
        let (engine, external) = HostFixture.host(manifests)
        defer { external.stop() }
        let c = try HostFixture.sampleCase()
        let first = engine.evaluate(c)
        let second = engine.evaluate(c)
        #expect(first == second, "same case, same plan")
        #expect(first.modules.map(\.descriptor.id).filter { $0.hasSuffix("-slow") } == ["a-slow", "b-slow", "c-slow", "d-slow"])
        #expect(first.modules.filter { $0.descriptor.id.hasSuffix("-slow") }.allSatisfy { $0.status == .contributed })
        let stretch = try #require(first.resolution.recommendations.first { $0.id == "stretching.hip-flexor" })
        #expect(stretch.sources.map(\.module).filter { $0.hasSuffix("-slow") } == ["a-slow", "b-slow", "c-slow", "d-slow"])
    }

    @Test func theAssessRequestCarriesTheCaseAsSerialisedOnce() throws {
        let c = try HostFixture.sampleCase()
        let evaluation = HostedEvaluation(
            facts: c, context: AssessmentContext(asOf: CalendarDate("2026-03-02")!, catalog: HostFixture.catalog.view))
        let line = OutOfProcessModule.assessRequest(id: 7, evaluation)
        #expect(line.last == 0x0A)
        let request = try JSONParser().parse(Array(line.dropLast()))
        #expect(
            request == ["jsonrpc": "2.0", "id": 7, "method": "assess", "params": ["case": c.document, "context": ["asOf": "2026-03-02"]]])
    }

    @Test func moduleTextIsPrintableASCII() {
        #expect(ModuleText.escaped("a\nb\r\t\\\u{0}\u{1B}[2Jé") == #"a\nb\r\t\\\x00\x1b[2J\xc3\xa9"#)
        #expect(ModuleText.escaped(String(repeating: "x", count: 300), limit: 10) == "xxxxxxxxxx…(290 more bytes)")
    }
}
