import CDSEngine
import CDSJSON

extension Plan {
    /// The plan's explanation followed, for FHIR input, by how the case was built: the
    /// patient, whether the algorithm applies, facts not on record, allergies that need
    /// review, ignored resources and notes.
    package func explanationWithInput(catalog: Catalog) -> String {
        var text = explanation(catalog: catalog)
        guard let input else { return text }
        var out = ["", "== Input (\(input["format"]?.stringValue ?? "FHIR")) =="]
        if let patient = input["patient"]?.stringValue { out.append("Patient: \(patient)") }
        out.append(
            input["applicable"] == false
                ? "The iliopsoas algorithm does not apply to this record." : "The iliopsoas algorithm applies to this record.")
        func list(_ key: String, _ title: String, _ line: (JSONValue) -> String?) {
            let items = (input[key]?.arrayValue ?? []).compactMap(line)
            if !items.isEmpty {
                out.append(title + ":")
                out += items.map { "- \($0)" }
            }
        }
        list("unknown", "Not on record", \.stringValue)
        list("needsReview", "Needs review (not classified)", \.stringValue)
        list("ignored", "Ignored") { i in i["resource"]?.stringValue.map { "\($0): \(i["reason"]?.stringValue ?? "")" } }
        list("notes", "Notes", \.stringValue)
        if !text.hasSuffix("\n") { text += "\n" }
        return text + out.joined(separator: "\n") + "\n"
    }
}
