import CDSJSON
import CDSTestSupport
import Foundation
import Testing

/// End-to-end tests: they run the built `cds` executable as a user or an integration would.
@Suite("cds executable")
struct CLITests {
    static var root: String { TestRepository.root }

    /// The `cds` binary: $CDS_BINARY, or the one built next to this test bundle.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["CDS_BINARY"] { return path }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("cds").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return root + "/.build/debug/cds"
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(
        _ arguments: [String], stdin: String? = nil, cwd: String = root, executable: String = binary, environment: [String: String] = [:]
    ) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var env = ProcessInfo.processInfo.environment
        env["CDS_CATALOG"] = nil
        env.merge(environment) { _, new in new }
        p.environment = env
        let out = childPipe()
        let err = childPipe()
        let input = childPipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Starts `executable` (default: cds) in the repository with pipes to its standard input
    /// and output; standard error is discarded.
    static func spawn(_ arguments: [String], executable: String = binary) throws -> (process: Process, input: Pipe, output: Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        let input = childPipe()
        let output = childPipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, input, output)
    }

    static let vignette = "Tests/Vignettes/09-escalation-at-4-months"

    @Test func evaluatePrintsTheGoldenPlan() throws {
        let r = try Self.run(["evaluate", "--pretty", Self.vignette + ".case.json"])
        #expect(r.status == 0)
        #expect(r.stderr == "")
        #expect(r.stdout == (try String(contentsOfFile: Self.root + "/" + Self.vignette + ".plan.json", encoding: .utf8)))
    }

    @Test func compactOutputIsOneLineOfStrictJSON() throws {
        let r = try Self.run(["evaluate", Self.vignette + ".case.json", "--log-level", "trace"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "one line and its newline")
        let plan = try JSONParser().parse(String(lines[0]))
        #expect(plan["planFormat"] == .integer(1))
        #expect(!r.stdout.contains("\\/"))
    }

    @Test func evaluateReadsStandardInput() throws {
        let text = try String(contentsOfFile: Self.root + "/" + Self.vignette + ".case.json", encoding: .utf8)
        let r = try Self.run(["evaluate", "--pretty", "-"], stdin: text)
        #expect(r.status == 0)
        #expect(r.stdout == (try String(contentsOfFile: Self.root + "/" + Self.vignette + ".plan.json", encoding: .utf8)))
    }

    @Test func explainTellsWhyInPlainText() throws {
        let r = try Self.run(["evaluate", "--explain", Self.vignette + ".case.json"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("Plan for case 09-escalation-at-4-months as of 2026-03-02\n"))
        #expect(r.stdout.contains("CONSIDER Corticosteroid injection [escalation.corticosteroid-injection]"))
        #expect(
            r.stdout.contains("Why (escalation, consider): conservative treatment failed after 4 months (within the 3-6 months window)"))
        #expect(r.stdout.contains("fact /conservativeCare/months = 4"))
        #expect(r.stdout.contains("== Modules =="))
    }

    @Test func anInvalidCaseGivesPathsOnStandardErrorAndStatus65() throws {
        let r = try Self.run(["evaluate", "-"], stdin: #"{"schemaVersion":1,"patient":{"age":-1,"sex":"female"}}"#)
        #expect(r.status == 65)
        #expect(r.stdout == "")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("cds: error: -: /") })
        #expect(lines.contains { $0.hasPrefix("cds: error: -: /patient/age: ") })
        #expect(lines.contains { $0.hasPrefix("cds: error: -: /: missing required property") && $0.contains("symptoms") })
    }

    @Test func malformedJSONGivesTheByteOffset() throws {
        let r = try Self.run(["evaluate", "-"], stdin: "{\"schemaVersion\": 1, 'x': 2}")
        #expect(r.status == 65)
        #expect(r.stderr.hasPrefix("cds: error: -: /: invalid JSON at byte 21: "))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func aMissingCaseFileIsStatus66() throws {
        let r = try Self.run(["evaluate", "no-such-case.json"])
        #expect(r.status == 66)
        #expect(r.stderr == "cds: error: no-such-case.json: No such file or directory\n")
    }

    @Test func catalogCheckReportsAValidCatalog() throws {
        let r = try Self.run(["catalog", "check"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("Catalog 1.0.0 is valid: 23 recommendations, 7 evidence records, 10 sources, 10 phases; sha256 "))
    }

    /// A copy of the Catalog in a new temporary directory whose evidence repeats the id
    /// `seed-ref-1` (`packs/iliopsoas/evidence.json: /evidence/1/id`); the caller removes it.
    static func brokenCatalogCopy() throws -> String {
        let dir = NSTemporaryDirectory() + "cds-e2e-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: root + "/Catalog", toPath: dir)
        let file = dir + "/packs/iliopsoas/evidence.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "\"id\": \"seed-ref-2\"", with: "\"id\": \"seed-ref-1\"").write(
            toFile: file, atomically: true, encoding: .utf8)
        return dir
    }

    @Test func aBrokenCatalogStopsEverySubcommandWithFilePathMessage() throws {
        let dir = try Self.brokenCatalogCopy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for args in [["catalog", "check"], ["evaluate", Self.root + "/" + Self.vignette + ".case.json"], ["modules"]] {
            let r = try Self.run(args + ["--catalog", dir])
            #expect(r.status == 78, "\(args)")
            #expect(r.stdout == "")
            #expect(r.stderr.contains("packs/iliopsoas/evidence.json: /evidence/1/id: duplicate evidence id \"seed-ref-1\"\n"))
            #expect(r.stderr.contains("nothing was loaded"))
        }
    }

    @Test func theCatalogIsFoundFromAnyDirectory() throws {
        let r = try Self.run(["catalog", "check"], cwd: "/")
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func aCatalogInTheWorkingDirectoryDoesNotReplaceTheBuildsOwn() throws {
        let dir = NSTemporaryDirectory() + "cds-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/Catalog", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{".write(toFile: dir + "/Catalog/catalog.json", atomically: true, encoding: .utf8)
        let r = try Self.run(["catalog", "check", "--log-level", "info"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let digest = try #require(r.stdout.split(separator: "\n").first?.split(separator: " ").last).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let logLine = try #require(r.stderr.split(separator: "\n").first { $0.contains("Catalog loaded") })
        #expect(logLine.contains("found=the build's package"))
        #expect(logLine.contains("sha256=\(digest)"))
        #expect(!logLine.contains(dir))
    }

    /// The one list of exit statuses (ExitStatus.swift) is what --help, the README and
    /// docs/operations.md say, word for word.
    @Test func exitStatusesAreListedIdenticallyInHelpReadmeAndOperations() throws {
        func flattened(_ text: String) -> String { text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ") }
        let help = flattened(try Self.run(["--help"]).stdout)
        let start = try #require(help.range(of: "Exit status: "))
        let end = try #require(help.range(of: "--bulk). ", range: start.upperBound..<help.endIndex))
        let summary = String(help[start.lowerBound..<end.upperBound]).trimmingCharacters(in: .whitespaces)
        for status in [0, 1, 64, 65, 66, 69, 71, 73, 74, 78, 130, 143] {
            #expect(summary.contains("; \(status) ") || summary.hasPrefix("Exit status: \(status) "), "\(status)")
        }
        for page in ["README.md", "docs/operations.md"] {
            let text = flattened(try String(contentsOfFile: Self.root + "/" + page, encoding: .utf8))
            #expect(text.contains(summary), "\(page)")
        }
    }

    /// `cds hooks serve` runs the HTTP service's executable beside it, handing it every
    /// argument (help and usage errors included), in the same process; without one it says
    /// where it looked and exits 69.
    @Test(.enabled(if: hooksExecutableIsBuilt, "a build with CDS_WITHOUT_HTTP=1 has no cds-hooks"))
    func hooksServeRunsTheHTTPServiceExecutable() throws {
        let help = try Self.run(["hooks", "serve", "--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("USAGE: cds hooks serve"))
        #expect(help.stdout.contains("--trust <file>"))
        let version = try Self.run(["hooks", "serve", "--version"])
        #expect(version.stdout == (try Self.run(["--version"])).stdout)
        let bad = try Self.run(["hooks", "serve", "--allow-unauthenticated", "--host", "0.0.0.0"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--allow-unauthenticated is for local development only"))
        #expect(try Self.run(["hooks", "--help"]).stdout.contains("serve "))
    }

    static var hooksExecutableIsBuilt: Bool {
        FileManager.default.isExecutableFile(atPath: URL(fileURLWithPath: binary).deletingLastPathComponent().path + "/cds-hooks")
    }

    @Test func hooksServeWithoutTheHTTPServiceExecutableSaysWhereItLooked() throws {
        // A cds alone in a directory: no cds-hooks beside it nor in ../libexec/cds.
        let dir = NSTemporaryDirectory() + "cds-alone-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Self.binary, toPath: dir + "/bin/cds")
        let alone = try Self.run(["hooks", "serve", "--port", "0"], executable: dir + "/bin/cds")
        #expect(alone.status == 69)
        #expect(alone.stdout.isEmpty)
        #expect(
            alone.stderr
                == "cds: error: cds hooks serve runs the HTTP service's executable, cds-hooks, and none is installed (looked for \(dir)/bin/cds-hooks and \(dir)/libexec/cds/cds-hooks); a build with CDS_WITHOUT_HTTP=1 has none\n"
        )
    }

    @Test func anUnknownSubcommandNamesTheNearestOne() throws {
        let r = try Self.run(["evalute", "x.json"])
        #expect(r.status == 64)
        #expect(r.stderr == "cds: error: unknown command 'evalute' for 'cds'; did you mean 'evaluate'?\n")
        let nested = try Self.run(["catalog", "chek"])
        #expect(nested.status == 64)
        #expect(nested.stderr == "cds: error: unknown command 'chek' for 'cds catalog'; did you mean 'check'?\n")
        #expect(try Self.run(["help", "evaluate"]).status == 0)
    }

    @Test func validateAcceptsWhatEvaluateAccepts() throws {
        let bundle = try Self.run(["validate", "Tests/FHIR/09-escalation-at-4-months.bundle.json"])
        #expect(bundle.status == 0 && bundle.stdout == "valid (fhir-r4-bundle)\n", "\(bundle.stdout)")
        #expect(try Self.run(["evaluate", "Tests/FHIR/09-escalation-at-4-months.bundle.json"]).status == 0)
        let hooks = try Self.run(["validate", "Tests/FHIR/patient-view-missing-observations.hooks.json"])
        #expect(hooks.status == 65)
        #expect(hooks.stdout.hasPrefix("prefetch the service asked for is missing: observations"))
        #expect(try Self.run(["evaluate", "Tests/FHIR/patient-view-missing-observations.hooks.json"]).status == 65)
        #expect(try Self.run(["validate", Self.vignette + ".case.json"]).stdout == "valid\n")
    }

    @Test func aFHIRResourceThatIsNotABundleSaysSoPlainly() throws {
        let patient = #"{"resourceType":"Patient","id":"p1"}"#
        for args in [["validate", "-"], ["evaluate", "-"]] {
            let r = try Self.run(args, stdin: patient)
            #expect(r.status == 65)
            let said = r.stdout + r.stderr
            #expect(said.split(separator: "\n").count == 1, "one line, not a schema error per property: \(said)")
            #expect(said.contains("/resourceType: a FHIR Patient resource on its own is not an input: give a FHIR R4 Bundle"))
        }
    }

    /// `--log-format json`: every line on standard error is one JSON object; at debug, one
    /// line per request with method, id, duration and outcome, and nothing of the case.
    @Test func jsonLogsAreOneObjectPerLineWithAPerRequestLine() throws {
        let evaluate = #"{"jsonrpc":"2.0","id":"e-1","method":"case/evaluate","params":{"case":{"caseId":"Zoë-secret","schemaVersion":1}}}"#
        let input = #"{"jsonrpc":"2.0","id":7,"method":"ping"}"# + "\n" + evaluate + "\n"
        let r = try Self.run(["serve", "--log-format", "json", "--log-level", "debug"], stdin: input)
        #expect(r.status == 0)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count >= 3)
        var requests: [JSONValue] = []
        for line in lines {
            let object = try JSONParser().parse(line)
            #expect(object["time"]?.stringValue?.hasSuffix("Z") == true, "\(line)")
            #expect(object["level"]?.stringValue != nil && object["label"]?.stringValue != nil && object["message"]?.stringValue != nil)
            if object["message"] == "request" { requests.append(object) }
        }
        #expect(lines.contains { $0.contains(#""message":"Catalog loaded""#) && $0.contains(#""sha256":""#) })
        #expect(requests.count == 2)
        let ping = try #require(requests.first { $0["metadata"]?["method"] == "ping" }?["metadata"])
        #expect(ping["id"] == "7" && ping["status"] == "ok")
        #expect(ping["durationMicroseconds"]?.stringValue.flatMap { Int($0) } != nil)
        let evaluation = try #require(requests.first { $0["metadata"]?["method"] == "case/evaluate" }?["metadata"])
        #expect(evaluation["id"] == #""e-1""#)
        #expect(evaluation["status"]?.stringValue?.hasPrefix("error -32") == true)
        #expect(!r.stderr.contains("Zoë-secret"), "no patient data in the log")
    }

    @Test func modulesListsEveryBuiltInModuleWithItsPriority() throws {
        let r = try Self.run(["modules"])
        #expect(r.status == 0)
        for (id, priority) in [
            ("safety-screening", 100), ("symptoms", 90), ("escalation", 85), ("post-arthroplasty", 80), ("population", 70),
            ("exercise-progression", 60), ("monitoring", 50),
        ] {
            #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix(id + " ") && $0.contains("  \(priority)  ") }, "\(id)")
        }
    }

    @Test func usageErrorsAreStatus64() throws {
        let r = try Self.run(["evaluate", "--as-of", "2026-02-30", "x.json"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--as-of 2026-02-30: expected a date YYYY-MM-DD"))
    }

    /// `cds serve` and `cds evaluate` parse their own options first (a faster start); what
    /// they refuse or ask for help with is answered by the whole command tree, as ever: the
    /// usage names `cds serve`, help is the subcommand's, and what parses runs.
    @Test func serveAndEvaluateAnswerErrorsAndHelpAsTheCommandTreeDoes() throws {
        let bad = try Self.run(["serve", "--workers", "0"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("Error: --workers must be within 1...256"))
        #expect(bad.stderr.contains("Usage: cds serve"))
        let unknown = try Self.run(["serve", "--no-such-option"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("Unknown option '--no-such-option'"))
        #expect(unknown.stderr.contains("Usage: cds serve"))
        let help = try Self.run(["serve", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: cds serve"))
        let served = try Self.run(["serve", "--workers", "1"], stdin: #"{"jsonrpc":"2.0","id":7,"method":"ping"}"# + "\n")
        #expect(served.status == 0)
        #expect(served.stdout == #"{"jsonrpc":"2.0","id":7,"result":{}}"# + "\n")
        let evaluateHelp = try Self.run(["evaluate", "-h"])
        #expect(evaluateHelp.status == 0)
        #expect(evaluateHelp.stdout.contains("USAGE: cds evaluate"))
    }
}

@Suite("Documentation examples")
struct DocumentationExampleTests {
    /// The README's worked example: every output line it shows (except `...`) appears in
    /// the real output of the command it shows.
    @Test func readmeWorkedExampleMatchesRealOutput() throws {
        let readme = try String(contentsOfFile: CLITests.root + "/README.md", encoding: .utf8)
        let marker = "$ .build/debug/cds "
        let start = try #require(readme.range(of: marker))
        let block = readme[start.lowerBound...].prefix { _ in true }
        let end = try #require(block.range(of: "\n```"))
        let lines = block[..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        let arguments = lines[0].dropFirst(marker.count).split(separator: " ").map(String.init)
        let run = try CLITests.run(arguments)
        #expect(run.status == 0)
        let shown = lines.dropFirst().filter { $0 != "..." }
        #expect(shown.count > 5)
        for line in shown {
            #expect(run.stdout.contains(line + "\n"), "README shows a line the command does not print: \(line)")
        }
    }

    /// docs/module-api.md shows the module in Tests/CDSEngineTests/DocumentedModule.swift,
    /// which a test runs; the two must stay identical.
    @Test func moduleAuthoringExampleIsTheTestedModule() throws {
        let doc = try String(contentsOfFile: CLITests.root + "/docs/module-api.md", encoding: .utf8)
        let source = try String(contentsOfFile: CLITests.root + "/Tests/CDSEngineTests/DocumentedModule.swift", encoding: .utf8)
        let example = source.components(separatedBy: "// BEGIN EXAMPLE\n")[1].components(separatedBy: "// END EXAMPLE")[0]
        #expect(doc.contains("```swift\n" + example + "```"))
    }
}

@Suite("cds repl with piped input")
struct ReplPipedTests {
    @Test func scriptedSessionPrintsResultsOnlyAndFailsOnError() throws {
        let script = """
            load Tests/Vignettes/09-escalation-at-4-months.case.json
            whatif conservativeCare.months 2
            set patient.age x
            quit

            """
        let r = try CLITests.run(["repl"], stdin: script)
        #expect(
            r.stdout == """
                loaded Tests/Vignettes/09-escalation-at-4-months.case.json
                what if conservativeCare.months = 2 (the case is unchanged):
                  ~ escalation.corticosteroid-injection consider -> defer
                  ~ escalation.endoscopic-surgery consider -> defer
                error: /patient/age: expected integer, found string "x"; the case is unchanged

                """)
        #expect(r.status == 1, "a failed command makes a script fail")
        let clean = try CLITests.run(["repl", "Tests/Vignettes/01-new-patient.case.json"], stdin: "show\n")
        #expect(clean.status == 0)
        #expect(clean.stdout.hasPrefix("loaded Tests/Vignettes/01-new-patient.case.json\n{\n  \"schemaVersion\": 1,"))
    }
}

@Suite("FHIR input through the executable")
struct FHIRCLITests {
    @Test func aBundleIsEvaluatedAndTheInputReportIsInThePlan() throws {
        let r = try CLITests.run(["evaluate", "--as-of", "2026-03-02", "Tests/FHIR/15-post-arthroplasty.bundle.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let plan = try JSONParser().parse(r.stdout)
        #expect(plan["input"]?["format"] == "fhir-r4-bundle")
        #expect(plan["input"]?["ignored"] == [["resource": "Condition/old", "reason": "clinicalStatus resolved"]])
        #expect(
            plan["recommendations"]?.arrayValue?.contains {
                $0["id"] == "population.post-arthroplasty-mobilization" && $0["action"] == "recommend"
            } == true)
    }

    @Test func missingPrefetchIsNamedWithStatus65AndAsJSONRPCError() throws {
        let file = "Tests/FHIR/patient-view-missing-observations.hooks.json"
        let r = try CLITests.run(["evaluate", "--as-of", "2026-03-02", file])
        #expect(r.status == 65)
        #expect(r.stdout == "")
        #expect(r.stderr.hasPrefix("cds: error: \(file): prefetch the service asked for is missing: observations\n"))
        let request = try String(contentsOfFile: CLITests.root + "/" + file, encoding: .utf8).replacingOccurrences(of: "\n", with: "")
        let session = try ServerProcess.session(
            #"{"jsonrpc":"2.0","id":1,"method":"case/evaluate","params":{"case":\#(request),"options":{"asOf":"2026-03-02"}}}"# + "\n")
        let reply = try JSONParser().parse(session.lines[0])
        #expect(reply["error"]?["code"] == .integer(-32004))
        #expect(reply["error"]?["data"]?["missing"] == ["observations"])
    }

    /// Issue 11 defect 3: a request whose context names one patient and whose prefetch holds
    /// another was evaluated.
    @Test func aContextNamingAnotherPatientIsInvalidParamsNamingBothIDs() throws {
        let file = "Tests/FHIR/patient-view-missing-observations.hooks.json"
        let request = try String(contentsOfFile: CLITests.root + "/" + file, encoding: .utf8).replacingOccurrences(of: "\n", with: "")
            .replacingOccurrences(of: #""patientId": "p1""#, with: #""patientId": "p7""#)
        let session = try ServerProcess.session(
            #"{"jsonrpc":"2.0","id":1,"method":"case/evaluate","params":{"case":\#(request),"options":{"asOf":"2026-03-02"}}}"# + "\n")
        let reply = try JSONParser().parse(session.lines[0])
        #expect(reply["error"]?["code"] == .integer(-32602))
        #expect(reply["error"]?["data"]?["contextPatientId"] == "p7")
        #expect(reply["error"]?["data"]?["prefetchPatientId"] == "p1")
    }

    /// A patient with nothing iliopsoas-related gets `{"cards": []}`, not an error.
    @Test func aPatientWithNothingRelevantGetsNoCards() throws {
        let bundle =
            #"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","gender":"male","birthDate":"1970-01-01"}},{"resource":{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"E11.9"}]},"subject":{"reference":"urn:uuid:a"}}}]}"#
        let path = NSTemporaryDirectory() + "cds-no-guidance-\(getpid()).json"
        try bundle.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLITests.run(["evaluate", "--as-of", "2026-03-02", "--format", "cds-hooks", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "{\"cards\":[]}\n")
    }
}

@Suite("CDS Hooks output and feedback")
struct CDSHooksTests {
    @Test func discoveryDescribesTheServiceAndItsPrefetch() throws {
        let r = try CLITests.run(["hooks", "discovery"])
        #expect(r.status == 0)
        let d = try JSONParser().parse(r.stdout)
        let service = try #require(d["services"]?.arrayValue?.first)
        #expect(service["hook"] == "patient-view")
        #expect(service["id"] == "iliopsoas-syndrome")
        #expect(service["prefetch"]?["patient"] == "Patient/{{context.patientId}}")
        let rpc = try ServerProcess.session(#"{"jsonrpc":"2.0","id":1,"method":"cds-hooks/discovery"}"# + "\n")
        #expect(try JSONParser().parse(rpc.lines[0])["result"] == d)
    }

    @Test func cardsAreDeterministicAndFollowThePlan() throws {
        let args = ["evaluate", "--format", "cds-hooks", "Tests/Vignettes/17-lidocaine-allergy-at-escalation.case.json"]
        let first = try CLITests.run(args)
        #expect(first.status == 0)
        #expect(try CLITests.run(args).stdout == first.stdout, "same input, same response")
        let cards = try #require(try JSONParser().parse(first.stdout)["cards"]?.arrayValue)
        let injection = try #require(cards.first { $0["source"]?["topic"]?["code"] == "escalation.corticosteroid-injection" })
        #expect(injection["indicator"] == "critical", "avoided because of a recorded allergy")
        #expect(injection["summary"] == "Avoid: Corticosteroid injection")
        #expect(injection["suggestions"] == nil)
        let surgery = try #require(cards.first { $0["source"]?["topic"]?["code"] == "escalation.endoscopic-surgery" })
        #expect(surgery["indicator"] == "info")
        #expect(surgery["suggestions"]?.arrayValue?.first?["isRecommended"] == false, "consider is not recommended")
        #expect(surgery["detail"]?.stringValue?.contains("**Why:**") == true)
    }
}
