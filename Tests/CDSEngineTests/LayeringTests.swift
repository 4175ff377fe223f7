import CDSTestSupport
import Foundation
import Testing

/// The engine knows cases, modules, packs, the resolver and plans; FHIR R4 and CDS Hooks
/// live in CDSInterop above it (docs/architecture.md).
@Suite struct LayeringTests {
    /// Every Swift file under `directory`, relative path and text.
    static func swiftFiles(under directory: String) throws -> [(String, String)] {
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var files: [(String, String)] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            files.append((relative, try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    @Test func engineSourcesNameNoFHIROrCDSHooksCode() throws {
        let files = try Self.swiftFiles(under: TestRepository.root + "/Sources/CDSEngine")
        #expect(files.count > 10)
        // Types and imports of the interop layer; Catalog file names (data) are allowed.
        let forbidden = try Regex(
            #"import CDSInterop|\bFHIR[A-Z][A-Za-z]*|CDSHooks[A-Z][A-Za-z]*|\bFeedbackLog\b|\bInputError\b|cdsHooks|fhirMapping"#)
        var hits: [String] = []
        for (path, text) in files {
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.contains(forbidden)
            {
                hits.append("Sources/CDSEngine/\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(hits.isEmpty, "the engine mentions interop code:\n\(hits.joined(separator: "\n"))")
    }

    @Test func interopSourcesLiveInTheirOwnTarget() throws {
        let files = try Self.swiftFiles(under: TestRepository.root + "/Sources/CDSInterop").map(\.0)
        #expect(files.contains("FHIRCaseBuilder.swift"))
        #expect(files.contains("Plan+CDSHooks.swift"))
        #expect(files.contains("FeedbackLog.swift"))
    }

    /// The HTTP stack is `cds-hooks`'s alone: `cds` (which every `cds serve` and pipeline
    /// worker starts) and what it shares with `cds-hooks` import none of it, so that its
    /// binary carries none of its code or conformance records (docs/performance.md, Start-up).
    @Test func cdsLinksNoHTTPStack() throws {
        let http = try Regex(#"^import (CDSHooksService|Hummingbird|NIO[A-Za-z]*|JWTKit|ServiceLifecycle|HTTPTypes|Crypto|Foundation)\b"#)
        var hits: [String] = []
        for target in ["cds", "CDSCommandLine"] {
            for (path, text) in try Self.swiftFiles(under: TestRepository.root + "/Sources/" + target) {
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.contains(http) {
                    hits.append("Sources/\(target)/\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(hits.isEmpty, "\(hits.joined(separator: "\n"))")
        #expect(try Self.swiftFiles(under: TestRepository.root + "/Sources/cds-hooks").contains { $0.1.contains("import CDSHooksService") })
    }

    @Test func noCodeRecognisesAnErrorByItsEnglishMessage() throws {
        // Callers compare an issue's code (PathIssue.code), never its text.
        let pattern = try Regex(#"message\.(hasPrefix|hasSuffix|contains|starts)|message ==|"missing required property \\""#)
        var hits: [String] = []
        for target in [
            "CDSEngine", "CDSInterop", "CDSServer", "CDSRepl", "CDSModuleHost", "CDSBulkData", "CDSHooksService", "CDSCommandLine", "cds",
            "cds-hooks",
        ] {
            for (path, text) in try Self.swiftFiles(under: TestRepository.root + "/Sources/" + target) {
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.contains(pattern) {
                    hits.append("Sources/\(target)/\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(hits.isEmpty, "\(hits.joined(separator: "\n"))")
    }
}
