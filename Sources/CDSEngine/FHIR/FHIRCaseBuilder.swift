import CDSJSON
import CDSModuleAPI

/// Builds a case document from a FHIR R4 Bundle or a CDS Hooks request, using the
/// Catalog's FHIR mapping; reports what it used, what it ignored and why.
///
/// It never guesses: a fact no resource states stays absent, and a case that lacks what
/// the schema requires is refused with the missing facts named (the CDS Hooks "412" case).
package struct FHIRCaseBuilder: Sendable {
    /// The prefetch keys the discovery document declares.
    package static let prefetchKeys = ["patient", "conditions", "observations", "procedures", "allergies", "medications"]

    package let mapping: FHIRMapping
    package let asOf: CalendarDate

    package init(mapping: FHIRMapping, asOf: CalendarDate) {
        self.mapping = mapping
        self.asOf = asOf
    }

    /// What the builder did.
    package struct Report: Sendable, Hashable {
        package var format: String
        package var mapped: [JSONValue] = []
        package var ignored: [JSONValue] = []
        package var notes: [String] = []

        package var json: JSONValue {
            var o: JSONObject = ["format": .string(format), "mapped": .array(mapped), "ignored": .array(ignored)]
            if !notes.isEmpty { o["notes"] = .array(notes.map(JSONValue.string)) }
            return .object(o)
        }
    }

    /// Whether a document is FHIR or CDS Hooks input rather than a case.
    package static func isFHIRInput(_ document: JSONValue) -> Bool {
        document["resourceType"] == "Bundle" || (document["hook"]?.stringValue != nil && document["hookInstance"] != nil)
    }

    /// The case document and the report.
    package func build(_ input: JSONValue) -> (document: JSONValue, report: Report) {
        var report: Report
        var resources: [JSONValue] = []
        var caseId: String?
        if input["resourceType"] == "Bundle" {
            report = Report(format: "fhir-r4-bundle")
            resources = Self.entries(of: input)
            caseId = input["id"]?.stringValue
        } else {
            report = Report(format: "cds-hooks-request")
            caseId = input["hookInstance"]?.stringValue
            let prefetch = input["prefetch"]?.objectValue
            for key in Self.prefetchKeys {
                switch prefetch?[key] {
                case nil:
                    report.notes.append("prefetch \"\(key)\" was not provided; this service does not fetch data itself")
                case .null?:
                    report.notes.append("prefetch \"\(key)\" is null: the EHR returned nothing for it")
                case let value?:
                    resources += value["resourceType"] == "Bundle" ? Self.entries(of: value) : [value]
                }
            }
        }
        var document: JSONObject = ["schemaVersion": 1, "assessmentDate": .string(asOf.description)]
        if let caseId, !caseId.isEmpty { document["caseId"] = .string(String(caseId.prefix(128))) }
        var latest: [JSONPointer: String] = [:]
        for (index, resource) in resources.enumerated() {
            apply(resource, index: index, to: &document, latest: &latest, report: &report)
        }
        return (.object(document), report)
    }

    static func entries(of bundle: JSONValue) -> [JSONValue] {
        (bundle["entry"]?.arrayValue ?? []).compactMap { $0["resource"] }
    }

    private func reference(_ resource: JSONValue, _ index: Int) -> String {
        let type = resource["resourceType"]?.stringValue ?? "resource"
        return resource["id"]?.stringValue.map { "\(type)/\($0)" } ?? "\(type) #\(index + 1)"
    }

    private func apply(_ resource: JSONValue, index: Int, to document: inout JSONObject, latest: inout [JSONPointer: String], report: inout Report) {
        let ref = reference(resource, index)
        func ignore(_ reason: String) { report.ignored.append(["resource": .string(ref), "reason": .string(reason)]) }
        guard let type = resource["resourceType"]?.stringValue else { return ignore("no resourceType") }
        if type == "Patient" {
            applyPatient(resource, ref, &document, &report)
            return
        }
        if let reason = inactiveReason(resource, type) { return ignore(reason) }
        let codings = (type == "MedicationStatement" ? resource["medicationCodeableConcept"] : resource["code"])?["coding"]?.arrayValue ?? []
        guard
            let (coding, entry) = codings.lazy.compactMap({ c -> (JSONValue, FHIRMapping.Entry)? in
                guard let s = c["system"]?.stringValue, let k = c["code"]?.stringValue,
                    let e = mapping.entry(system: s, code: k, resourceType: type)
                else { return nil }
                return (c, e)
            }).first
        else {
            let shown = codings.compactMap { c in c["code"]?.stringValue.map { "\(c["system"]?.stringValue ?? "?")|\($0)" } }
            return ignore(shown.isEmpty ? "no coded \(type == "MedicationStatement" ? "medication" : "code")" : "no mapping for \(shown.joined(separator: ", "))")
        }
        _ = coding
        var mapped: JSONObject = ["resource": .string(ref), "system": .string(entry.system), "code": .string(entry.code)]
        switch entry.effect {
        case .recognized(let why):
            mapped["note"] = .string(why)
        case .set(let fact, let value):
            Self.put(value, at: fact, in: &document)
            mapped["fact"] = .string(fact.description)
            if let monthsFact = entry.monthsSince {
                if let date = Self.date(resource["performedDateTime"] ?? resource["performedPeriod"]?["start"]) {
                    let months = Self.wholeMonths(from: date, to: asOf)
                    Self.put(.integer(Int64(max(0, months))), at: monthsFact, in: &document)
                    mapped["fact"] = .string("\(fact) and \(monthsFact)")
                } else {
                    report.notes.append("\(ref): no performed date, so \(monthsFact) is not set")
                }
            }
        case .value(let fact):
            guard let value = Self.observationValue(resource) else { return ignore("no value[x] this service can read") }
            let when = resource["effectiveDateTime"]?.stringValue ?? ""
            if let previous = latest[fact], previous > when { return ignore("a later observation sets \(fact)") }
            latest[fact] = when
            Self.put(value, at: fact, in: &document)
            mapped["fact"] = .string(fact.description)
        case .reading(let list):
            guard let date = Self.date(resource["effectiveDateTime"] ?? resource["effectivePeriod"]?["start"]) else {
                return ignore("no effective date")
            }
            guard let value = Self.observationValue(resource), let score = value.numberValue, score == score.rounded() else {
                return ignore("no whole-number score in valueInteger or valueQuantity")
            }
            var items = JSONValue.object(document).value(at: list)?.arrayValue ?? []
            items.append(["date": .string(date.description), "value": .integer(Int64(score))])
            Self.put(.array(items), at: list, in: &document)
            mapped["fact"] = .string(list.description)
        case .append(let list, let member, let value):
            var items = JSONValue.object(document).value(at: list)?.arrayValue ?? []
            let item: JSONValue = [member: .string(value)]
            if !items.contains(item) { items.append(item) }
            Self.put(.array(items), at: list, in: &document)
            mapped["fact"] = .string(list.description)
        }
        report.mapped.append(.object(mapped))
    }

    private func applyPatient(_ patient: JSONValue, _ ref: String, _ document: inout JSONObject, _ report: inout Report) {
        var facts: [JSONValue] = []
        if let gender = patient["gender"]?.stringValue {
            Self.put(.string(gender), at: JSONPointer(tokens: ["patient", "sex"]), in: &document)
            facts.append("/patient/sex")
        }
        if let text = patient["birthDate"]?.stringValue {
            if let birth = CalendarDate(text) {
                var years = asOf.year - birth.year
                if (asOf.month, asOf.day) < (birth.month, birth.day) { years -= 1 }
                Self.put(.integer(Int64(years)), at: JSONPointer(tokens: ["patient", "age"]), in: &document)
                facts.append("/patient/age")
            } else {
                report.notes.append("\(ref): birthDate \"\(text)\" is not a full date, so /patient/age is not set")
            }
        }
        report.mapped.append(["resource": .string(ref), "facts": .array(facts)])
    }

    /// Why a resource does not count (not active, refuted, not final), or nil.
    private func inactiveReason(_ r: JSONValue, _ type: String) -> String? {
        func code(_ v: JSONValue?) -> String? { v?["coding"]?.arrayValue?.first?["code"]?.stringValue }
        switch type {
        case "Condition", "AllergyIntolerance":
            if let v = code(r["verificationStatus"]), ["refuted", "entered-in-error"].contains(v) { return "verificationStatus \(v)" }
            if let c = code(r["clinicalStatus"]), !["active", "recurrence", "relapse"].contains(c) { return "clinicalStatus \(c)" }
        case "Observation":
            if let s = r["status"]?.stringValue, !["final", "amended", "corrected"].contains(s) { return "status \(s)" }
        case "Procedure":
            if let s = r["status"]?.stringValue, s != "completed" { return "status \(s)" }
        case "MedicationStatement":
            return "medication statements set no case fact in this version"
        default:
            return "resource type \(type) is not used"
        }
        return nil
    }

    static func observationValue(_ r: JSONValue) -> JSONValue? {
        if let b = r["valueBoolean"] { return b }
        if let i = r["valueInteger"] { return i }
        if let q = r["valueQuantity"]?["value"] { return q }
        if let s = r["valueString"] { return s }
        if let c = r["valueCodeableConcept"]?["coding"]?.arrayValue?.first?["code"] { return c }
        return nil
    }

    /// The date part of a FHIR date or dateTime.
    static func date(_ v: JSONValue?) -> CalendarDate? {
        guard let text = v?.stringValue, text.utf8.count >= 10 else { return nil }
        return CalendarDate(String(text.prefix(10)))
    }

    /// Whole calendar months from `a` to `b`.
    static func wholeMonths(from a: CalendarDate, to b: CalendarDate) -> Int {
        (b.year - a.year) * 12 + (b.month - a.month) - (b.day < a.day ? 1 : 0)
    }

    /// Sets a fact; the builder creates every object on the way, so there is no conflict.
    static func put(_ value: JSONValue, at pointer: JSONPointer, in document: inout JSONObject) {
        if let updated = try? document.setting(value, at: pointer) { document = updated }
    }
}
