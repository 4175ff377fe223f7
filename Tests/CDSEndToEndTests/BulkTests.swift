import CDSJSON
import CDSTestSupport
import Foundation
import Testing
import CDSInterop

/// `cds evaluate --bulk` over small exports written here (the carebundle export and the
/// Spark comparison are `make bulk-spark`).
@Suite("cds evaluate --bulk")
struct BulkTests {
    static let asOf = "2026-03-02"

    /// The resources of a patient who fits the escalation vignette (09), as export lines.
    static func escalation(_ p: String) -> [String: [String]] {
        func obs(_ id: String, _ code: String, _ value: String) -> String {
            #"{"resourceType":"Observation","id":"\#(p)-\#(id)","status":"final","code":{"coding":[{"system":"urn:cds:iliopsoas:local","code":"\#(code)"}]},"subject":{"reference":"Patient/\#(p)"},"effectiveDateTime":"2026-03-02",\#(value)}"#
        }
        return [
            "Patient": [#"{"resourceType":"Patient","id":"\#(p)","gender":"female","birthDate":"1991-06-15"}"#],
            "Observation": [
                obs("s1", "anterior-hip-or-groin-pain", #""valueBoolean":true"#),
                obs("s2", "weakness-resisted-hip-flexion-in-abduction", #""valueBoolean":false"#),
                obs("s3", "pain-with-hip-flexion-activities", #""valueBoolean":true"#),
                obs("s4", "clicking-or-snapping", #""valueBoolean":true"#),
                obs("cc", "conservative-care-months", #""valueInteger":4"#),
                obs("co", "conservative-care-outcome", #""valueString":"not-improving""#),
                obs("et", "exercise-tier", #""valueString":"high""#),
                obs("tt", "exercise-tier-tolerated", #""valueBoolean":true"#),
            ],
        ]
    }

    /// A folder with `files` (name: lines) and a manifest listing them unless `manifest` is false.
    static func export(_ files: [String: [String]], manifest: Bool = true, deleted: [String] = []) throws -> String {
        let dir = NSTemporaryDirectory() + "cds-bulk-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, lines) in files {
            try lines.map { $0 + "\n" }.joined().write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        if !deleted.isEmpty {
            let entries = deleted.map { #"{"request":{"method":"DELETE","url":"\#($0)"}}"# }.joined(separator: ",")
            try (#"{"resourceType":"Bundle","type":"transaction","entry":[\#(entries)]}"# + "\n").write(
                toFile: dir + "/del.ndjson", atomically: true, encoding: .utf8)
        }
        if manifest {
            let output = files.keys.sorted().map { #"{"type":"x","url":"https://h.example/out/\#($0)"}"# }.joined(separator: ",")
            let del = deleted.isEmpty ? "" : #"{"type":"Bundle","url":"https://h.example/out/del.ndjson"}"#
            try
                #"{"transactionTime":"2026-03-02T00:00:00Z","request":"x","requiresAccessToken":false,"output":[\#(output)],"deleted":[\#(del)],"error":[]}"#
                .write(toFile: dir + "/manifest.json", atomically: true, encoding: .utf8)
        }
        return dir
    }

    static func merge(_ parts: [[String: [String]]]) -> [String: [String]] {
        parts.reduce(into: [:]) { all, part in
            for (type, lines) in part { all["\(type).ndjson", default: []] += lines }
        }
    }

    static func lines(_ stdout: String) throws -> [JSONValue] {
        try stdout.split(separator: "\n").map { try JSONParser().parse(String($0)) }
    }

    /// Patients in id order, one line each; each plan built from that patient's resources
    /// only; a patient with nothing iliopsoas-related on record gets a plan saying the
    /// algorithm does not apply (not an error); resources of a
    /// patient not in the export, of no patient, and deleted are counted, never attached.
    @Test func onePatientPerLineInIdOrderNothingMerged() throws {
        var files = Self.merge([Self.escalation("zeta"), Self.escalation("alpha"), Self.escalation("gone")])
        files["Patient.ndjson", default: []].append(#"{"resourceType":"Patient","id":"mid","gender":"male","birthDate":"1980-01-01"}"#)
        files["Observation.ndjson", default: []].append(
            #"{"resourceType":"Observation","id":"orphan","status":"final","code":{"coding":[{"system":"urn:cds:iliopsoas:local","code":"anterior-hip-or-groin-pain"}]},"subject":{"reference":"Patient/nobody"},"valueBoolean":true}"#
        )
        files["Practitioner.ndjson"] = [#"{"resourceType":"Practitioner","id":"dr"}"#]
        let dir = try Self.export(files, deleted: ["Patient/gone", "Observation/alpha-co"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CLITests.run(["evaluate", "--bulk", dir, "--as-of", Self.asOf])
        #expect(run.status == 0, "no guidance is an answer, not an error")
        let out = try Self.lines(run.stdout)
        #expect(out.map { $0["patient"]?.stringValue } == ["alpha", "mid", "zeta"])
        #expect(out[0]["plan"]?["caseId"] == "alpha")
        let mapped = out[0]["plan"]?["input"]?["mapped"]?.arrayValue?.compactMap { $0["resource"]?.stringValue } ?? []
        #expect(!mapped.isEmpty && mapped.allSatisfy { $0 == "Patient/alpha" || $0.hasPrefix("Observation/alpha-") })
        #expect(!mapped.contains("Observation/alpha-co"), "a deleted resource is not used")
        let recommendations = out[2]["plan"]?.serialized() ?? ""
        #expect(recommendations.contains("escalation.corticosteroid-injection"))
        #expect(out[1]["plan"]?["input"]?["applicable"] == false)
        #expect(out[1]["plan"]?["recommendations"]?.arrayValue?.isEmpty == true)
        #expect(run.stderr.contains("3 patients: 3 plans, 0 errors"))
        // Practitioner; the orphan and the deleted patient's 8 Observations; 1 deleted Observation (and the deleted Patient).
        #expect(run.stderr.contains("12 resources ignored (1 naming no patient, 9 of patients not in the export, 2 deleted)"))
    }

    /// The same export read through its manifest or as every *.ndjson, split over files or
    /// not, grouped in memory or through runs on disk, on one lane or two: the same bytes.
    @Test func sameBytesWhateverTheLayoutBudgetAndLanes() throws {
        // About 1.6 MB: beyond a 1 MiB budget.
        let parts = (0..<400).map { Self.escalation("p\($0)") }
        var split = Self.merge(parts)
        let observations = split.removeValue(forKey: "Observation.ndjson") ?? []
        split["Observation.a.ndjson"] = Array(observations.prefix(1000))
        split["Observation.b.ndjson"] = Array(observations.dropFirst(1000))
        let a = try Self.export(Self.merge(parts))
        let b = try Self.export(split, manifest: false)
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        let reference = try CLITests.run(["evaluate", "--bulk", a, "--as-of", Self.asOf, "--workers", "1"])
        #expect(reference.status == 0)
        #expect(reference.stdout.split(separator: "\n").count == 400)
        let runs = try CLITests.run([
            "evaluate", "--bulk", b, "--as-of", Self.asOf, "--workers", "2", "--memory-budget", "1", "--temp-dir", NSTemporaryDirectory(),
        ])
        #expect(runs.status == 0)
        #expect(runs.stderr.contains("sorted runs on disk"))
        #expect(runs.stdout == reference.stdout)
    }

    @Test func cdsHooksResponsesPerPatient() throws {
        let dir = try Self.export(Self.merge([Self.escalation("p1")]))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CLITests.run(["evaluate", "--bulk", dir, "--as-of", Self.asOf, "--format", "cds-hooks"])
        #expect(run.status == 0)
        let out = try Self.lines(run.stdout)
        #expect(out.count == 1 && out[0]["response"]?["cards"]?.arrayValue?.isEmpty == false)
    }

    /// Lines that are not JSON are reported with file and line, attached to no one, and
    /// make the status 65.
    @Test func unreadableLinesAreCountedWithTheirPlace() throws {
        var files = Self.merge([Self.escalation("p1")])
        files["Observation.ndjson", default: []].insert(#"{"resourceType": "#, at: 1)
        let dir = try Self.export(files, manifest: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CLITests.run(["evaluate", "--bulk", dir, "--as-of", Self.asOf])
        #expect(run.status == 65)
        #expect(run.stderr.contains("Observation.ndjson:2: invalid JSON"))
        #expect(try Self.lines(run.stdout).first?["plan"] != nil)
    }

    /// SIGTERM during the evaluation pass: the patients already handed to the lanes are
    /// written whole, in order, and the status says the run was cut short.
    @Test func sigtermWritesWholeLinesAndExits143() throws {
        let dir = try Self.export(Self.merge((0..<3000).map { Self.escalation("p\($0)") }))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (p, input, output) = try CLITests.spawn(["evaluate", "--bulk", dir, "--as-of", Self.asOf, "--workers", "1"])
        try input.fileHandleForWriting.close()
        let reader = output.fileHandleForReading
        var text = Data()
        while !text.contains(0x0A) { text.append(reader.availableData) }
        kill(p.processIdentifier, SIGTERM)
        text.append(reader.readDataToEndOfFile())
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 143)
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "no line cut short")
        let patients = lines.dropLast().compactMap { (try? JSONParser().parse(String($0)))?["patient"]?.stringValue }
        #expect(patients.count == lines.count - 1 && patients.count < 3000)
        #expect(patients == patients.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test func aMissingFolderOrFileIs66AndMisuseIs64() throws {
        #expect(try CLITests.run(["evaluate", "--bulk", "/nonexistent/export"]).status == 66)
        let dir = try Self.export(["Patient.ndjson": []])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"output":[{"type":"Patient","url":"https://h.example/missing.ndjson"}]}"#.write(
            toFile: dir + "/manifest.json", atomically: true, encoding: .utf8)
        let missing = try CLITests.run(["evaluate", "--bulk", dir])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("/output/0/url: missing.ndjson is not in"))
        #expect(try CLITests.run(["evaluate", "--bulk", "--batch", dir]).status == 64)
        #expect(try CLITests.run(["evaluate", "--bulk", "--pretty", dir]).status == 64)
    }
}
