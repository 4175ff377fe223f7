import CDSJSON
import CDSModuleAPI

extension ClinicalCase {
    /// The typed case of a case document that passed the case schema
    /// (the case schema (the core schema with the iliopsoas pack's `schema.json`), version 1 or 2); `nil` if the document does not
    /// have the shape the schema guarantees. Hosts validate before building; out-of-process
    /// modules receive documents the host has already validated.
    public init?(document d: JSONValue) {
        guard let p = d["patient"], let age = p["age"]?.numberValue, let sex = p["sex"]?.stringValue, let s = d["symptoms"] else {
            return nil
        }
        let version = Int(d["schemaVersion"]?.numberValue ?? 1)
        // Version 1: each symptom true or false (all four required). Version 2: "present",
        // "absent" or "not-assessed", and a symptom left out is not assessed.
        var notAssessed: Set<String> = []
        func symptom(_ code: String) -> Bool? {
            switch s[code] {
            case .bool(let b)?: return b
            case .string("present")?: return true
            case .string("absent")?: return false
            case .string("not-assessed")?,
                nil where version >= 2:
                notAssessed.insert(code)
                return false
            default: return nil
            }
        }
        guard let s1 = symptom("anteriorHipOrGroinPain"), let s2 = symptom("weaknessResistedHipFlexionInAbduction"),
            let s3 = symptom("clickingOrSnapping"), let s4 = symptom("painWithHipFlexionActivities")
        else { return nil }
        var c = ClinicalCase(
            patient: .init(age: Int(age), sex: sex),
            symptoms: .init(
                anteriorHipOrGroinPain: s1, weaknessResistedHipFlexionInAbduction: s2, clickingOrSnapping: s3,
                painWithHipFlexionActivities: s4, notAssessed: notAssessed),
            document: d)
        c.schemaVersion = version
        c.caseId = d["caseId"]?.stringValue
        func date(_ v: JSONValue?) -> CalendarDate?? {
            guard let v else { return .some(nil) }
            guard let text = v.stringValue, let parsed = CalendarDate(text) else { return nil }
            return .some(parsed)
        }
        guard let assessed = date(d["assessmentDate"]) else { return nil }
        c.assessmentDate = assessed
        if let pop = d["population"] {
            let level = pop["level"]?.stringValue
            let activity = pop["activity"]?.stringValue
            if let group = pop["group"]?.stringValue {
                c.population = .init(group: group, level: level, activity: activity)
            } else if let groups = pop["groups"]?.arrayValue?.compactMap(\.stringValue), let first = groups.first {
                var facts: [FactPath] = ["/population/groups"]
                if level != nil { facts.append("/population/level") }
                if activity != nil { facts.append("/population/activity") }
                c.population = .init(group: first, level: level, groups: groups, activity: activity, facts: facts)
            }
        }
        if let h = d["surgicalHistory"] {
            guard let arthroplasty = date(h["arthroplastyDate"]), let tenotomy = date(h["tenotomyDate"]) else { return nil }
            c.surgicalHistory = .init(
                totalHipArthroplasty: h["totalHipArthroplasty"]?.boolValue, iliopsoasTenotomy: h["iliopsoasTenotomy"]?.boolValue,
                monthsSinceSurgery: h["monthsSinceSurgery"]?.numberValue, persistentGroinPain: h["persistentGroinPain"]?.boolValue,
                arthroplastyDate: arthroplasty, tenotomyDate: tenotomy)
        }
        if let cc = d["conservativeCare"] {
            let treatments = (cc["treatments"]?.arrayValue ?? []).compactMap(\.stringValue)
            switch cc["status"]?.stringValue {
            case "not-recorded"?: c.careRecord = .notRecorded
            case "not-started"?: c.careRecord = .notStarted
            default:
                guard let months = cc["months"]?.numberValue else { return nil }
                c.conservativeCare = .init(months: months, outcome: cc["outcome"]?.stringValue, treatments: treatments)
                c.careRecord = .started
            }
        } else {
            // Version 1 leaves conservative care out when it has not started; version 2 says so.
            c.careRecord = version >= 2 ? .notRecorded : .notStarted
        }
        for item in d["priorInterventions"]?.arrayValue ?? [] {
            guard let kind = item["kind"]?.stringValue, let when = date(item["date"]), let when else { return nil }
            c.priorInterventions.append(.init(kind: kind, date: when))
        }
        c.priorInterventions = c.priorInterventions.enumerated().sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }.map(
            \.element)
        if let onset = d["symptomOnset"] {
            guard let when = date(onset["date"]) else { return nil }
            c.symptomOnset = .init(date: when, durationWeeks: onset["durationWeeks"]?.numberValue)
        }
        c.side = d["side"]?.stringValue
        if let e = d["exercise"], let tier = e["currentTier"]?.stringValue {
            c.exercise = .init(
                currentTier: tier, tolerated: e["tolerated"]?.boolValue, notToleratedReason: e["notToleratedReason"]?.stringValue)
        }
        if let a = d["activity"] {
            c.activity = .init(returnedToPreviousLevel: a["returnedToPreviousLevel"]?.boolValue)
        }
        func readings(_ key: String) -> [ClinicalCase.Reading]? {
            var result: [ClinicalCase.Reading] = []
            for (i, r) in (d["measurements"]?[key]?.arrayValue ?? []).enumerated() {
                guard let date = r["date"]?.stringValue.flatMap(CalendarDate.init), let v = r["value"]?.numberValue else { return nil }
                result.append(.init(date: date, value: Int(v), during: r["during"]?.stringValue, position: i))
            }
            // Stable sort: same-day readings keep their document order.
            return result.enumerated().sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }.map(\.element)
        }
        func assessments(_ key: String, value valueKey: String) -> [ClinicalCase.Assessment]? {
            var result: [ClinicalCase.Assessment] = []
            for r in d["measurements"]?[key]?.arrayValue ?? [] {
                guard let date = r["date"]?.stringValue.flatMap(CalendarDate.init), let movement = r["movement"]?.stringValue,
                    let v = r[valueKey]?.numberValue
                else { return nil }
                result.append(.init(date: date, movement: movement, value: v))
            }
            return result.enumerated().sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }.map(\.element)
        }
        guard let nprs = readings("nprs"), let lefs = readings("lefs"), let rom = assessments("rangeOfMotion", value: "degrees"),
            let strength = assessments("strength", value: "grade")
        else { return nil }
        c.nprs = nprs
        c.lefs = lefs
        c.rangeOfMotion = rom
        c.strength = strength
        c.contraindications = (d["contraindications"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
        c.allergies = (d["allergies"]?.arrayValue ?? []).compactMap { $0["substance"]?.stringValue }
        self = c
    }
}
