import CDSEngine
import CDSInterop
import Testing

/// The interop adapter documents (fhir-mapping.json, cds-hooks.json): the engine keeps
/// them raw, CDSInterop decodes and validates them when the Catalog is loaded.
@Suite("Interop settings decoded at start")
struct InteropCatalogTests {
    @Test func theEngineKeepsTheAdapterDocumentsRaw() throws {
        let c = Repository.catalog
        #expect(c.adapterDocuments.map(\.file) == ["cds-hooks.json", "packs/iliopsoas/fhir-mapping.json"])
        #expect(c.adapterDocuments.map(\.pack) == [nil, "iliopsoas"])
        #expect(c.fhirMapping.entries.count > 0)
        #expect(c.cdsHooks.serviceID == c.adapterDocuments.first { $0.name == "cds-hooks.json" }?.value["service"]?["id"]?.stringValue)
    }

    @Test func badAdapterDocumentsStopTheLoadWithEveryIssue() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace("packs/iliopsoas/fhir-mapping.json", "\"/symptoms/clickingOrSnapping\"", with: "\"/symptoms/noSuchFact\"")
        try scratch.replace("cds-hooks.json", "\"medications\"", with: "\"medicationz\"")
        guard case .failure(let error) = scratch.load() else {
            Issue.record("a Catalog with broken adapter documents loaded")
            return
        }
        let lines = error.issues.map(\.description)
        #expect(
            lines.contains(
                "packs/iliopsoas/fhir-mapping.json: /codes/0/set/fact: \"/symptoms/noSuchFact\" is not a field of the case schema"),
            "\(lines)")
        #expect(
            lines.contains { $0.hasPrefix("cds-hooks.json: /service/prefetch: expected a query template for \"medications\"") }, "\(lines)")
        // The engine alone loads it: it does not interpret these files.
        #expect(throws: Never.self) { try CatalogLoader.load(directory: scratch.directory) }
    }

    @Test func aCatalogLoadedByTheEngineAloneDecodesItsInteropSettingsOnFirstUse() throws {
        let plain = try CatalogLoader.load(directory: Repository.catalogDirectory)
        #expect(plain.adapters.value(Interop.self) == nil)
        #expect(plain.cdsHooks.serviceID == Repository.catalog.cdsHooks.serviceID)
        #expect(plain.adapters.value(Interop.self) != nil)
    }
}
