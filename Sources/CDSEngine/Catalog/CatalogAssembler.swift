import CDSJSON
import CDSModuleAPI

/// Decodes every pack, checks the packs against each other and assembles one ``Catalog``.
///
/// Each pack is decoded on its own (its citations may only quote its own sources, its
/// traceability covers its own source), in two passes: first what other packs may refer to
/// (sources, phases, terminology), then what refers to it (evidence, recommendations, rules).
/// Then what spans packs is checked: ids defined twice, namespaces claimed twice, conflict
/// groups and contraindications naming ids no pack defines, module priorities set twice,
/// case-schema members declared twice, and schema vocabularies against the terminology.
struct CatalogAssembler {
    let directory: String
    let host: [String: JSONValue]
    let packs: [PackDocuments]
    let sink: IssueSink

    /// What one pack decoded to.
    private struct Decoded {
        var decoder: CatalogDecoder
        var prefix: String
        /// The pack's folder: as catalog.json names it, or the full path of an extra pack.
        var location: String
        var id = ""
        var version = ""
        var title = ""
        var description = ""
        var namespaces: [String] = []
        var sources: [Catalog.Source] = []
        var policy = CatalogDecoder.PolicyFile()
        var terminology = CatalogDecoder.Terminology()
        var evidence: [Catalog.Evidence] = []
        var recommendations: [Catalog.Recommendation] = []
        var rules: [Catalog.Rule] = []
        var traceability: Catalog.Traceability?
        var sha256 = ""
    }

    /// `manifest` is the reader of `catalog.json` the loader read the pack list with (made
    /// once, so its unknown members are reported once).
    mutating func assemble(manifest: FieldReader?, hostDigest: [UInt8]) -> Catalog? {
        let version = manifest?.string("catalogVersion")
        if let version, SemanticVersion(version) == nil {
            manifest?.issue("catalogVersion", "expected a semantic version such as 1.0.0, found \"\(version)\"")
        }
        _ = manifest?.string("description")
        let title = manifest?.string("title")
        var order = ResolverPolicy.Criterion.all
        if let resolver = manifest?.nested("resolver", allowedKeys: ["order"]), let names = resolver.strings("order") {
            let criteria = names.map(ResolverPolicy.Criterion.init(rawValue:))
            let known = Set(ResolverPolicy.Criterion.all)
            if Set(criteria) != known || criteria.count != known.count {
                resolver.issue(
                    "order", "expected each of \(ResolverPolicy.Criterion.all.map(\.rawValue).joined(separator: ", ")) exactly once")
            } else {
                order = criteria
            }
        }

        // Pass 1: what other packs may refer to.
        var decoded: [Decoded] = []
        for pack in packs {
            sink.filePrefix = pack.location.prefix
            var d = Decoded(
                decoder: CatalogDecoder(directory: pack.location.directory, documents: pack.documents, sink: sink),
                prefix: pack.location.prefix,
                location: pack.location.listed ? String(pack.location.prefix.dropLast()) : pack.location.directory)
            decodeManifest(&d)
            var digest = pack.digestInput
            d.sources = d.decoder.decodeSources(digestInput: &digest)
            d.sha256 = SHA256.hex(digest)
            d.policy = d.decoder.decodePolicy()
            d.terminology = d.decoder.decodeTerminology(sourceIDs: Set(d.sources.map(\.id)))
            decoded.append(d)
        }
        sink.filePrefix = ""
        checkUnique(decoded, "pack id", file: "pack.json", { [($0.id, JSONPointer.root.appending("id"))] })
        checkNamespaces(decoded)
        checkUnique(
            decoded, "source id", file: "sources.json", { d in d.sources.map { ($0.id, pointer(d, "sources.json", "sources", $0.id)) } })
        checkUnique(
            decoded, "phase", file: "policy.json",
            { d in d.policy.phases.map { ($0.id.rawValue, pointer(d, "policy.json", "phases", $0.id.rawValue)) } })
        let phaseIDs = Set(decoded.flatMap { $0.policy.phases.map(\.id) })
        let substances = Set(decoded.flatMap { $0.terminology.substances.map(\.code) })
        let strengths = Set(decoded.flatMap { $0.terminology.strengths.map(\.code) })

        // Pass 2: what refers to the packs' vocabularies.
        for i in decoded.indices {
            sink.filePrefix = decoded[i].prefix
            let sourceIDs = Set(decoded[i].sources.map(\.id))
            decoded[i].rules = decoded[i].decoder.decodeRules(sourceIDs: sourceIDs)
            decoded[i].evidence = decoded[i].decoder.decodeEvidence(sourceIDs: sourceIDs)
            decoded[i].recommendations = decoded[i].decoder.decodeRecommendations(
                sourceIDs: sourceIDs, phaseIDs: phaseIDs, evidenceIDs: Set(decoded[i].evidence.map(\.id)), substances: substances,
                strengths: strengths)
            for r in decoded[i].recommendations { checkNamespace(decoded[i], r.id.rawValue, "recommendations.json", "recommendations") }
            for r in decoded[i].rules { checkNamespace(decoded[i], r.id, "policy.json", "rules") }
            var owned = decoded[i].terminology.citations
            for r in decoded[i].recommendations { owned += r.sources.map { (r.id.rawValue, $0) } }
            for r in decoded[i].rules { owned += r.sources.map { ("rule \(r.id)", $0) } }
            for e in decoded[i].evidence {
                owned += e.findings.map { ("\(e.id) finding \($0.id)", Catalog.Citation(source: e.source, quote: $0.quote)) }
            }
            decoded[i].traceability = decoded[i].decoder.checkTraceability(owned)
            let id = decoded[i].id
            for j in decoded[i].recommendations.indices { decoded[i].recommendations[j].pack = id }
            for j in decoded[i].sources.indices { decoded[i].sources[j].pack = id }
            for j in decoded[i].evidence.indices { decoded[i].evidence[j].pack = id }
            for j in decoded[i].rules.indices { decoded[i].rules[j].pack = id }
            decoded[i].traceability?.pack = id
        }
        sink.filePrefix = ""
        checkUnique(
            decoded, "evidence id", file: "evidence.json",
            { d in d.evidence.map { ($0.id.rawValue, pointer(d, "evidence.json", "evidence", $0.id.rawValue)) } })
        checkUnique(
            decoded, "recommendation id", file: "recommendations.json",
            { d in
                d.recommendations.map { ($0.id.rawValue, pointer(d, "recommendations.json", "recommendations", $0.id.rawValue)) }
            })
        checkUnique(decoded, "rule id", file: "policy.json", { d in d.rules.map { ($0.id, pointer(d, "policy.json", "rules", $0.id)) } })
        checkUnique(
            decoded, "conflict group", file: "policy.json",
            { d in
                zip(d.policy.policy.conflictGroups, d.policy.groupPaths).map { ($0.id, $1.removingLast()) }
            })
        checkUnique(
            decoded, "module priority", file: "policy.json",
            { d in
                d.policy.policy.modulePriorities.keys.sorted().map {
                    ($0, JSONPointer.root.appending("resolver").appending("modulePriorities").appending($0))
                }
            })
        checkUnique(
            decoded, "progression", file: "policy.json",
            { d in
                d.policy.progressions.keys.sorted().map { ($0, JSONPointer.root.appending("progressions").appending($0)) }
            })
        // A code two packs define would be read twice (a contraindication ruling out twice,
        // a symptom listed twice); a pack uses another's codes without redefining them.
        for (key, codes) in [
            ("symptoms", { (d: Decoded) in d.terminology.symptoms.map(\.code) }),
            ("contraindications", { (d: Decoded) in d.terminology.contraindications.map(\.code) }),
            ("substances", { (d: Decoded) in d.terminology.substances.map(\.code) }),
            ("strengths", { (d: Decoded) in d.terminology.strengths.map(\.code) }),
            ("instruments", { (d: Decoded) in d.terminology.instruments.map(\.id) }),
        ] {
            checkUnique(decoded, "terminology \(key) code", file: "terminology.json") { d in
                codes(d).map { ($0, pointer(d, "terminology.json", key, $0, member: key == "instruments" ? "id" : "code")) }
            }
        }
        checkReferences(decoded)

        var policy = ResolverPolicy(order: order)
        for d in decoded {
            policy.modulePriorities.merge(d.policy.policy.modulePriorities) { a, _ in a }
            policy.conflictGroups += d.policy.policy.conflictGroups
        }
        var terminology = CatalogDecoder.Terminology()
        for d in decoded {
            terminology.symptoms += d.terminology.symptoms
            terminology.contraindications += d.terminology.contraindications
            terminology.substances += d.terminology.substances
            terminology.strengths += d.terminology.strengths
            terminology.instruments += d.terminology.instruments
        }
        var assembled = CaseSchemaAssembly(
            core: host["schema/case.schema.json"], packs: decoded.map { ($0.id, $0.prefix, $0.decoder.documents["schema.json"]) },
            sink: sink)
        let schemaDocument = assembled.document()
        let schema = schemaDocument.flatMap { assembled.compile($0, terminology: terminology) }

        guard sink.issues.isEmpty, let version, let title, let schemaDocument, let schema else { return nil }
        var digest = hostDigest
        for d in decoded { digest += Array(d.prefix.utf8) + [0] + Array(d.sha256.utf8) + [0] }
        var adapterDocuments: [Catalog.AdapterDocument] = []
        for file in CatalogLoader.hostFiles where Catalog.adapterFiles.contains(file) {
            if let value = host[file] { adapterDocuments.append(.init(name: file, file: file, pack: nil, value: value)) }
        }
        for d in decoded {
            for file in CatalogLoader.packFiles where Catalog.adapterFiles.contains(file) {
                if let value = d.decoder.documents[file] {
                    adapterDocuments.append(.init(name: file, file: d.prefix + file, pack: d.id, value: value))
                }
            }
        }
        return Catalog(
            version: version, title: title, digest: SHA256.hex(digest),
            packs: decoded.map {
                Catalog.Pack(
                    id: $0.id, version: $0.version, title: $0.title, description: $0.description, namespaces: $0.namespaces,
                    sha256: $0.sha256, location: $0.location)
            },
            sources: decoded.flatMap(\.sources), evidence: decoded.flatMap(\.evidence), recommendations: decoded.flatMap(\.recommendations),
            phases: decoded.flatMap(\.policy.phases),
            progressions: decoded.reduce(into: [:]) { $0.merge($1.policy.progressions) { a, _ in a } },
            policy: policy, rules: decoded.flatMap(\.rules), symptoms: terminology.symptoms,
            contraindications: terminology.contraindications, substances: terminology.substances, strengths: terminology.strengths,
            instruments: terminology.instruments, caseSchema: schema, caseSchemaDocument: schemaDocument,
            adapterDocuments: adapterDocuments, traceability: decoded.compactMap(\.traceability))
    }

    // MARK: pack.json

    private func decodeManifest(_ d: inout Decoded) {
        guard
            let root = d.decoder.root("pack.json", keys: ["id", "version", "title", "description", "namespaces"]),
            let id = root.string("id"), let version = root.string("version"), let title = root.string("title")
        else { return }
        if !isIdentifier(id, allowDots: false) { root.issue("id", "expected lowercase letters, digits and '-', found \"\(id)\"") }
        if SemanticVersion(version) == nil { root.issue("version", "expected a semantic version such as 1.0.0, found \"\(version)\"") }
        d.id = id
        d.version = version
        d.title = title
        d.description = root.string("description") ?? ""
        // Without namespaces the pack's id is its one namespace.
        d.namespaces = root.strings("namespaces", required: false) ?? [id]
        for (i, n) in d.namespaces.enumerated() where !isIdentifier(n, allowDots: false) {
            sink.add(
                "pack.json", JSONPointer.root.appending("namespaces").appending(index: i),
                "expected lowercase letters, digits and '-', found \"\(n)\"")
        }
        if d.namespaces.isEmpty { root.issue("namespaces", "expected at least one namespace") }
    }

    // MARK: what spans packs

    /// Where the entry with `id` sits in `file`'s array `key` (the array's place if not found).
    private func pointer(_ d: Decoded, _ file: String, _ key: String, _ id: String, member: String = "id") -> JSONPointer {
        let base = JSONPointer.root.appending(key)
        guard let items = d.decoder.documents[file]?[key]?.arrayValue,
            let i = items.firstIndex(where: { $0[member]?.stringValue == id })
        else { return base }
        return base.appending(index: i)
    }

    /// Reports every key that more than one pack defines, at each later definition.
    private func checkUnique(_ decoded: [Decoded], _ what: String, file: String, _ keys: (Decoded) -> [(String, JSONPointer)]) {
        var owner: [String: Int] = [:]
        for (index, d) in decoded.enumerated() where !d.id.isEmpty {
            for (key, path) in keys(d) {
                if let first = owner[key], first != index {
                    sink.add(
                        d.prefix + file, path,
                        "\(what) \"\(key)\" is already defined by pack \"\(decoded[first].id)\" (\(decoded[first].prefix)\(file))",
                        .conflict)
                } else {
                    owner[key] = index
                }
            }
        }
    }

    private func checkNamespaces(_ decoded: [Decoded]) {
        var owner: [String: Int] = [:]
        for (index, d) in decoded.enumerated() where !d.id.isEmpty {
            for (i, n) in d.namespaces.enumerated() {
                if let first = owner[n], first != index {
                    sink.add(
                        d.prefix + "pack.json", JSONPointer.root.appending("namespaces").appending(index: i),
                        "namespace \"\(n)\" is already claimed by pack \"\(decoded[first].id)\"", .conflict)
                } else {
                    owner[n] = index
                }
            }
        }
    }

    /// An id must sit in one of its pack's namespaces: `namespace.rest`.
    private func checkNamespace(_ d: Decoded, _ id: String, _ file: String, _ key: String) {
        guard !d.id.isEmpty else { return }
        let head = id.split(separator: ".", maxSplits: 1).first.map(String.init) ?? id
        if !id.contains(".") || !d.namespaces.contains(head) {
            sink.add(
                file, pointer(d, file, key, id).appending("id"),
                "\"\(id)\" is outside the namespaces of pack \"\(d.id)\" (expected one of \(d.namespaces.map { $0 + "." }.joined(separator: ", ")) followed by a name)"
            )
        }
    }

    /// Conflict groups and contraindications may name recommendations of any pack, but only
    /// ones some pack defines; a recommendation is in at most one conflict group.
    private func checkReferences(_ decoded: [Decoded]) {
        let recommendationIDs = Set(decoded.flatMap { $0.recommendations.map(\.id) })
        var grouped: [RecommendationID: String] = [:]
        for d in decoded {
            for (group, path) in zip(d.policy.policy.conflictGroups, d.policy.groupPaths) {
                for (i, member) in group.members.enumerated() {
                    if !recommendationIDs.contains(member) {
                        sink.add(
                            d.prefix + "policy.json", path.appending(index: i),
                            "unknown recommendation \"\(member)\" (defined by no loaded pack)",
                            .unresolvedReference)
                    }
                    if let other = grouped.updateValue(group.id, forKey: member), other != group.id {
                        sink.add(
                            d.prefix + "policy.json", path.appending(index: i), "\"\(member)\" is already in conflict group \"\(other)\"",
                            .conflict)
                    }
                }
            }
            for (code, path) in zip(d.terminology.contraindications, d.terminology.contraindicationPaths) {
                for (i, id) in code.rulesOut.enumerated() where !recommendationIDs.contains(id) {
                    sink.add(
                        d.prefix + "terminology.json", path.appending(index: i),
                        "unknown recommendation \"\(id)\" (defined by no loaded pack)",
                        .unresolvedReference)
                }
            }
        }
    }
}

extension JSONPointer {
    /// The pointer to the parent (the root stays the root).
    func removingLast() -> JSONPointer { JSONPointer(tokens: Array(tokens.dropLast())) }
}
