import CDSJSON
import CDSModuleAPI

/// One reason a case was refused: where (a JSON Pointer into the case) and why.
public struct CaseIssue: Sendable, Hashable, CustomStringConvertible {
    /// The offending value's path; empty for the whole document.
    public var path: JSONPointer
    /// What was expected and what was found.
    public var message: String

    public init(path: JSONPointer, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message` (`/` for the document itself).
    public var description: String {
        "\(path.tokens.isEmpty ? "/" : path.description): \(message)"
    }
}

/// The case was not valid; nothing was evaluated.
public struct CaseValidationError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, in path order.
    public var issues: [CaseIssue]

    public init(issues: [CaseIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Turns case bytes or a JSON document into a validated ``ClinicalCase``.
package struct CaseReader: Sendable {
    package let schema: JSONSchema
    package let parser: JSONParser

    package init(schema: JSONSchema, limits: JSONParser.Limits = .init(maxDepth: 32, maxBytes: 1 << 20)) {
        self.schema = schema
        self.parser = JSONParser(limits: limits)
    }

    /// Parses and validates case bytes.
    package func read(_ bytes: [UInt8]) throws(CaseValidationError) -> ClinicalCase {
        let document: JSONValue
        do {
            document = try parser.parse(bytes)
        } catch {
            throw CaseValidationError(issues: [CaseIssue(path: .root, message: "invalid JSON at byte \(error.offset): \(error.message)")])
        }
        return try read(document)
    }

    /// The problems of a case document; empty when it is valid.
    package func issues(in document: JSONValue) -> [CaseIssue] {
        schema.validate(document).map { CaseIssue(path: $0.path, message: $0.message) }
    }

    /// Validates a case document against the schema and builds the typed case.
    package func read(_ document: JSONValue) throws(CaseValidationError) -> ClinicalCase {
        let problems = issues(in: document)
        guard problems.isEmpty else { throw CaseValidationError(issues: problems) }
        // The schema guarantees every shape below; a mismatch is a schema/reader drift and
        // is reported as an error rather than trapping.
        guard let c = Self.build(document) else {
            throw CaseValidationError(issues: [CaseIssue(path: .root, message: "case passed the schema but does not match the engine's case model (schema and engine out of step)")])
        }
        return c
    }

    private static func build(_ d: JSONValue) -> ClinicalCase? {
        guard let p = d["patient"], let age = p["age"]?.numberValue, let sex = p["sex"]?.stringValue, let s = d["symptoms"],
            let s1 = s["anteriorHipOrGroinPain"]?.boolValue, let s2 = s["weaknessResistedHipFlexionInAbduction"]?.boolValue,
            let s3 = s["clickingOrSnapping"]?.boolValue, let s4 = s["painWithHipFlexionActivities"]?.boolValue
        else { return nil }
        var c = ClinicalCase(
            patient: .init(age: Int(age), sex: sex),
            symptoms: .init(anteriorHipOrGroinPain: s1, weaknessResistedHipFlexionInAbduction: s2, clickingOrSnapping: s3, painWithHipFlexionActivities: s4),
            document: d)
        c.caseId = d["caseId"]?.stringValue
        if let date = d["assessmentDate"]?.stringValue {
            guard let parsed = CalendarDate(date) else { return nil }
            c.assessmentDate = parsed
        }
        if let pop = d["population"], let group = pop["group"]?.stringValue {
            c.population = .init(group: group, level: pop["level"]?.stringValue)
        }
        if let h = d["surgicalHistory"], let tha = h["totalHipArthroplasty"]?.boolValue, let ten = h["iliopsoasTenotomy"]?.boolValue {
            c.surgicalHistory = .init(
                totalHipArthroplasty: tha, iliopsoasTenotomy: ten, monthsSinceSurgery: h["monthsSinceSurgery"]?.numberValue,
                persistentGroinPain: h["persistentGroinPain"]?.boolValue)
        }
        if let cc = d["conservativeCare"], let months = cc["months"]?.numberValue {
            c.conservativeCare = .init(months: months, outcome: cc["outcome"]?.stringValue)
        }
        if let e = d["exercise"], let tier = e["currentTier"]?.stringValue {
            c.exercise = .init(currentTier: tier, tolerated: e["tolerated"]?.boolValue)
        }
        if let a = d["activity"] {
            c.activity = .init(returnedToPreviousLevel: a["returnedToPreviousLevel"]?.boolValue)
        }
        func readings(_ key: String) -> [ClinicalCase.Reading]? {
            var result: [ClinicalCase.Reading] = []
            for r in d["measurements"]?[key]?.arrayValue ?? [] {
                guard let date = r["date"]?.stringValue.flatMap(CalendarDate.init), let v = r["value"]?.numberValue else { return nil }
                result.append(.init(date: date, value: Int(v)))
            }
            // Stable sort: same-day readings keep their document order.
            return result.enumerated().sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }.map(\.element)
        }
        guard let nprs = readings("nprs"), let lefs = readings("lefs") else { return nil }
        c.nprs = nprs
        c.lefs = lefs
        c.contraindications = (d["contraindications"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
        c.allergies = (d["allergies"]?.arrayValue ?? []).compactMap { $0["substance"]?.stringValue }
        return c
    }
}
