import CDSJSON
import CDSModuleAPI

/// A validated clinical case: what the engine knows about one patient at one assessment.
///
/// The engine builds it from a case document that passed the case schema (the core schema with the iliopsoas pack's `schema.json`);
/// each property's documentation names its JSON path there. Optional properties are `nil`
/// when the document leaves them out: modules must treat "not recorded" as unknown, never
/// as "no".
public struct ClinicalCase: Sendable, Hashable {
    /// `/caseId`: the caller's identifier, echoed in the plan.
    public var caseId: String?
    /// `/assessmentDate`: the date the case describes; defaults to the engine's clock.
    public var assessmentDate: CalendarDate?
    /// `/patient`.
    public var patient: Patient
    /// `/population`.
    public var population: Population?
    /// `/symptoms`.
    public var symptoms: Symptoms
    /// `/surgicalHistory`.
    public var surgicalHistory: SurgicalHistory?
    /// `/schemaVersion`: 1 or 2.
    public var schemaVersion: Int = 1
    /// `/conservativeCare`: `nil` unless conservative care has started.
    public var conservativeCare: ConservativeCare?
    /// Whether conservative care is recorded, not started or started (see ``CareRecord``).
    public var careRecord: CareRecord = .notStarted
    /// `/priorInterventions` (version 2), in date order.
    public var priorInterventions: [PriorIntervention] = []
    /// `/symptomOnset` (version 2).
    public var symptomOnset: SymptomOnset?
    /// `/side` (version 2): `left`, `right` or `both`.
    public var side: String?
    /// `/measurements/rangeOfMotion` (version 2), in date order.
    public var rangeOfMotion: [Assessment] = []
    /// `/measurements/strength` (version 2), in date order.
    public var strength: [Assessment] = []
    /// `/exercise`: the strengthening program so far.
    public var exercise: ExerciseStatus?
    /// `/activity`.
    public var activity: Activity?
    /// `/measurements/nprs`: Numeric Pain Rating Scale readings, in date order.
    public var nprs: [Reading]
    /// `/measurements/lefs`: Lower Extremity Functional Scale readings, in date order.
    public var lefs: [Reading]
    /// `/contraindications`: codes from the Catalog terminology.
    public var contraindications: [String]
    /// `/allergies`: substance codes from the Catalog terminology.
    public var allergies: [String]
    /// The whole validated case document, for facts this contract does not model yet
    /// (such as `/extensions`).
    public var document: JSONValue

    /// A case; the engine's case reader is the usual way to get one.
    public init(
        caseId: String? = nil,
        assessmentDate: CalendarDate? = nil,
        patient: Patient,
        population: Population? = nil,
        symptoms: Symptoms,
        surgicalHistory: SurgicalHistory? = nil,
        conservativeCare: ConservativeCare? = nil,
        exercise: ExerciseStatus? = nil,
        activity: Activity? = nil,
        nprs: [Reading] = [],
        lefs: [Reading] = [],
        contraindications: [String] = [],
        allergies: [String] = [],
        document: JSONValue
    ) {
        self.caseId = caseId
        self.assessmentDate = assessmentDate
        self.patient = patient
        self.population = population
        self.symptoms = symptoms
        self.surgicalHistory = surgicalHistory
        self.conservativeCare = conservativeCare
        self.careRecord = conservativeCare == nil ? .notStarted : .started
        self.exercise = exercise
        self.activity = activity
        self.nprs = nprs
        self.lefs = lefs
        self.contraindications = contraindications
        self.allergies = allergies
        self.document = document
    }

    /// `/patient`.
    public struct Patient: Sendable, Hashable {
        /// `/patient/age` in years.
        public var age: Int
        /// `/patient/sex`: `female`, `male`, `other` or `unknown`.
        public var sex: String
        /// A value with the given members.
        public init(age: Int, sex: String) {
            self.age = age
            self.sex = sex
        }
    }

    /// `/population`: version 1 records one `group`; version 2 records `groups` (a dancer
    /// who is also a competitive athlete) and the `activity` or sport.
    public struct Population: Sendable, Hashable {
        /// `/population/group` (version 1) or the first of `/population/groups` (version 2).
        public var group: String
        /// `/population/level`: `student`, `recreational`, `competitive` or `professional`.
        public var level: String?
        /// Every group the patient belongs to (`general`, `dancer`, `athlete`), in case order.
        public var groups: [String]
        /// `/population/activity` (version 2): the activity or sport, free text.
        public var activity: String?
        /// The case facts the groups were read from.
        public var facts: [FactPath]
        /// A value with the given members.
        public init(group: String, level: String? = nil, groups: [String]? = nil, activity: String? = nil, facts: [FactPath]? = nil) {
            self.group = group
            self.level = level
            self.groups = groups ?? [group]
            self.activity = activity
            var f: [FactPath] = facts ?? ["/population/group"]
            if facts == nil, level != nil { f.append("/population/level") }
            if facts == nil, activity != nil { f.append("/population/activity") }
            self.facts = f
        }

        /// "student dancer and athlete (ballet)".
        public var description: String {
            let named = groups.filter { $0 != "general" }
            var text = ([level].compactMap { $0 } + [named.isEmpty ? group : named.joined(separator: " and ")]).joined(separator: " ")
            if let activity { text += " (\(activity))" }
            return text
        }
    }

    /// How a symptom was recorded: version 1 records present or absent; version 2 adds
    /// not assessed (also when the symptom is left out).
    public struct SymptomStatus: RawRepresentable, Sendable, Hashable {
        /// The wire value.
        public var rawValue: String
        /// Wraps a wire value.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Recorded present.
        public static let present = SymptomStatus(rawValue: "present")
        /// Recorded absent.
        public static let absent = SymptomStatus(rawValue: "absent")
        /// Not assessed, or not recorded.
        public static let notAssessed = SymptomStatus(rawValue: "not-assessed")
    }

    /// `/symptoms`: the presentation, one flag per common symptom listed by the source.
    public struct Symptoms: Sendable, Hashable {
        /// `/symptoms/anteriorHipOrGroinPain`.
        public var anteriorHipOrGroinPain: Bool
        /// `/symptoms/weaknessResistedHipFlexionInAbduction`.
        public var weaknessResistedHipFlexionInAbduction: Bool
        /// `/symptoms/clickingOrSnapping`: symptomatic clicking or snapping with hip movement.
        public var clickingOrSnapping: Bool
        /// `/symptoms/painWithHipFlexionActivities`.
        public var painWithHipFlexionActivities: Bool
        /// The symptom codes recorded as not assessed (version 2, or left out there); a flag
        /// above is `false` for them, which means unknown, not absent.
        public var notAssessed: Set<String>
        /// A value with the given members.
        public init(
            anteriorHipOrGroinPain: Bool, weaknessResistedHipFlexionInAbduction: Bool,
            clickingOrSnapping: Bool, painWithHipFlexionActivities: Bool, notAssessed: Set<String> = []
        ) {
            self.anteriorHipOrGroinPain = anteriorHipOrGroinPain
            self.weaknessResistedHipFlexionInAbduction = weaknessResistedHipFlexionInAbduction
            self.clickingOrSnapping = clickingOrSnapping
            self.painWithHipFlexionActivities = painWithHipFlexionActivities
            self.notAssessed = notAssessed
        }

        /// The four symptoms in the source's order: code, and how it was recorded.
        public var statuses: [(code: String, status: SymptomStatus)] {
            [
                ("anteriorHipOrGroinPain", anteriorHipOrGroinPain),
                ("weaknessResistedHipFlexionInAbduction", weaknessResistedHipFlexionInAbduction),
                ("clickingOrSnapping", clickingOrSnapping), ("painWithHipFlexionActivities", painWithHipFlexionActivities),
            ].map { code, present in
                (code, present ? .present : notAssessed.contains(code) ? .notAssessed : .absent)
            }
        }
    }

    /// `/symptomOnset` (version 2): when the symptoms began.
    public struct SymptomOnset: Sendable, Hashable {
        /// `/symptomOnset/date`.
        public var date: CalendarDate?
        /// `/symptomOnset/durationWeeks`.
        public var durationWeeks: Double?
        /// A value with the given members.
        public init(date: CalendarDate? = nil, durationWeeks: Double? = nil) {
            self.date = date
            self.durationWeeks = durationWeeks
        }
    }

    /// `/surgicalHistory`. Each flag is `nil` when not on record.
    public struct SurgicalHistory: Sendable, Hashable {
        /// `/surgicalHistory/totalHipArthroplasty`.
        public var totalHipArthroplasty: Bool?
        /// `/surgicalHistory/iliopsoasTenotomy`.
        public var iliopsoasTenotomy: Bool?
        /// `/surgicalHistory/monthsSinceSurgery`.
        public var monthsSinceSurgery: Double?
        /// `/surgicalHistory/persistentGroinPain`.
        public var persistentGroinPain: Bool?
        /// `/surgicalHistory/arthroplastyDate`.
        public var arthroplastyDate: CalendarDate?
        /// `/surgicalHistory/tenotomyDate`: recorded separately from the arthroplasty.
        public var tenotomyDate: CalendarDate?
        /// A value with the given members.
        public init(
            totalHipArthroplasty: Bool? = nil, iliopsoasTenotomy: Bool? = nil, monthsSinceSurgery: Double? = nil,
            persistentGroinPain: Bool? = nil, arthroplastyDate: CalendarDate? = nil, tenotomyDate: CalendarDate? = nil
        ) {
            self.totalHipArthroplasty = totalHipArthroplasty
            self.iliopsoasTenotomy = iliopsoasTenotomy
            self.monthsSinceSurgery = monthsSinceSurgery
            self.persistentGroinPain = persistentGroinPain
            self.arthroplastyDate = arthroplastyDate
            self.tenotomyDate = tenotomyDate
        }
    }

    /// `/conservativeCare`.
    public struct ConservativeCare: Sendable, Hashable {
        /// `/conservativeCare/months`: how long conservative care has run.
        public var months: Double
        /// `/conservativeCare/outcome`: `improving` or `not-improving`, as judged by the
        /// clinician; `nil` when not yet judged.
        public var outcome: String?
        /// `/conservativeCare/treatments` (version 2): which conservative treatments were given
        /// (`relative-rest`, `nsaids`, `cryotherapy`, `physical-therapy`, `strengthening-program`).
        public var treatments: [String]
        /// A value with the given members.
        public init(months: Double, outcome: String? = nil, treatments: [String] = []) {
            self.months = months
            self.outcome = outcome
            self.treatments = treatments
        }
    }

    /// Whether conservative care is on record (version 2 tells "not recorded" from "not started";
    /// version 1 cannot: a left-out `/conservativeCare` reads as not started).
    public struct CareRecord: RawRepresentable, Sendable, Hashable {
        /// The wire value.
        public var rawValue: String
        /// Wraps a wire value.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Nothing recorded about conservative care.
        public static let notRecorded = CareRecord(rawValue: "not-recorded")
        /// Recorded as not started.
        public static let notStarted = CareRecord(rawValue: "not-started")
        /// Started; `conservativeCare` holds the details.
        public static let started = CareRecord(rawValue: "started")
    }

    /// `/priorInterventions/N` (version 2): an injection or surgery before this assessment.
    public struct PriorIntervention: Sendable, Hashable {
        /// `corticosteroid-injection` or `surgery`.
        public var kind: String
        /// When it was done.
        public var date: CalendarDate
        /// A value with the given members.
        public init(kind: String, date: CalendarDate) {
            self.kind = kind
            self.date = date
        }
    }

    /// `/exercise`.
    public struct ExerciseStatus: Sendable, Hashable {
        /// `/exercise/currentTier`: `none`, `low`, `moderate`, `high` or `advanced`.
        public var currentTier: String
        /// `/exercise/tolerated`: whether the current tier is tolerated; `nil` if not judged.
        public var tolerated: Bool?
        /// `/exercise/notToleratedReason`: why the tier is not tolerated (`pain-increase`,
        /// `unable-to-complete`, `other`).
        public var notToleratedReason: String?
        /// A value with the given members.
        public init(currentTier: String, tolerated: Bool? = nil, notToleratedReason: String? = nil) {
            self.currentTier = currentTier
            self.tolerated = tolerated
            self.notToleratedReason = notToleratedReason
        }
    }

    /// `/activity`.
    public struct Activity: Sendable, Hashable {
        /// `/activity/returnedToPreviousLevel`.
        public var returnedToPreviousLevel: Bool?
        /// A value with the given members.
        public init(returnedToPreviousLevel: Bool? = nil) {
            self.returnedToPreviousLevel = returnedToPreviousLevel
        }
    }

    /// One dated range-of-motion or strength assessment (version 2).
    public struct Assessment: Sendable, Hashable {
        /// When it was taken.
        public var date: CalendarDate
        /// The movement assessed, such as `hip-flexion`.
        public var movement: String
        /// Degrees (range of motion) or grade 0-5 (strength).
        public var value: Double
        /// A value with the given members.
        public init(date: CalendarDate, movement: String, value: Double) {
            self.date = date
            self.movement = movement
            self.value = value
        }
    }

    /// One dated score of an outcome measure.
    public struct Reading: Sendable, Hashable {
        /// When it was taken.
        public var date: CalendarDate
        /// The score.
        public var value: Int
        /// What the reading was taken during (`hip-flexion`, as the source measures NPRS, or
        /// `other`); `nil` when not recorded.
        public var during: String?
        /// Its index in the case document's array (`/measurements/nprs/N`), for citing it.
        public var position: Int?
        /// A value with the given members.
        public init(date: CalendarDate, value: Int, during: String? = nil, position: Int? = nil) {
            self.date = date
            self.value = value
            self.during = during
            self.position = position
        }
    }
}
