import CDSJSON

/// A validated clinical case: what the engine knows about one patient at one assessment.
///
/// The engine builds it from a case document that passed `Catalog/schema/case.schema.json`;
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
    /// `/conservativeCare`: absent when conservative care has not started.
    public var conservativeCare: ConservativeCare?
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
        public init(age: Int, sex: String) {
            self.age = age
            self.sex = sex
        }
    }

    /// `/population`.
    public struct Population: Sendable, Hashable {
        /// `/population/group`: `general`, `dancer` or `athlete`.
        public var group: String
        /// `/population/level`: `student`, `recreational`, `competitive` or `professional`.
        public var level: String?
        public init(group: String, level: String? = nil) {
            self.group = group
            self.level = level
        }
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
        public init(
            anteriorHipOrGroinPain: Bool, weaknessResistedHipFlexionInAbduction: Bool,
            clickingOrSnapping: Bool, painWithHipFlexionActivities: Bool
        ) {
            self.anteriorHipOrGroinPain = anteriorHipOrGroinPain
            self.weaknessResistedHipFlexionInAbduction = weaknessResistedHipFlexionInAbduction
            self.clickingOrSnapping = clickingOrSnapping
            self.painWithHipFlexionActivities = painWithHipFlexionActivities
        }
    }

    /// `/surgicalHistory`.
    public struct SurgicalHistory: Sendable, Hashable {
        /// `/surgicalHistory/totalHipArthroplasty`.
        public var totalHipArthroplasty: Bool
        /// `/surgicalHistory/iliopsoasTenotomy`.
        public var iliopsoasTenotomy: Bool
        /// `/surgicalHistory/monthsSinceSurgery`.
        public var monthsSinceSurgery: Double?
        /// `/surgicalHistory/persistentGroinPain`.
        public var persistentGroinPain: Bool?
        public init(
            totalHipArthroplasty: Bool, iliopsoasTenotomy: Bool, monthsSinceSurgery: Double? = nil,
            persistentGroinPain: Bool? = nil
        ) {
            self.totalHipArthroplasty = totalHipArthroplasty
            self.iliopsoasTenotomy = iliopsoasTenotomy
            self.monthsSinceSurgery = monthsSinceSurgery
            self.persistentGroinPain = persistentGroinPain
        }
    }

    /// `/conservativeCare`.
    public struct ConservativeCare: Sendable, Hashable {
        /// `/conservativeCare/months`: how long conservative care has run.
        public var months: Double
        /// `/conservativeCare/outcome`: `improving` or `not-improving`, as judged by the
        /// clinician; `nil` when not yet judged.
        public var outcome: String?
        public init(months: Double, outcome: String? = nil) {
            self.months = months
            self.outcome = outcome
        }
    }

    /// `/exercise`.
    public struct ExerciseStatus: Sendable, Hashable {
        /// `/exercise/currentTier`: `none`, `low`, `moderate`, `high` or `advanced`.
        public var currentTier: String
        /// `/exercise/tolerated`: whether the current tier is tolerated; `nil` if not judged.
        public var tolerated: Bool?
        public init(currentTier: String, tolerated: Bool? = nil) {
            self.currentTier = currentTier
            self.tolerated = tolerated
        }
    }

    /// `/activity`.
    public struct Activity: Sendable, Hashable {
        /// `/activity/returnedToPreviousLevel`.
        public var returnedToPreviousLevel: Bool?
        public init(returnedToPreviousLevel: Bool? = nil) {
            self.returnedToPreviousLevel = returnedToPreviousLevel
        }
    }

    /// One dated score of an outcome measure.
    public struct Reading: Sendable, Hashable {
        /// When it was taken.
        public var date: CalendarDate
        /// The score.
        public var value: Int
        public init(date: CalendarDate, value: Int) {
            self.date = date
            self.value = value
        }
    }
}
