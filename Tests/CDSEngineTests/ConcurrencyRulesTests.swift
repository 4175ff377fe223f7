import CDSTestSupport
import Foundation
import Testing

/// The concurrency rules of docs/contributing.md, checked on the source: the compiler checks
/// `Sendable` everywhere except at the few reviewed places listed here, each of which carries
/// the comment proving why it is safe. A new `@unchecked Sendable` or `nonisolated(unsafe)`
/// fails this test until it is reviewed and added to the list (with its proof beside it).
struct ConcurrencyRulesTests {
    /// Where the compiler is told to trust the code, per file, and how often.
    static let reviewed: [String: [String: Int]] = [
        "@unchecked Sendable": [
            // The lock box itself, conditional: `Sendable` only where its value is.
            "Sources/CDSEngine/Support/Locked.swift": 1,
            // `Regex` is not `Sendable`; a compiled pattern is only read.
            "Sources/CDSEngine/Schema/SchemaNode.swift": 1,
            // The facts' shared storage: an immutable document and a view cache behind a mutex.
            "Sources/CDSModuleAPI/CaseFacts.swift": 1,
            // The JSON writer's buffer, copied on write like an array's.
            "Sources/CDSJSON/JSONWriter.swift": 1,
            // A mutex held across calls, and the pthread mutex wrapper it is.
            "Sources/CDSModuleHost/OutOfProcessModule.swift": 2,
        ],
        "nonisolated(unsafe)": [
            // The signal pipe's descriptor, set once before any handler is installed.
            "Sources/CDSServer/ShutdownSignal.swift": 1,
            // The newline byte `writev` points at, written once before it is shared.
            "Sources/CDSJSON/FileDescriptorIO.swift": 1,
            // libedit's completion callback, used on the REPL's thread only.
            "Sources/CDSRepl/Terminal.swift": 1,
            // The external sorter, used under the read state's lock or after the pipeline drains.
            "Sources/CDSBulkData/BulkEvaluator.swift": 1,
        ],
    ]

    /// Occurrences of `marker` in the Swift files under Sources and Plugins, per file
    /// relative to the repository root.
    static func occurrences(of marker: String) throws -> [String: Int] {
        var found: [String: Int] = [:]
        for top in ["Sources", "Plugins"] {
            let base = TestRepository.root + "/" + top
            guard let files = FileManager.default.enumerator(atPath: base) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: base + "/" + file, encoding: .utf8)
                let count = text.components(separatedBy: "\n").filter { line in
                    let code = line.trimmingCharacters(in: .whitespaces)
                    return !code.hasPrefix("//") && code.contains(marker)
                }.count
                if count > 0 { found[top + "/" + file] = count }
            }
        }
        return found
    }

    @Test(arguments: ["@unchecked Sendable", "nonisolated(unsafe)"])
    func theCompilerIsOverruledOnlyWhereReviewed(marker: String) throws {
        #expect(try Self.occurrences(of: marker) == Self.reviewed[marker])
    }

    /// Each overruling has its proof next to it: a comment in the lines just above.
    @Test func eachOverrulingCarriesItsProof() throws {
        for (marker, files) in Self.reviewed {
            for file in files.keys {
                let lines = try String(contentsOfFile: TestRepository.root + "/" + file, encoding: .utf8).components(separatedBy: "\n")
                for (i, line) in lines.enumerated()
                where line.contains(marker) && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                    let above = lines[max(0, i - 4)..<i].map { $0.trimmingCharacters(in: .whitespaces) }
                    #expect(above.contains { $0.hasPrefix("//") }, "\(file):\(i + 1): \(marker) without a comment saying why it is safe")
                }
            }
        }
    }
}
