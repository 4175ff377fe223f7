import CDSJSON
import CDSTestSupport
import Foundation
import Testing

/// Runs the examples of docs/protocol.md against the real server.
@Suite("docs/protocol.md examples")
struct ProtocolDocumentationTests {
    static let document: String = (try? String(contentsOfFile: CLITests.root + "/docs/protocol.md", encoding: .utf8)) ?? ""

    static func blocks(_ language: String) -> [String] {
        document.components(separatedBy: "```" + language + "\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] }
    }

    /// Documented values match actual ones; `"…"` matches anything, an array ending in
    /// `"…"` matches a longer one, and objects may have more members than documented.
    static func matches(_ documented: JSONValue, _ actual: JSONValue) -> Bool {
        switch documented {
        case .string("…"):
            return true
        case .object(let d):
            guard case .object(let a) = actual else { return false }
            return d.allSatisfy { member in a[member.key].map { matches(member.value, $0) } ?? false }
        case .array(let d):
            guard case .array(let a) = actual else { return false }
            if d.last == .string("…") {
                return a.count >= d.count - 1 && zip(d.dropLast(), a).allSatisfy { matches($0, $1) }
            }
            return a.count == d.count && zip(d, a).allSatisfy { matches($0, $1) }
        default:
            return documented == actual
        }
    }

    @Test func thereAreExamplesForEveryMethod() {
        let text = Self.blocks("jsonrpc").joined(separator: "\n")
        for method in [
            "initialize", "ping", "modules/list", "catalog/list", "catalog/get", "case/validate", "case/evaluate", "cds-hooks/discovery",
            "feedback/record", "shutdown", "exit",
        ] {
            #expect(text.contains(#""method":"\#(method)""#), "\(method) has no example")
        }
    }

    @Test(arguments: blocks("jsonrpc"))
    func exchangeBehavesAsDocumented(block: String) throws {
        let lines = block.split(separator: "\n")
        let sent = lines.filter { $0.hasPrefix("--> ") }.map { String($0.dropFirst(4)) }
        let expected = lines.filter { $0.hasPrefix("<-- ") }.map { String($0.dropFirst(4)) }
        let session = try ServerProcess.session(sent.map { $0 + "\n" }.joined())
        #expect(session.lines.count == expected.count, "\(block)")
        for (documented, actual) in zip(expected, session.lines) {
            let d = try JSONParser().parse(documented)
            let a = try JSONParser().parse(actual)
            #expect(Self.matches(d, a), "documented: \(documented)\nactual: \(actual)")
        }
    }

    @Test func pythonQuickStartRuns() throws {
        let code = try #require(Self.blocks("python").first)
        let file = NSTemporaryDirectory() + "quickstart-\(UUID().uuidString).py"
        try code.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", file, CLITests.binary]
        let out = childPipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.contains("consider escalation.corticosteroid-injection\n"))
        #expect(text.hasPrefix("recommend initial."))
    }

    @Test func shellOneLinerRuns() throws {
        let line = try #require(Self.blocks("sh").first?.split(separator: "\n").first)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", String(line)]
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().path + ":" + (env["PATH"] ?? "")
        p.environment = env
        let out = childPipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text == #"{"jsonrpc":"2.0","id":1,"result":{}}"# + "\n")
    }
}

extension ProtocolDocumentationTests {
    @Test func theExampleMatcherRejectsDifferences() throws {
        let p = { (s: String) in try JSONParser().parse(s) }
        #expect(Self.matches(try p(#"{"a":"…","b":[1,"…"]}"#), try p(#"{"a":{"x":1},"b":[1,2,3],"c":0}"#)))
        #expect(!Self.matches(try p(#"{"a":1}"#), try p(#"{"a":2}"#)))
        #expect(!Self.matches(try p(#"{"a":1}"#), try p(#"{"b":1}"#)))
        #expect(!Self.matches(try p(#"[1,2]"#), try p(#"[1,2,3]"#)))
        #expect(!Self.matches(try p(#"[2,"…"]"#), try p(#"[1,2]"#)))
    }
}
