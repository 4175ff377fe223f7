import CDSJSON
import Foundation
import Testing

/// Whether `pid` is a live process (a zombie, dead but not reaped, is not).
private func isAlive(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
        return false
    }
    let state = stat[stat.index(after: close)...].dropFirst().first
    return state != "Z" && state != "X"
}

@Suite("External module processes end with their host")
struct ModuleLifetimeTests {
    /// Starts `cds evaluate` with the fixture module in `fork-hang` mode (it forks two
    /// children on assess and never answers) and returns the host once the module's process
    /// tree is known, with the tree's pids.
    static func hostInAHungCall(state: String, directory: String) throws -> (Process, [pid_t]) {
        let manifest = directory + "/m.json"
        try
            #"{"id": "faulty-fork-hang", "executable": "\#(CLITests.root)/Tests/Fixtures/faulty_module.py", "arguments": ["fork-hang", "faulty-fork-hang", "\#(state)"], "priority": 40, "timeoutMilliseconds": 60000}"#
            .write(toFile: manifest, atomically: true, encoding: .utf8)
        let (host, _, _) = try CLITests.spawn(["evaluate", "--module-manifest", manifest, CLITests.vignette + ".case.json"])
        var tree: [pid_t] = []
        let end = Date().addingTimeInterval(60)
        while tree.count < 3 && Date() < end && host.isRunning {
            usleep(20_000)
            tree = ((try? String(contentsOfFile: state, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
        }
        return (host, tree)
    }

    /// SIGKILL: the host runs no code at all. (The harness that runs the tests may start
    /// them with SIGTERM ignored, which the host inherits, so SIGTERM is not tested here.)
    @Test func theModuleAndItsChildrenGoWhenTheHostIsKilledDuringACall() throws {
        let signal = SIGKILL
        let directory = NSTemporaryDirectory() + "lifetime-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (host, tree) = try Self.hostInAHungCall(state: directory + "/pids", directory: directory)
        #expect(tree.count == 3, "the module wrote its pid and its two children's")
        #expect(tree.allSatisfy(isAlive))
        kill(host.processIdentifier, signal)
        host.waitUntilExit()
        // The bound: the guardian reacts to the end of its input at once; 10 s is generous.
        let end = Date().addingTimeInterval(10)
        while Date() < end && tree.contains(where: isAlive) { usleep(20_000) }
        #expect(tree.filter(isAlive) == [], "nothing outlives a host killed with signal \(signal)")
    }

    /// Starts `cds` with `arguments` and the fixture module in `fork-hang` mode, writes `line`
    /// on its standard input and waits until the module hangs in its call; then SIGTERMs
    /// the host and returns what it wrote, how long it took to end after the signal, its
    /// status, and the module's process tree.
    static func terminatedDuringAHungCall(_ arguments: [String], line: (_ caseText: String) -> String) throws
        -> (lines: [Substring], seconds: Double, status: Int32, tree: [pid_t])
    {
        let directory = NSTemporaryDirectory() + "lifetime-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = directory + "/pids"
        let manifest = directory + "/m.json"
        try
            #"{"id": "faulty-fork-hang", "executable": "\#(CLITests.root)/Tests/Fixtures/faulty_module.py", "arguments": ["fork-hang", "faulty-fork-hang", "\#(state)"], "priority": 40, "timeoutMilliseconds": 60000}"#
            .write(toFile: manifest, atomically: true, encoding: .utf8)
        let caseText = try String(contentsOfFile: CLITests.root + "/" + CLITests.vignette + ".case.json", encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined()
        let (host, input, output) = try CLITests.spawn(arguments + ["--module-manifest", manifest])
        input.fileHandleForWriting.write(Data(line(caseText).utf8 + [0x0A]))
        var tree: [pid_t] = []
        let end = Date().addingTimeInterval(60)
        while tree.count < 3 && Date() < end && host.isRunning {
            usleep(20_000)
            tree = ((try? String(contentsOfFile: state, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
        }
        #expect(tree.count == 3, "the module is in its hung call")
        let signalled = Date()
        kill(host.processIdentifier, SIGTERM)
        let reply = output.fileHandleForReading.readDataToEndOfFile()
        host.waitUntilExit()
        let seconds = Date().timeIntervalSince(signalled)
        let gone = Date().addingTimeInterval(10)
        while Date() < gone && tree.contains(where: isAlive) { usleep(20_000) }
        return (String(decoding: reply, as: UTF8.self).split(separator: "\n"), seconds, host.terminationStatus, tree)
    }

    /// SIGTERM of `cds serve` while a module call hangs (60 s deadline): the server stops
    /// the module at the signal, answers the request it read (the module reported as
    /// failed) and exits 143 long before the module's deadline; nothing of the module lives on.
    @Test func sigtermOfTheServerDuringAHungModuleCallEndsItAtOnce() throws {
        let r = try Self.terminatedDuringAHungCall(["serve"]) {
            #"{"jsonrpc":"2.0","id":7,"method":"case/evaluate","params":{"case":\#($0)}}"#
        }
        #expect(r.seconds < 30, "ended by the signal, not by the module's 60 s deadline")
        #expect(r.status == 143)
        #expect(r.lines.count == 1, "the request read is answered once")
        let answer = try JSONParser().parse(String(r.lines.first ?? ""))
        #expect(answer["id"] == 7)
        let modules = answer["result"]?["modules"]?.arrayValue ?? []
        #expect(modules.contains { $0["id"] == "faulty-fork-hang" && $0["status"] == "failed" }, "\(r.lines.first ?? "")")
        #expect(r.tree.filter(isAlive) == [])
    }

    /// The same for `cds evaluate --batch`: SIGTERM during a hung module call ends the run
    /// at once (status 143), the line read answered with the module failed.
    @Test func sigtermOfABatchDuringAHungModuleCallEndsItAtOnce() throws {
        let r = try Self.terminatedDuringAHungCall(["evaluate", "--batch", "-"]) { $0 }
        #expect(r.seconds < 30, "ended by the signal, not by the module's 60 s deadline")
        #expect(r.status == 143)
        #expect(r.lines.count == 1, "the line read is answered once")
        let plan = try JSONParser().parse(String(r.lines.first ?? ""))
        #expect(
            plan["modules"]?.arrayValue?.contains { $0["id"] == "faulty-fork-hang" && $0["status"] == "failed" } == true,
            "\(r.lines.first ?? "")")
        #expect(r.tree.filter(isAlive) == [])
    }
}
