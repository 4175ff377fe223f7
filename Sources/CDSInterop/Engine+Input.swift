import CDSEngine
import CDSJSON
import CDSModuleAPI

/// Why an input could not become a case.
package struct InputError: Error, Sendable {
    /// Every problem, with its path in the (built) case.
    package var issues: [CaseIssue]
    /// For a CDS Hooks request: the prefetch keys the service asked for and did not get.
    package var missingPrefetch: [String] = []
    /// For FHIR input: more than one patient, or a context naming another patient.
    package var identityProblem: FHIRCaseBuilder.IdentityProblem?
    /// For FHIR input: what was used and ignored.
    package var report: FHIRCaseBuilder.Report?
}

extension ModuleReport.Status {
    /// The module was not run: the algorithm does not apply, or facts it needs are unknown.
    package static let notRun = ModuleReport.Status(rawValue: "not-run")
}

extension Engine {
    /// A case from a case document, a FHIR R4 Bundle or a CDS Hooks request. For FHIR input
    /// the assessment date is `asOf`, else the engine's clock, and the report says how the
    /// case was built. FHIR input that lacks required facts is refused here; use
    /// ``evaluateInput(_:asOf:)``, which answers it with a plan.
    package func readInput(_ document: JSONValue, asOf: CalendarDate?) throws(InputError) -> (CaseFacts, FHIRCaseBuilder.Report?) {
        let (built, report) = try buildInput(document, asOf: asOf)
        guard let c = built.clinicalCase else { throw InputError(issues: built.issues, report: report) }
        return (c, report)
    }

    /// The plan for a case document, a FHIR R4 Bundle or a CDS Hooks request.
    ///
    /// FHIR input is refused only when it is not one patient's record or, for CDS Hooks,
    /// when a prefetch key the service asked for is missing. Anything else gets a plan: when
    /// nothing on record concerns iliopsoas syndrome, or when facts the case needs are not on
    /// record, the plan has no recommendations, no module is run and `input` says why.
    package func evaluateInput(_ document: JSONValue, asOf: CalendarDate?) throws(InputError) -> Plan {
        let (built, report) = try buildInput(document, asOf: asOf)
        guard var report else {
            // A case document: buildInput validated it or threw.
            guard let c = built.clinicalCase else { throw InputError(issues: built.issues, report: nil) }
            return evaluate(c, asOf: asOf)
        }
        if report.applicable, let c = built.clinicalCase {
            var plan = evaluate(c, asOf: asOf)
            plan.input = report.json
            return plan
        }
        report.unknown = built.issues.compactMap { issue -> String? in
            guard issue.code == .missingRequired, let member = issue.member else { return nil }
            return issue.path.appending(member).description
        }
        if report.applicable {
            report.notes.append("the case cannot be assessed until these facts are on record: \(report.unknown.joined(separator: ", "))")
        }
        let date = (built.document["assessmentDate"]?.stringValue).flatMap(CalendarDate.init) ?? asOf ?? clock.today()
        let notRun = registry.modules.map { entry in
            ModuleReport(
                descriptor: entry.descriptor, priority: policy.priority(ofModule: entry.descriptor.id), status: .notRun, proposalCount: 0,
                error: nil)
        }
        return Plan(
            caseId: built.document["caseId"]?.stringValue, asOf: date, caseDocument: built.document,
            resolution: Resolution(recommendations: [], superseded: []), modules: notRun, input: report.json)
    }

    /// The built case document, its schema issues and the typed case when it is valid.
    private func buildInput(_ document: JSONValue, asOf: CalendarDate?) throws(InputError) -> (BuiltInput, FHIRCaseBuilder.Report?) {
        guard FHIRCaseBuilder.isFHIRInput(document) else {
            do {
                let c = try caseReader.read(document)
                return (BuiltInput(document: document, issues: [], clinicalCase: c), nil)
            } catch {
                throw InputError(issues: error.issues, report: nil)
            }
        }
        var ranges: [JSONPointer: ClosedRange<Int>] = [:]
        for i in catalog.instruments where i.minimum <= i.maximum {
            ranges[JSONPointer(tokens: ["measurements", i.id])] = i.minimum...i.maximum
        }
        let builder = FHIRCaseBuilder(mapping: catalog.fhirMapping, asOf: asOf ?? clock.today(), readingRanges: ranges)
        let (built, report) = builder.build(document)
        if let problem = report.identityProblem {
            throw InputError(issues: [CaseIssue(path: .root, message: problem.message)], identityProblem: problem, report: report)
        }
        if !report.missingPrefetch.isEmpty {
            throw InputError(issues: [], missingPrefetch: report.missingPrefetch, report: report)
        }
        let issues = caseReader.issues(in: built)
        guard issues.isEmpty else { return (BuiltInput(document: built, issues: issues, clinicalCase: nil), report) }
        do {
            return (BuiltInput(document: built, issues: [], clinicalCase: try caseReader.read(built)), report)
        } catch {
            return (BuiltInput(document: built, issues: error.issues, clinicalCase: nil), report)
        }
    }
}

/// A case document built from input, with what validating it found.
private struct BuiltInput {
    var document: JSONValue
    var issues: [CaseIssue]
    var clinicalCase: CaseFacts?
}
