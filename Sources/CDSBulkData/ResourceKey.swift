import CDSJSON

/// What one line of a Bulk Data export is for the grouping step: a resource of a patient
/// (with its sort key), a deletion record, or something attached to no one.
package enum ResourceKey: Sendable, Equatable {
    /// A resource of patient `patient` (a Patient resource is its own patient's).
    case resource(patient: String, type: String, id: String)
    /// A Bundle of `DELETE` requests (the manifest's `deleted` files): the `Type/id` of
    /// every resource deleted.
    case deletions([String])
    /// A resource that names no patient this step can read, with the reason.
    case unattached(String)

    /// The members that may hold a resource's patient reference, in the order they are
    /// tried: `subject` (Observation, Condition, Procedure, MedicationStatement, Encounter,
    /// ...), `patient` (AllergyIntolerance, Immunization, Claim, ...), `beneficiary`
    /// (Coverage). The first that is a `Patient/{id}` reference counts.
    package static let patientMembers = ["subject", "patient", "beneficiary"]

    /// The key of a parsed export line.
    package static func of(_ resource: JSONValue) -> ResourceKey {
        guard let type = resource["resourceType"]?.stringValue else { return .unattached("no resourceType") }
        let id = resource["id"]?.stringValue ?? ""
        // The grouping records separate their fields with NUL bytes.
        guard !type.utf8.contains(0), !id.utf8.contains(0) else { return .unattached("a NUL character in resourceType or id") }
        if type == "Patient" {
            guard isFHIRID(id) else { return .unattached("a Patient without a valid id") }
            return .resource(patient: id, type: type, id: id)
        }
        if type == "Bundle", let entries = resource["entry"]?.arrayValue,
            !entries.isEmpty, entries.allSatisfy({ $0["request"]?["method"]?.stringValue == "DELETE" })
        {
            return .deletions(entries.compactMap { $0["request"]?["url"]?.stringValue })
        }
        for member in patientMembers {
            guard let reference = resource[member]?["reference"]?.stringValue, reference.hasPrefix("Patient/") else { continue }
            let patient = String(reference.dropFirst("Patient/".count))
            guard isFHIRID(patient) else { return .unattached("\(member) is not a Patient/{id} reference") }
            return .resource(patient: patient, type: type, id: id)
        }
        return .unattached("no Patient/{id} reference in \(patientMembers.joined(separator: ", "))")
    }

    /// Whether `text` is a FHIR id: 1 to 64 of `A-Z a-z 0-9 - .`.
    package static func isFHIRID(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E
            }
    }
}
