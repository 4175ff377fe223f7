import CDSJSON
import Foundation
import Testing

/// Runs the `sh` examples of docs/ehr-integration.md with the built executable: each block
/// with a `cds evaluate` command; `# exit status N` lines give its status (default 0), `# cds: …`
/// lines must each be a line of its standard error, and a `json` block right after it is
/// its standard output (`"…"` matches anything, as in docs/protocol.md's examples).
@Suite("docs/ehr-integration.md examples")
struct EHRIntegrationDocumentationTests {
    struct Example: Sendable, CustomStringConvertible {
        var command: [String]
        var status: Int32
        var stderrLines: [String]
        var stdout: String?
        var description: String { command.joined(separator: " ") }
    }

    static let examples: [Example] = {
        let document = (try? String(contentsOfFile: CLITests.root + "/docs/ehr-integration.md", encoding: .utf8)) ?? ""
        return document.components(separatedBy: "```sh\n").dropFirst().compactMap { chunk -> Example? in
            let parts = chunk.components(separatedBy: "\n```")
            let lines = parts[0].split(separator: "\n").map(String.init)
            guard let command = lines.first(where: { $0.hasPrefix("cds evaluate ") }) else { return nil }
            let status = lines.first { $0.hasPrefix("# exit status ") }.flatMap { Int32($0.dropFirst("# exit status ".count)) } ?? 0
            let stderr = lines.filter { $0.hasPrefix("# cds: ") }.map { String($0.dropFirst(2)) }
            let rest = parts.dropFirst().joined(separator: "\n```").drop { $0 == "\n" }
            var stdout: String?
            if rest.hasPrefix("```json\n") {
                stdout = rest.dropFirst("```json\n".count).components(separatedBy: "\n```")[0]
            }
            return Example(
                command: command.split(separator: " ").dropFirst().map(String.init), status: status, stderrLines: stderr, stdout: stdout)
        }
    }()

    @Test func thePageHasTheWorkedRxNormExample() {
        #expect(Self.examples.contains { $0.command.last == "Tests/FHIR/rxnorm-ibuprofen-allergy.bundle.json" && $0.stdout != nil })
        #expect(Self.examples.count >= 8)
    }

    @Test(arguments: examples)
    func exampleBehavesAsDocumented(example: Example) throws {
        let r = try CLITests.run(example.command)
        #expect(r.status == example.status, "\(example): \(r.stderr)")
        let errorLines = r.stderr.split(separator: "\n").map(String.init)
        for line in example.stderrLines {
            #expect(errorLines.contains(line), "\(example): stderr lacks \(line)\n\(r.stderr)")
        }
        if let documented = example.stdout {
            let d = try JSONParser().parse(documented.replacingOccurrences(of: "\n", with: " "))
            let a = try JSONParser().parse(r.stdout.trimmingCharacters(in: .newlines))
            #expect(ProtocolDocumentationTests.matches(d, a), "\(example): documented \(documented)")
        }
    }
}
