import CDSEngine
import CDSJSON

/// The interop adapters' settings, decoded from the Catalog's adapter documents
/// (`fhir-mapping.json`, `cds-hooks.json`) when the Catalog is loaded.
package struct Interop: Sendable {
    /// How FHIR R4 codes become case facts.
    package let fhirMapping: FHIRMapping
    /// The CDS Hooks service definition and card settings.
    package let cdsHooks: CDSHooksSettings

    /// Decodes and validates the adapter documents of `catalog`; every problem is reported
    /// as `file: json-path: message`, and nothing is decoded unless all of it is valid.
    package init(catalog: Catalog) throws(CatalogLoadError) {
        let sink = IssueSink()
        let decoder = InteropDecoder(catalog: catalog, sink: sink)
        let fhirMapping = decoder.decodeFHIRMapping()
        let cdsHooks = decoder.decodeCDSHooks()
        guard sink.issues.isEmpty, let fhirMapping, let cdsHooks else { throw CatalogLoadError(issues: sink.issues) }
        self.fhirMapping = fhirMapping
        self.cdsHooks = cdsHooks
    }

    /// Loads the Catalog at `directory` with the interop settings decoded and attached: the
    /// way every command and test loads a Catalog that FHIR or CDS Hooks input may reach.
    package static func loadCatalog(directory: String, extraPacks: [String] = []) throws(CatalogLoadError) -> Catalog {
        try attach(to: CatalogLoader.load(directory: directory, extraPacks: extraPacks))
    }

    /// `catalog` with its interop settings decoded and attached.
    package static func attach(to catalog: Catalog) throws(CatalogLoadError) -> Catalog {
        catalog.adapters.store(try Interop(catalog: catalog))
        return catalog
    }
}

extension Catalog {
    /// The interop settings attached when the Catalog was loaded (``Interop/loadCatalog(directory:)``).
    /// A Catalog loaded by the engine alone gets them decoded on first use; if its adapter
    /// documents are invalid that is a start-up fault the process cannot continue past
    /// (every command loads through ``Interop/loadCatalog(directory:)``, which refuses them).
    package var interop: Interop {
        if let interop = adapters.value(Interop.self) { return interop }
        do {
            let interop = try Interop(catalog: self)
            adapters.store(interop)
            return interop
        } catch {
            preconditionFailure("the Catalog's adapter documents are invalid (load it with Interop.loadCatalog):\n\(error)")
        }
    }

    /// How FHIR R4 codes become case facts.
    package var fhirMapping: FHIRMapping { interop.fhirMapping }

    /// The CDS Hooks service definition and card settings.
    package var cdsHooks: CDSHooksSettings { interop.cdsHooks }
}

/// Decodes the adapter documents, recording every problem in `sink`.
private struct InteropDecoder {
    let catalog: Catalog
    let sink: IssueSink

    /// The host's document `file` (the CDS Hooks service is the host's, not a pack's).
    func root(_ file: String, keys: Set<String>) -> FieldReader? {
        guard let document = catalog.adapterDocuments.first(where: { $0.name == file && $0.pack == nil }) else {
            sink.add(file, .root, "cannot read: the file is missing")
            return nil
        }
        return FieldReader(document.value, file: document.file, path: .root, sink: sink, allowedKeys: keys)
    }

    // MARK: cds-hooks.json

    func decodeCDSHooks() -> CDSHooksSettings? {
        let file = "cds-hooks.json"
        guard let root = root(file, keys: ["service", "cardSource", "overrideReasons", "overrideReasonSystem"]),
            let service = root.nested("service", allowedKeys: ["id", "hook", "title", "description", "prefetch"]),
            let id = service.string("id"), let hook = service.string("hook"), let title = service.string("title"),
            let description = service.string("description"), let prefetch = service.objectValue("prefetch"),
            let source = root.nested("cardSource", allowedKeys: ["label", "topicSystem"]), let label = source.string("label"),
            let topicSystem = source.string("topicSystem"), let reasonSystem = root.string("overrideReasonSystem")
        else { return nil }
        for key in FHIRCaseBuilder.prefetchKeys where prefetch[key]?.stringValue == nil {
            service.issue("prefetch", "expected a query template for \"\(key)\" (the keys the FHIR input reads)")
        }
        let reasons: [Catalog.Code] = (root.objects("overrideReasons", allowedKeys: ["code", "display"]) ?? []).compactMap { r in
            guard let code = r.string("code"), let display = r.string("display") else { return nil }
            return Catalog.Code(code: code, display: display)
        }
        if reasons.isEmpty { root.issue("overrideReasons", "expected at least one override reason") }
        return CDSHooksSettings(
            serviceID: id, hook: hook, title: title, description: description, prefetch: .object(prefetch), sourceLabel: label,
            topicSystem: topicSystem, overrideReasons: reasons, overrideReasonSystem: reasonSystem)
    }

    // MARK: fhir-mapping.json

    /// Every pack's `fhir-mapping.json`, merged: a pack maps codes to the facts of the
    /// assembled case schema, citing its own sources; a code mapped by two packs stops the load.
    func decodeFHIRMapping() -> FHIRMapping? {
        var mapping = FHIRMapping(localCodeSystem: "", entries: [])
        var owners: [String: String] = [:]
        for document in catalog.adapterDocuments where document.name == "fhir-mapping.json" {
            guard let pack = document.pack else { continue }
            decodeFHIRMapping(document, pack: pack, into: &mapping, owners: &owners)
        }
        if mapping.localCodeSystem.isEmpty { mapping.localCodeSystem = mapping.localCodeSystems.first ?? "" }
        return mapping
    }

    private func decodeFHIRMapping(
        _ document: Catalog.AdapterDocument, pack: String, into mapping: inout FHIRMapping, owners: inout [String: String]
    ) {
        let file = document.file
        guard let root = FieldReader(document.value, file: file, path: .root, sink: sink, allowedKeys: ["localCodeSystem", "note", "codes"])
        else { return }
        if let local = root.string("localCodeSystem", required: false) {
            mapping.localCodeSystems.append(local)
        }
        _ = root.string("note", required: false)
        let sourceIDs = Set(catalog.sources.filter { $0.pack == pack }.map(\.id))
        let schema = catalog.caseSchema
        func fact(_ reader: FieldReader, _ key: String, _ text: String?) -> JSONPointer? {
            guard let text else { return nil }
            guard let p = JSONPointer(text), !p.tokens.isEmpty, schema.declares(p) else {
                reader.issue(key, "\"\(text)\" is not a field of the case schema")
                return nil
            }
            return p
        }
        let keys: Set<String> = [
            "system", "code", "display", "resources", "source", "set", "value", "reading", "append", "recognized", "monthsSince",
        ]
        for item in root.objects("codes", allowedKeys: keys) ?? [] {
            guard let system = item.string("system"), let code = item.string("code"), let display = item.string("display"),
                let resources = item.strings("resources"), let source = item.string("source")
            else { continue }
            if !sourceIDs.contains(source) { item.issue("source", "unknown source \"\(source)\" (not in the sources.json of pack \"\(pack)\")") }
            if let other = owners.updateValue(pack, forKey: system + "|" + code) {
                item.issue("code", other == pack ? "duplicate mapping for \(system)|\(code)" : "\(system)|\(code) is already mapped by pack \"\(other)\"")
            }
            let kinds = ["set", "value", "reading", "append", "recognized"].filter { item.object[$0] != nil }
            guard kinds.count == 1 else {
                item.sink.add(file, item.path, "expected exactly one of set, value, reading, append, recognized")
                continue
            }
            var effect: FHIRMapping.Effect?
            switch kinds[0] {
            case "set":
                if let s = item.nested("set", allowedKeys: ["fact", "value"]), let f = fact(s, "fact", s.string("fact")),
                    let v = s.object["value"]
                {
                    effect = .set(fact: f, value: v)
                }
            case "value":
                effect = fact(item, "value", item.string("value")).map { .value(fact: $0) }
            case "reading":
                effect = fact(item, "reading", item.string("reading")).map { .reading(list: $0) }
            case "append":
                if let a = item.nested("append", allowedKeys: ["list", "member", "value"]), let l = fact(a, "list", a.string("list")),
                    let m = a.string("member"), let v = a.string("value")
                {
                    effect = .append(list: l, member: m, value: v)
                }
            default:
                effect = item.string("recognized").map { .recognized($0) }
            }
            let months = item.string("monthsSince", required: false).flatMap { fact(item, "monthsSince", $0) }
            if let effect {
                mapping.entries.append(
                    .init(
                        system: system, code: code, display: display, resources: resources, source: source, effect: effect,
                        monthsSince: months))
            }
        }
    }
}
