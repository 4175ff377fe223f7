import ArgumentParser
import CDSCommandLine
import CDSEngine
import CDSInterop
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

    /// A plan, or why there is none.
    enum Outcome {
        /// The plan (for FHIR input, with `input` saying how the case was built).
        case plan(Plan)
        /// The problems, in the order a person should read them.
        case problems([Problem])
    }

    /// The plan for `document` (a case, a FHIR R4 Bundle or a CDS Hooks request), or its
    /// problems. `cds evaluate` and `cds validate` share it, so that they accept the same inputs.
    static func evaluate(_ document: JSONValue, engine: Engine, asOf: CalendarDate?) -> Outcome {
        if let type = document["resourceType"]?.stringValue, !FHIRCaseBuilder.isFHIRInput(document) {
            return .problems([
                Problem(
                    isNote: false,
                    text:
                        "/resourceType: a FHIR \(type) resource on its own is not an input: give a FHIR R4 Bundle (resourceType \"Bundle\") "
                        + "holding the patient's resources, a CDS Hooks request, or a case (`cds catalog schema`)")
            ])
        }
        do throws(InputError) {
            return .plan(try engine.evaluateInput(document, asOf: asOf))
        } catch {
            var problems: [Problem] = []
            if !error.missingPrefetch.isEmpty {
                problems.append(
                    Problem(
                        isNote: false, text: "prefetch the service asked for is missing: \(error.missingPrefetch.joined(separator: ", "))"))
            }
            problems += error.issues.map { Problem(isNote: false, text: "\($0)") }
            problems += (error.report?.notes ?? []).map { Problem(isNote: true, text: $0) }
            return .problems(problems)
        }
    }
}
