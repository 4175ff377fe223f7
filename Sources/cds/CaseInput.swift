import ArgumentParser
import CDSEngine
import CDSJSON
import CDSModuleAPI

/// Reads a case document from a file or standard input (`-`), with a size limit, and turns
/// what `cds evaluate` and `cds validate` accept (a case, a FHIR R4 Bundle, a CDS Hooks
/// request) into a case, or into the problems a person can act on.
enum CaseInput {
    static let limit = 1 << 20

    /// The bytes of the case, or exit status 66 with the reason on standard error.
    static func readOrExit(_ path: String) throws -> [UInt8] {
        do {
            return try FileSystem.read(path, limit: limit)
        } catch {
            StandardStreams.error("cds: error: \(error)")
            throw ExitStatus.caseUnreadable.code
        }
    }

    /// One line of what went wrong: an error, or a note about how FHIR input was read.
    struct Problem {
        var isNote: Bool
        var text: String
    }

    /// A case read, or why not.
    enum Outcome {
        /// The case, and for FHIR input the report of how it was built.
        case read(ClinicalCase, FHIRCaseBuilder.Report?)
        /// The problems, in the order a person should read them.
        case problems([Problem])
    }

    /// The case in `document`, or its problems.
    static func read(_ document: JSONValue, engine: Engine, asOf: CalendarDate?) -> Outcome {
        if let type = document["resourceType"]?.stringValue, !FHIRCaseBuilder.isFHIRInput(document) {
            return .problems([
                Problem(
                    isNote: false,
                    text: "/resourceType: a FHIR \(type) resource on its own is not an input: give a FHIR R4 Bundle (resourceType \"Bundle\") "
                        + "holding the patient's resources, a CDS Hooks request, or a case (Catalog/schema/case.schema.json)")
            ])
        }
        do throws(InputError) {
            let (clinicalCase, report) = try engine.readInput(document, asOf: asOf)
            return .read(clinicalCase, report)
        } catch {
            var problems: [Problem] = []
            if !error.missingFacts.isEmpty {
                problems.append(Problem(isNote: false, text: "facts needed for a decision are missing: \(error.missingFacts.joined(separator: ", "))"))
                problems += (error.report?.notes ?? []).map { Problem(isNote: true, text: $0) }
            }
            for issue in error.issues where error.missingFacts.isEmpty || !issue.message.hasPrefix("missing required property") {
                problems.append(Problem(isNote: false, text: "\(issue)"))
            }
            return .problems(problems)
        }
    }
}
