import CDSJSON
import CDSModuleAPI

/// Why an input could not become a case.
package struct InputError: Error, Sendable {
    /// Every problem, with its path in the (built) case.
    package var issues: [CaseIssue]
    /// For FHIR input: the required case facts no resource stated.
    package var missingFacts: [String]
    /// For FHIR input: what was used and ignored.
    package var report: FHIRCaseBuilder.Report?
}

extension Engine {
    /// A case from a case document, a FHIR R4 Bundle or a CDS Hooks request. For FHIR input
    /// the assessment date is `asOf`, else the engine's clock, and the report says how the
    /// case was built.
    package func readInput(_ document: JSONValue, asOf: CalendarDate?) throws(InputError) -> (ClinicalCase, FHIRCaseBuilder.Report?) {
        guard FHIRCaseBuilder.isFHIRInput(document) else {
            do {
                return (try caseReader.read(document), nil)
            } catch {
                throw InputError(issues: error.issues, missingFacts: [], report: nil)
            }
        }
        let (built, report) = FHIRCaseBuilder(mapping: catalog.fhirMapping, asOf: asOf ?? clock.today()).build(document)
        let issues = caseReader.issues(in: built)
        if !issues.isEmpty {
            let marker = "missing required property \""
            let missing = issues.compactMap { issue -> String? in
                guard issue.message.hasPrefix(marker) else { return nil }
                let name = issue.message.dropFirst(marker.count).dropLast()
                return issue.path.appending(String(name)).description
            }
            throw InputError(issues: issues, missingFacts: missing, report: report)
        }
        do {
            return (try caseReader.read(built), report)
        } catch {
            throw InputError(issues: error.issues, missingFacts: [], report: report)
        }
    }
}
