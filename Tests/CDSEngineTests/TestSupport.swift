import CDSBuiltins
@testable import CDSEngine
@testable import CDSInterop
import CDSModuleAPI
import CDSTestSupport
import Foundation
import IliopsoasCondition

/// Paths and shared fixtures for the engine tests.
enum Repository {
    static var root: String { TestRepository.root }
    static var catalogDirectory: String { root + "/Catalog" }
    static var catalog: Catalog { TestRepository.catalog }
}

/// A scratch copy of the Catalog that a test may break.
struct ScratchCatalog {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "cds-catalog-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: Repository.catalogDirectory, toPath: directory)
    }

    func write(_ file: String, _ text: String) throws {
        try text.write(toFile: directory + "/" + file, atomically: true, encoding: .utf8)
    }

    func read(_ file: String) throws -> String {
        try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
    }

    /// Replaces the first occurrence of `target` in `file`; fails if absent.
    func replace(_ file: String, _ target: String, with replacement: String) throws {
        let text = try read(file)
        guard let range = text.range(of: target) else { throw ScratchError(message: "\(target) not in \(file)") }
        try write(file, text.replacingCharacters(in: range, with: replacement))
    }

    func load() -> Result<Catalog, CatalogLoadError> {
        do { return .success(try Interop.loadCatalog(directory: directory)) } catch { return .failure(error) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

struct ScratchError: Error { var message: String }

/// A module whose behaviour a test sets (on the typed iliopsoas case).
struct StubModule: IliopsoasAssessmentModule {
    var descriptor: ModuleDescriptor
    var behaviour: @Sendable (ClinicalCase, AssessmentContext) throws -> [Proposal]

    init(
        id: String, apiVersion: ModuleAPIVersion = .current, reads: [FactPath] = ["/symptoms"], pack: String? = nil,
        proposes: [RecommendationPattern] = [.everyRecommendationOfPack],
        behaviour: @escaping @Sendable (ClinicalCase, AssessmentContext) throws -> [Proposal]
    ) {
        descriptor = ModuleDescriptor(
            id: id, version: SemanticVersion(1, 0, 0), apiVersion: apiVersion, summary: "test module", reads: reads, pack: pack,
            proposes: proposes)
        self.behaviour = behaviour
    }

    func assess(_ c: ClinicalCase, context: AssessmentContext) throws -> [Proposal] { try behaviour(c, context) }
}

enum Cases {
    /// A minimal valid case with every common symptom present.
    static func minimal(_ extra: (inout [String: Any]) -> Void = { _ in }) -> [UInt8] {
        var c: [String: Any] = [
            "schemaVersion": 1, "assessmentDate": "2026-03-02", "patient": ["age": 40, "sex": "female"],
            "symptoms": [
                "anteriorHipOrGroinPain": true, "weaknessResistedHipFlexionInAbduction": true, "clickingOrSnapping": true,
                "painWithHipFlexionActivities": true,
            ],
        ]
        extra(&c)
        return Array(Self.json(c).utf8)
    }

    /// Tiny JSON writer for test fixtures (the product never uses Foundation JSON).
    static func json(_ value: Any) -> String {
        switch value {
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double: return String(d)
        case let s as String:
            return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case let a as [Any]: return "[" + a.map(json).joined(separator: ",") + "]"
        case let o as [String: Any]: return "{" + o.keys.sorted().map { json($0) + ":" + json(o[$0]!) }.joined(separator: ",") + "}"
        default: return "null"
        }
    }

    static func read(_ bytes: [UInt8]) throws(CaseValidationError) -> CaseFacts {
        try CaseReader(schema: Repository.catalog.caseSchema).read(bytes)
    }

    /// The typed iliopsoas case of valid case bytes.
    static func typed(_ bytes: [UInt8]) throws -> ClinicalCase {
        try read(bytes).clinicalCase()
    }
}
