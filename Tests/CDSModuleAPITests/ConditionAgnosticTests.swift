import Foundation
import Testing

/// The module API is condition-agnostic (issue 13): no name of one condition's case, scales
/// or populations appears in its sources. The typed iliopsoas case lives in IliopsoasCondition.
@Suite("CDSModuleAPI is condition-agnostic")
struct ConditionAgnosticTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path
    static let forbidden = ["iliopsoas", "symptom", "arthroplasty", "nprs", "lefs", "dancer", "clinicalcase"]

    @Test func noConditionSpecificNameAppearsInTheModuleAPISources() throws {
        let directory = Self.root + "/Sources/CDSModuleAPI"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".swift") }.sorted()
        #expect(files.contains("CaseFacts.swift"), "the module API sources are where this test expects them")
        var found: [String] = []
        for file in files {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let lowered = line.lowercased()
                for word in Self.forbidden where lowered.contains(word) {
                    found.append("\(file):\(number + 1): \(word)")
                }
            }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }
}
