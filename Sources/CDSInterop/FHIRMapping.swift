import CDSEngine
import CDSJSON

/// How FHIR R4 codes become case facts (`Catalog/fhir-mapping.json`): data, with the
/// source of every code named in the Catalog.
package struct FHIRMapping: Sendable {
    /// What a mapped code does to the case.
    package enum Effect: Sendable, Hashable {
        /// Sets `fact` to `value` (a Condition or Procedure that is present).
        case set(fact: JSONPointer, value: JSONValue)
        /// Sets `fact` to the Observation's value.
        case value(fact: JSONPointer)
        /// Appends `{date, value}` from the Observation to the list at `list`.
        case reading(list: JSONPointer)
        /// Appends `{member: value}` to the list at `list`.
        case append(list: JSONPointer, member: String, value: String)
        /// Known, sets nothing; the reason says why.
        case recognized(String)
    }

    package struct Entry: Sendable, Hashable {
        package var system: String
        package var code: String
        package var display: String
        package var resources: [String]
        package var source: String
        package var effect: Effect
        /// For procedures: the fact that receives the whole months since it was performed.
        package var monthsSince: JSONPointer?
    }

    /// The first pack's local code system (the one the service's prefetch names).
    package var localCodeSystem: String
    /// Every pack's local code system, in pack order.
    package var localCodeSystems: [String] = []
    package var entries: [Entry]

    /// The entry for a coding, if the resource type may carry it.
    package func entry(system: String, code: String, resourceType: String) -> Entry? {
        entries.first { $0.system == system && $0.code == code && $0.resources.contains(resourceType) }
    }
}
