import CDSModuleAPI
import EscalationModule
import ExerciseProgressionModule
import MonitoringModule
import PopulationModule
import PostArthroplastyModule
import SafetyScreeningModule
import SymptomsModule

/// The assessment modules compiled into the host from `Plugins/`.
public enum BuiltinModules {
    /// One instance of each built-in module. Order does not matter: the registry sorts by id.
    public static var all: [any AssessmentModule] {
        [
            SymptomsModule(),
            PopulationModule(),
            PostArthroplastyModule(),
            ExerciseProgressionModule(),
            EscalationModule(),
            MonitoringModule(),
            SafetyScreeningModule(),
        ]
    }
}
