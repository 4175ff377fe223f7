import CDSJSON
import CDSModuleAPI
import CDSModuleProtocol
import Logging

/// The module protocol's conformance suite (`cds module check EXECUTABLE`).
package struct ConformanceCheck {
    /// One check's outcome.
    package struct Result: Sendable, Hashable {
        package var name: String
        package var passed: Bool
        package var detail: String

        package init(name: String, passed: Bool, detail: String) {
            self.name = name
            self.passed = passed
            self.detail = detail
        }
    }

    let executable: String
    let arguments: [String]
    let catalog: CatalogView
    let timeoutMilliseconds: Int
    let logger: Logger

    package init(executable: String, arguments: [String], catalog: CatalogView, timeoutMilliseconds: Int = 2000, logger: Logger) {
        self.executable = executable
        self.arguments = arguments
        self.catalog = catalog
        self.timeoutMilliseconds = timeoutMilliseconds
        self.logger = logger
    }

    /// A valid case the checks send.
    static let sampleCase: JSONValue = [
        "schemaVersion": 1, "caseId": "conformance", "assessmentDate": "2026-03-02", "patient": ["age": 40, "sex": "female"],
        "symptoms": [
            "anteriorHipOrGroinPain": true, "weaknessResistedHipFlexionInAbduction": true, "clickingOrSnapping": true,
            "painWithHipFlexionActivities": true,
        ],
        "population": ["group": "dancer", "level": "student"],
        "conservativeCare": ["months": 4, "outcome": "not-improving"],
        "exercise": ["currentTier": "moderate", "tolerated": true],
        "measurements": ["nprs": [["date": "2026-01-05", "value": 7], ["date": "2026-03-02", "value": 5]]],
    ]

    static var largeCase: JSONValue {
        guard case .object(var o) = sampleCase else { return sampleCase }
        let readings = (0..<1000).map { i -> JSONValue in
            ["date": .string(CalendarDate(daysSinceEpoch: 19_000 + i).description), "value": .integer(Int64(i % 11))]
        }
        o["measurements"] = ["nprs": .array(readings), "lefs": .array(readings)]
        return .object(o)
    }

    /// Runs every check, each against a fresh process where it needs one.
    package func run() -> [Result] {
        var results: [Result] = []
        let manifest = ModuleManifest(
            id: "", executable: executable, arguments: arguments, timeoutMilliseconds: timeoutMilliseconds, origin: "command line")

        // 1. Handshake, with an unknown member the module must ignore.
        guard let (process, descriptor, handshakeDetail) = handshake(manifest) else {
            return [Result(name: "handshake", passed: false, detail: lastFailure)]
        }
        results.append(Result(name: "handshake", passed: true, detail: handshakeDetail))
        results.append(
            Result(name: "unknown fields ignored", passed: true, detail: "initialize carried an unknown member; assess carries one below"))

        // 2. Assess a valid case twice: well-formed, within the deadline, deterministic.
        var extended = Self.sampleCase.objectValue ?? [:]
        extended["extensions"] = ["conformance": ["futureFact": true]]
        let first = assess(process, .object(extended), id: 1)
        results.append(Result(name: "assess", passed: first.ok, detail: first.detail))
        let second = assess(process, .object(extended), id: 2)
        let deterministic = first.ok && second.ok && first.proposals == second.proposals
        results.append(
            Result(
                name: "deterministic output", passed: deterministic,
                detail: deterministic ? "same proposals for the same case" : "answers differ: \(second.detail)"))
        results.append(
            Result(
                name: "answers within the deadline",
                passed: first.ok && second.ok && max(first.milliseconds, second.milliseconds) <= Int64(timeoutMilliseconds),
                detail: "slowest \(max(first.milliseconds, second.milliseconds)) ms of \(timeoutMilliseconds) ms"))
        let cited = first.proposals.flatMap { p in p.rationale.facts }.filter { fact in !descriptor.reads.contains { fact.isWithin($0) } }
        let known = first.proposals.filter { catalog.recommendation($0.recommendation) == nil }.map(\.recommendation.rawValue)
        results.append(
            Result(
                name: "proposals follow the contract", passed: first.ok && cited.isEmpty && known.isEmpty,
                detail: cited.isEmpty && known.isEmpty
                    ? "\(first.proposals.count) proposals; Catalog ids and declared facts only"
                    : "undeclared facts \(cited.map(\.rawValue)); unknown ids \(known)"))

        // 3. A malformed case is answered with an error, and the module keeps serving. The
        // case is not an object, so that every module must refuse it, whatever facts it reads
        // (a module that reads only its pack's extension cannot tell a case lacking another
        // pack's members from a valid one).
        let malformed = request(
            process,
            ["jsonrpc": "2.0", "id": 3, "method": "assess", "params": ["case": ["not", "a", "case"], "context": ["asOf": "2026-03-02"]]])
        let recovered = assess(process, Self.sampleCase, id: 4)
        let malformedOK = malformed.reply?["error"] != nil && malformed.reply?["id"] == 3 && recovered.ok
        results.append(
            Result(
                name: "malformed case", passed: malformedOK,
                detail: malformedOK
                    ? "answered with an error, then served the next case"
                    : (malformed.reply.map { "answer: \($0.serialized().prefix(100))" } ?? malformed.failure)))

        // 4. A large case.
        let large = assess(process, Self.largeCase, id: 5)
        results.append(
            Result(
                name: "large case", passed: large.ok, detail: large.ok ? "2000 readings answered in \(large.milliseconds) ms" : large.detail
            ))

        // 5. Clean shutdown.
        let shutdown = request(process, ["jsonrpc": "2.0", "id": 6, "method": "shutdown"])
        _ = process.send(#"{"jsonrpc":"2.0","method":"exit"}"#, until: Monotonic.milliseconds() + Int64(timeoutMilliseconds))
        let status = process.waitForExit(milliseconds: 2000)
        let clean = shutdown.reply?["result"] == .null && shutdown.reply?["error"] == nil && status == 0
        results.append(
            Result(
                name: "clean shutdown", passed: clean,
                detail: clean
                    ? "shutdown answered, exit status 0"
                    : "shutdown: \(shutdown.reply?.serialized() ?? shutdown.failure); \(describeExit(status))"))
        process.terminate(grace: 200)

        // 6. Version mismatch, on a fresh process: refused with the documented error.
        results.append(versionMismatch(manifest))
        return results
    }

    private var lastFailure: String { failureBox.value }
    private let failureBox = Box()
    private final class Box { var value = "" }

    private func handshake(_ manifest: ModuleManifest) -> (ModuleProcess, ModuleDescriptor, String)? {
        let process: ModuleProcess
        do {
            process = try ModuleProcess.spawn(executable, arguments, label: "conformance", logger: logger)
        } catch {
            failureBox.value = error.description
            return nil
        }
        let request: JSONValue = [
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": [
                "protocolVersion": ModuleProtocol.current.json, "host": ["name": "cds module check"], "catalog": catalog.protocolJSON,
                "futureMember": ["x": 1],
            ],
        ]
        let answer = self.request(process, request)
        guard let reply = answer.reply, reply["id"] == 0 else {
            failureBox.value = answer.failure
            process.terminate(grace: 200)
            return nil
        }
        guard let result = reply["result"], let version = ProtocolVersion(json: result["protocolVersion"]),
            ModuleProtocol.supportedMajors.contains(version.major)
        else {
            failureBox.value = "initialize answered \(reply.serialized().prefix(160))"
            process.terminate(grace: 200)
            return nil
        }
        do {
            let descriptor = try ModuleDescriptor(protocolJSON: result["module"] ?? .null)
            return (
                process, descriptor,
                "module \(descriptor.id) \(descriptor.version), protocol \(version), reads \(descriptor.reads.map(\.rawValue).joined(separator: " "))"
            )
        } catch {
            failureBox.value = "initialize result: \(error.message)"
            process.terminate(grace: 200)
            return nil
        }
    }

    private func versionMismatch(_ manifest: ModuleManifest) -> Result {
        guard let process = try? ModuleProcess.spawn(executable, arguments, label: "conformance", logger: logger) else {
            return Result(name: "version mismatch", passed: false, detail: "could not start a second process")
        }
        defer { process.terminate(grace: 200) }
        let future = ProtocolVersion(major: 99, minor: 0)
        let answer = request(
            process,
            [
                "jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": ["protocolVersion": future.json, "catalog": catalog.protocolJSON],
            ])
        let code = answer.reply?["error"]?["code"]?.integerValue
        let ok = code == ModuleProtocol.unsupportedVersion
        return Result(
            name: "version mismatch", passed: ok,
            detail: ok
                ? "protocol 99.0 refused with \(ModuleProtocol.unsupportedVersion)"
                : "answer: \(answer.reply.map { String($0.serialized().prefix(120)) } ?? answer.failure)")
    }

    private struct Answer {
        var reply: JSONValue?
        var failure: String
        var milliseconds: Int64
    }

    private func request(_ process: ModuleProcess, _ message: JSONValue) -> Answer {
        let start = Monotonic.milliseconds()
        guard process.send(message.serialized(), until: start + Int64(timeoutMilliseconds)) else {
            return Answer(
                reply: nil, failure: "the module did not read the request within \(timeoutMilliseconds) ms",
                milliseconds: Int64(timeoutMilliseconds))
        }
        switch process.receive(until: start + Int64(timeoutMilliseconds)) {
        case .line(let bytes):
            let elapsed = Monotonic.milliseconds() - start
            guard let reply = try? JSONParser().parse(bytes), reply["jsonrpc"] == "2.0" else {
                return Answer(
                    reply: nil, failure: "not a JSON-RPC reply on stdout: \(ModuleText.escaped(bytes, limit: 80))", milliseconds: elapsed)
            }
            return Answer(reply: reply, failure: "", milliseconds: elapsed)
        case .timeout:
            return Answer(reply: nil, failure: "no answer within \(timeoutMilliseconds) ms", milliseconds: Int64(timeoutMilliseconds))
        case .closed, .tooLong:
            return Answer(
                reply: nil, failure: "the module ended (\(describeExit(process.waitForExit(milliseconds: 500))))", milliseconds: 0)
        }
    }

    private struct Assessed {
        var ok: Bool
        var detail: String
        var proposals: [Proposal]
        var milliseconds: Int64
    }

    private func assess(_ process: ModuleProcess, _ c: JSONValue, id: Int64) -> Assessed {
        let answer = request(
            process, ["jsonrpc": "2.0", "id": .integer(id), "method": "assess", "params": ["case": c, "context": ["asOf": "2026-03-02"]]])
        guard let reply = answer.reply else {
            return Assessed(ok: false, detail: answer.failure, proposals: [], milliseconds: answer.milliseconds)
        }
        guard reply["id"] == .integer(id), let list = reply["result"]?["proposals"]?.arrayValue else {
            return Assessed(
                ok: false, detail: "answer: \(reply.serialized().prefix(120))", proposals: [], milliseconds: answer.milliseconds)
        }
        var proposals: [Proposal] = []
        for item in list {
            guard let p = try? Proposal(protocolJSON: item) else {
                return Assessed(
                    ok: false, detail: "malformed proposal \(item.serialized().prefix(100))", proposals: [],
                    milliseconds: answer.milliseconds)
            }
            proposals.append(p)
        }
        return Assessed(
            ok: true, detail: "\(proposals.count) proposals in \(answer.milliseconds) ms", proposals: proposals,
            milliseconds: answer.milliseconds)
    }
}
