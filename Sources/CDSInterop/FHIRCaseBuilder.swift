import CDSEngine
import CDSJSON
import CDSModuleAPI

/// Builds a case document from a FHIR R4 Bundle or a CDS Hooks request, using the
/// Catalog's FHIR mapping; reports what it used, what it ignored and why.
///
/// It never guesses a clinical fact, and it never mixes patients: every resource it uses
/// references the one Patient (by `Patient/ID` or the Patient entry's `fullUrl`); any
/// other resource is ignored with the reason, and input holding two Patients, or a CDS
/// Hooks request whose `context.patientId` is not the Patient's id, is refused.
package struct FHIRCaseBuilder: Sendable {
    /// The prefetch keys the discovery document declares.
    package static let prefetchKeys = ["patient", "conditions", "observations", "procedures", "allergies", "medications"]
    /// The substance code of an allergy the mapping cannot classify (terminology.json).
    package static let unclassifiedSubstance = "unclassified-medication"

    package let mapping: FHIRMapping
    package let asOf: CalendarDate
    /// Valid score range per reading list (`/measurements/nprs` → 0...10).
    package let readingRanges: [JSONPointer: ClosedRange<Int>]

    package init(mapping: FHIRMapping, asOf: CalendarDate, readingRanges: [JSONPointer: ClosedRange<Int>] = [:]) {
        self.mapping = mapping
        self.asOf = asOf
        self.readingRanges = readingRanges
    }

    /// Why the input cannot be evaluated as one patient's record.
    package struct IdentityProblem: Sendable, Hashable {
        package var message: String
        /// The patient ids involved (the context's first, for a mismatch).
        package var data: JSONObject
    }

    /// What the builder did.
    package struct Report: Sendable, Hashable {
        package var format: String
        package var mapped: [JSONValue] = []
        package var ignored: [JSONValue] = []
        package var notes: [String] = []
        /// The Patient the record belongs to (`Patient/ID`), when there is one.
        package var patient: String?
        /// Prefetch keys the service asked for and the request did not answer.
        package var missingPrefetch: [String] = []
        /// Set when the input holds more than one patient or names another one.
        package var identityProblem: IdentityProblem?
        /// Whether anything on record concerns the iliopsoas algorithm.
        package var applicable = false
        /// Required case facts that no resource states (filled in by the engine).
        package var unknown: [String] = []
        /// Medication allergies and contraindications the mapping could not classify, or an
        /// allergy list that could not be obtained: medication items wait for their review.
        package var needsReview: [String] = []

        package var json: JSONValue {
            var o: JSONObject = ["format": .string(format), "mapped": .array(mapped), "ignored": .array(ignored)]
            if let patient { o["patient"] = .string(patient) }
            o["applicable"] = .bool(applicable)
            if !unknown.isEmpty { o["unknown"] = .array(unknown.map(JSONValue.string)) }
            if !needsReview.isEmpty { o["needsReview"] = .array(needsReview.map(JSONValue.string)) }
            if !notes.isEmpty { o["notes"] = .array(notes.map(JSONValue.string)) }
            return .object(o)
        }
    }

    /// Whether a document is FHIR or CDS Hooks input rather than a case.
    package static func isFHIRInput(_ document: JSONValue) -> Bool {
        document["resourceType"] == "Bundle" || (document["hook"]?.stringValue != nil && document["hookInstance"] != nil)
    }

    /// A resource and the `fullUrl` of its Bundle entry.
    struct Item {
        var resource: JSONValue
        var fullUrl: String?
    }

    /// The case document and the report.
    package func build(_ input: JSONValue) -> (document: JSONValue, report: Report) {
        var report: Report
        var items: [Item] = []
        var caseId: String?
        var contextPatient: String?
        var proceduresUnknown = false
        if input["resourceType"] == "Bundle" {
            report = Report(format: "fhir-r4-bundle")
            items = Self.entries(of: input)
            caseId = input["id"]?.stringValue
        } else {
            report = Report(format: "cds-hooks-request")
            caseId = input["hookInstance"]?.stringValue
            contextPatient = input["context"]?["patientId"]?.stringValue
            let prefetch = input["prefetch"]?.objectValue
            for key in Self.prefetchKeys {
                switch prefetch?[key] {
                case nil:
                    report.missingPrefetch.append(key)
                    report.notes.append("prefetch \"\(key)\" was not provided; this service does not fetch data itself")
                case .null?:
                    report.notes.append("prefetch \"\(key)\" is null: the EHR has no data for it")
                case let value? where value["resourceType"] == "OperationOutcome":
                    report.notes.append("prefetch \"\(key)\" is an OperationOutcome, not data: \(Self.outcomeText(value))")
                    if key == "allergies" {
                        report.needsReview.append("allergy list not available (OperationOutcome)")
                    }
                    if key == "procedures" { proceduresUnknown = true }
                case let value?:
                    items += value["resourceType"] == "Bundle" ? Self.entries(of: value) : [Item(resource: value, fullUrl: nil)]
                }
            }
        }
        var document: JSONObject = ["schemaVersion": 1, "assessmentDate": .string(asOf.description)]
        if let caseId, !caseId.isEmpty { document["caseId"] = .string(String(caseId.prefix(128))) }

        // One patient: the Patient resources, by id (the same id twice is the same patient).
        var patientIDs: [String] = []
        var patientRefs: [String] = []
        var identities: Set<String> = []
        for item in items where item.resource["resourceType"] == "Patient" {
            let id = item.resource["id"]?.stringValue ?? item.fullUrl ?? "#\(patientIDs.count + 1)"
            if !patientIDs.contains(id) {
                patientIDs.append(id)
                patientRefs.append(item.resource["id"]?.stringValue.map { "Patient/\($0)" } ?? id)
            }
            if let rid = item.resource["id"]?.stringValue { identities.insert("Patient/\(rid)") }
            if let url = item.fullUrl { identities.insert(url) }
        }
        if patientIDs.count > 1 {
            report.identityProblem = IdentityProblem(
                message:
                    "the input holds \(patientIDs.count) patients (\(patientIDs.joined(separator: ", "))); one evaluation is for one patient",
                data: ["patients": .array(patientIDs.map(JSONValue.string))])
            return (.object(document), report)
        }
        if let contextPatient {
            if let id = patientIDs.first, id != contextPatient {
                report.identityProblem = IdentityProblem(
                    message: "context.patientId \"\(contextPatient)\" is not the prefetched Patient \"\(id)\"",
                    data: ["contextPatientId": .string(contextPatient), "prefetchPatientId": .string(id)])
                return (.object(document), report)
            }
            identities.insert("Patient/\(contextPatient)")
        }
        report.patient = patientRefs.first ?? contextPatient.map { "Patient/\($0)" }
        if report.patient == nil {
            report.notes.append("no Patient in the input: no resource can be shown to belong to one patient, so none is used")
        }

        var state = State()
        for (index, item) in items.enumerated() {
            apply(item, index: index, identities: identities, to: &document, state: &state, report: &report)
        }
        // Readings in order of their real time; same-time readings keep record order.
        for (list, readings) in state.readings.sorted(by: { $0.key.description < $1.key.description }) {
            let ordered = readings.enumerated().sorted { ($0.element.instant, $0.offset) < ($1.element.instant, $1.offset) }
            Self.put(
                .array(ordered.map { ["date": .string($0.element.date.description), "value": .integer(Int64($0.element.value))] }),
                at: list, in: &document)
        }
        for allergy in report.needsReview {
            var list = JSONValue.object(document)["allergies"]?.arrayValue ?? []
            list.append(["substance": .string(Self.unclassifiedSubstance), "note": .string(String(allergy.prefix(1000)))])
            document["allergies"] = .array(list)
        }
        // A hip replacement with no tenotomy on record: the tenotomy stays unknown (absence
        // from a record is not a record of absence; the post-arthroplasty module says which
        // criterion is unknown), and a note says why.
        let surgery = JSONValue.object(document)["surgicalHistory"]
        if surgery?["totalHipArthroplasty"] == true, surgery?["iliopsoasTenotomy"] == nil {
            let why =
                proceduresUnknown
                ? "the procedure list is not available"
                : state.unclassifiedProcedures.isEmpty
                    ? "no iliopsoas tenotomy among the Procedures on record"
                    : "Procedures on record that this service cannot classify (\(state.unclassifiedProcedures.joined(separator: ", ")))"
            report.notes.append("/surgicalHistory/iliopsoasTenotomy is unknown: \(why)")
        }
        report.applicable = state.applicable
        if !report.applicable {
            report.notes.append("nothing on record concerns iliopsoas syndrome: the algorithm does not apply")
        }
        return (.object(document), report)
    }

    static func entries(of bundle: JSONValue) -> [Item] {
        (bundle["entry"]?.arrayValue ?? []).compactMap { e in e["resource"].map { Item(resource: $0, fullUrl: e["fullUrl"]?.stringValue) } }
    }

    static func outcomeText(_ outcome: JSONValue) -> String {
        let issues = (outcome["issue"]?.arrayValue ?? []).map { i in
            [i["severity"]?.stringValue, i["code"]?.stringValue, i["diagnostics"]?.stringValue ?? i["details"]?["text"]?.stringValue]
                .compactMap { $0 }.joined(separator: " ")
        }
        return issues.isEmpty ? "no issue stated" : String(issues.joined(separator: "; ").prefix(300))
    }

    private func reference(_ item: Item, _ index: Int) -> String {
        let type = item.resource["resourceType"]?.stringValue ?? "resource"
        return item.resource["id"]?.stringValue.map { "\(type)/\($0)" } ?? item.fullUrl.map { "\(type) \($0)" } ?? "\(type) #\(index + 1)"
    }

    /// What builds up over the resources.
    struct State {
        struct Reading {
            var instant: Int64
            var date: CalendarDate
            var value: Int
        }
        var latest: [JSONPointer: Int64] = [:]
        var readings: [JSONPointer: [Reading]] = [:]
        var unclassifiedProcedures: [String] = []
        var applicable = false
    }

    /// Facts whose presence alone does not make the iliopsoas algorithm apply: demographics,
    /// a pain score any patient may have, a hip replacement, allergies.
    private static let contextOnly: [JSONPointer] = [
        JSONPointer(tokens: ["measurements", "nprs"]), JSONPointer(tokens: ["surgicalHistory", "totalHipArthroplasty"]),
        JSONPointer(tokens: ["allergies"]),
    ]

    /// The patient reference member of each resource type this service reads.
    private static let patientMember: [String: String] = [
        "Condition": "subject", "Observation": "subject", "Procedure": "subject", "MedicationStatement": "subject",
        "MedicationRequest": "subject", "AllergyIntolerance": "patient", "Coverage": "beneficiary",
    ]

    private func apply(
        _ item: Item, index: Int, identities: Set<String>, to document: inout JSONObject, state: inout State, report: inout Report
    ) {
        let resource = item.resource
        let ref = reference(item, index)
        func ignore(_ reason: String) { report.ignored.append(["resource": .string(ref), "reason": .string(reason)]) }
        guard let type = resource["resourceType"]?.stringValue else { return ignore("no resourceType") }
        if type == "Patient" {
            applyPatient(resource, ref, &document, &report)
            return
        }
        if type == "OperationOutcome" {
            report.notes.append("\(ref): \(Self.outcomeText(resource))")
            return ignore("an OperationOutcome, not patient data")
        }
        guard let member = Self.patientMember[type] else { return ignore("resource type \(type) is not used") }
        guard let target = resource[member]?["reference"]?.stringValue else {
            return ignore("no \(member) reference: it cannot be shown to belong to this patient")
        }
        guard Self.belongs(target, to: identities) else {
            return ignore("\(member) \(target) is not this evaluation's patient")
        }
        if let reason = inactiveReason(resource, type) { return ignore(reason) }
        let codings =
            (type == "MedicationStatement" ? resource["medicationCodeableConcept"] : resource["code"])?["coding"]?.arrayValue ?? []
        guard
            let entry = codings.lazy.compactMap({ c -> FHIRMapping.Entry? in
                guard let s = c["system"]?.stringValue, let k = c["code"]?.stringValue else { return nil }
                return mapping.entry(system: s, code: k, resourceType: type)
            }).first
        else {
            let shown = codings.compactMap { c in c["code"]?.stringValue.map { "\(c["system"]?.stringValue ?? "?")|\($0)" } }
            if type == "AllergyIntolerance", let what = unclassifiedMedicationAllergy(resource, codings) {
                report.needsReview.append(what)
                report.mapped.append([
                    "resource": .string(ref), "fact": "/allergies",
                    "note": .string("a medication allergy this service cannot classify: \(what); review it before any medication"),
                ])
                return
            }
            if let unread = codings.first(where: {
                $0["system"]?.stringValue.map(mapping.localCodeSystems.contains) == true
                    && $0["code"]?.stringValue?.hasPrefix("contraindication-") == true
            }),
                let code = unread["code"]?.stringValue, let system = unread["system"]?.stringValue
            {
                // Fail safe: a contraindication this service cannot read holds every medication for review.
                report.needsReview.append("contraindication \(system)|\(code) (not a code this service knows)")
                report.mapped.append([
                    "resource": .string(ref), "fact": "/allergies",
                    "note": .string("a contraindication this service cannot read: \(code); review it before any medication"),
                ])
                return
            }
            if type == "Procedure" { state.unclassifiedProcedures.append(ref) }
            return ignore(
                shown.isEmpty
                    ? "no coded \(type == "MedicationStatement" ? "medication" : "code")"
                    : "no mapping for \(shown.joined(separator: ", "))")
        }
        var mapped: JSONObject = ["resource": .string(ref), "system": .string(entry.system), "code": .string(entry.code)]
        var fact: JSONPointer?
        switch entry.effect {
        case .recognized(let why):
            mapped["note"] = .string(why)
            state.applicable = state.applicable || type == "Condition"
        case .set(let f, let value):
            fact = f
            Self.put(value, at: f, in: &document)
            mapped["fact"] = .string(f.description)
            if let monthsFact = entry.monthsSince {
                if let date = Self.date(resource["performedDateTime"] ?? resource["performedPeriod"]?["start"]) {
                    let months = Self.wholeMonths(from: date, to: asOf)
                    Self.put(.integer(Int64(max(0, months))), at: monthsFact, in: &document)
                    mapped["fact"] = .string("\(f) and \(monthsFact)")
                } else {
                    report.notes.append("\(ref): no performed date, so \(monthsFact) is not set")
                }
            }
        case .value(let f):
            fact = f
            guard let value = Self.observationValue(resource) else { return ignore("no value[x] this service can read") }
            let when = Self.effective(resource)?.instant ?? Int64.min
            if let previous = state.latest[f], previous > when { return ignore("a later observation sets \(f)") }
            state.latest[f] = when
            Self.put(value, at: f, in: &document)
            mapped["fact"] = .string(f.description)
        case .reading(let list):
            fact = list
            guard let (instant, date) = Self.effective(resource) else {
                return ignore("no effective date (effectiveDateTime, effectivePeriod or effectiveInstant)")
            }
            if let unit = Self.unit(resource), !Self.scoreUnits.contains(unit.lowercased()) {
                return ignore("unit \"\(unit)\" is not a score")
            }
            guard let value = Self.observationValue(resource), let score = value.numberValue, score == score.rounded(), abs(score) < 1e9
            else {
                return ignore("no whole-number score in valueInteger or valueQuantity")
            }
            if let range = readingRanges[list], !range.contains(Int(score)) {
                return ignore("score \(Int(score)) is outside \(range.lowerBound)-\(range.upperBound)")
            }
            state.readings[list, default: []].append(.init(instant: instant, date: date, value: Int(score)))
            mapped["fact"] = .string(list.description)
        case .append(let list, let member, let value):
            fact = list
            var items = JSONValue.object(document).value(at: list)?.arrayValue ?? []
            let item: JSONValue = [member: .string(value)]
            if !items.contains(item) { items.append(item) }
            Self.put(.array(items), at: list, in: &document)
            mapped["fact"] = .string(list.description)
        }
        if let fact, !Self.contextOnly.contains(where: { fact.tokens.starts(with: $0.tokens) }) { state.applicable = true }
        report.mapped.append(.object(mapped))
    }

    /// Whether a reference (`Patient/ID`, the Patient's `fullUrl`, or an absolute URL ending
    /// in `/Patient/ID`) names the patient.
    static func belongs(_ reference: String, to identities: Set<String>) -> Bool {
        if identities.contains(reference) { return true }
        guard reference.contains("://") else { return false }
        return identities.contains { $0.hasPrefix("Patient/") && reference.hasSuffix("/" + $0) }
    }

    /// A medication allergy the mapping does not classify, described, or nil when the
    /// allergy is not to a medication (category food, environment or biologic only).
    private func unclassifiedMedicationAllergy(_ r: JSONValue, _ codings: [JSONValue]) -> String? {
        let categories = (r["category"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard categories.isEmpty || categories.contains("medication") else { return nil }
        let named = codings.compactMap { c -> String? in
            guard let code = c["code"]?.stringValue else { return nil }
            return "\(c["system"]?.stringValue ?? "?")|\(code)" + (c["display"]?.stringValue.map { " \($0)" } ?? "")
        }
        if !named.isEmpty { return named.joined(separator: ", ") }
        if let text = r["code"]?["text"]?.stringValue { return "\"\(text.prefix(200))\" (not coded)" }
        return categories.isEmpty ? nil : "a medication allergy with no substance recorded"
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
        case "MedicationRequest":
            return "medication requests set no case fact in this version"
        default:
            return "resource type \(type) is not used"
        }
        return nil
    }

    /// Units a score may carry (UCUM annotations and unity), lower-cased.
    static let scoreUnits: Set<String> = ["{score}", "score", "1", "{#}", "{points}", "points"]

    /// The unit of a `valueQuantity`, if it states one.
    static func unit(_ r: JSONValue) -> String? {
        guard let q = r["valueQuantity"] else { return nil }
        return q["code"]?.stringValue ?? q["unit"]?.stringValue
    }

    static func observationValue(_ r: JSONValue) -> JSONValue? {
        if let b = r["valueBoolean"] { return b }
        if let i = r["valueInteger"] { return i }
        if let q = r["valueQuantity"]?["value"] { return q }
        if let s = r["valueString"] { return s }
        if let c = r["valueCodeableConcept"]?["coding"]?.arrayValue?.first?["code"] { return c }
        return nil
    }

    /// When an Observation was made: seconds since 0001-01-01 UTC (for ordering) and its
    /// date, from `effectiveDateTime`, `effectiveInstant` or `effectivePeriod` (start, else end).
    static func effective(_ r: JSONValue) -> (instant: Int64, date: CalendarDate)? {
        let candidates = [r["effectiveDateTime"], r["effectiveInstant"], r["effectivePeriod"]?["start"], r["effectivePeriod"]?["end"]]
        for case let text? in candidates.map({ $0?.stringValue }) {
            if let parsed = instant(text) { return parsed }
        }
        return nil
    }

    /// A FHIR date, dateTime or instant as seconds (UTC; a date alone is its midnight) and
    /// the calendar date as written.
    static func instant(_ text: String) -> (instant: Int64, date: CalendarDate)? {
        guard let date = Self.date(.string(text)) else { return nil }
        let days = Int64(daysFromCivil(date.year, date.month, date.day))
        var seconds = days * 86_400
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var n = 0
            for b in bytes[from..<(from + count)] {
                guard (0x30...0x39).contains(b) else { return nil }
                n = n * 10 + Int(b - 0x30)
            }
            return n
        }
        if bytes.count > 10, bytes[10] == UInt8(ascii: "T"), let h = number(11, 2), let m = number(14, 2) {
            seconds += Int64(h * 3600 + m * 60 + (number(17, 2) ?? 0))
            if let sign = bytes.lastIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }), sign > 10,
                let oh = number(sign + 1, 2), let om = number(sign + 4, 2)
            {
                let offset = Int64(oh * 3600 + om * 60)
                seconds += bytes[sign] == UInt8(ascii: "+") ? -offset : offset
            }
        }
        return (seconds, date)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
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
