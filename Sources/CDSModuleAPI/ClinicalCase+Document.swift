import CDSJSON

extension ClinicalCase {
    /// The typed case of a case document that passed the case schema
    /// (`Catalog/schema/case.schema.json`); `nil` if the document does not have the shape
    /// the schema guarantees. Hosts validate before building; out-of-process modules
    /// receive documents the host has already validated.
    public init?(document d: JSONValue) {
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
        self = c
    }
}
