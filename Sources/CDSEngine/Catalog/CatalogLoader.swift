import CDSJSON
import CDSModuleAPI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Loads and validates a Catalog directory and the knowledge packs it names, all or nothing.
///
/// The Catalog directory holds the host's files (``hostFiles``): `catalog.json` lists the
/// packs in load order and the resolver's global settings, `schema/case.schema.json` is the
/// core case schema, `cds-hooks.json` the service definition. Each pack is a folder of its
/// own (``packFiles``): recommendations, evidence, sources with verbatim quotes,
/// traceability, phases, a case-schema fragment, FHIR mapping entries and resolver policy.
///
/// Every file is parsed strictly and decoded with unknown members rejected; then each pack
/// is checked against itself (references resolve, every quote is found verbatim in a source
/// of the pack, every sentence of the pack's traced source is accounted for) and the packs
/// against each other (an id defined twice, a namespace claimed twice, a conflict group or
/// contraindication naming a missing id, a case-schema member declared twice, schema
/// vocabularies that differ from the terminology). All problems are reported together as
/// `file: json-path: message`, the file named as found (`packs/iliopsoas/policy.json`).
package enum CatalogLoader {
    /// The host's files, in the order their bytes enter the digest.
    package static let hostFiles = ["catalog.json", "schema/case.schema.json", "cds-hooks.json"]
    /// A pack's files, in the order their bytes enter its SHA-256.
    package static let packFiles = [
        "pack.json", "sources.json", "evidence.json", "recommendations.json", "terminology.json", "policy.json", "traceability.json",
        "schema.json", "fhir-mapping.json",
    ]
    /// The pack files that must exist; the others may be left out (nothing of that kind).
    package static let requiredPackFiles: Set<String> = ["pack.json", "sources.json", "recommendations.json", "traceability.json"]

    /// The largest source file (`sources.json` `file`) read.
    package static let maxSourceBytes = 4 << 20

    /// Loads the Catalog at `directory` with the packs its `catalog.json` lists, then
    /// `extraPacks` (pack directories given on the command line or by module manifests).
    package static func load(directory: String, extraPacks: [String] = []) throws(CatalogLoadError) -> Catalog {
        let sink = IssueSink()
        // A file's bytes and parse are independent of the rest (`fetch`); what a file adds to
        // the digest and to the issues is applied in file order (`use`), as one thread would.
        func use(_ read: FileRead, _ file: String, into digest: inout [UInt8]) -> JSONValue? {
            switch read {
            case .absent:
                return nil
            case .unreadable(let reason):
                sink.add(file, .root, "cannot read: \(reason)", .unreadable)
                return nil
            case .invalid(let bytes, let offset, let message):
                digest += Array(file.utf8) + [0] + bytes + [0]
                sink.add(file, .root, "invalid JSON at byte \(offset): \(message)", .invalidJSON)
                return nil
            case .parsed(let bytes, let value):
                digest += Array(file.utf8) + [0] + bytes + [0]
                return value
            }
        }
        func read(_ directory: String, _ file: String, optional: Bool, into digest: inout [UInt8]) -> JSONValue? {
            use(fetch(directory, file, optional: optional), file, into: &digest)
        }
        var hostDigest: [UInt8] = []
        var host: [String: JSONValue] = [:]
        for file in hostFiles { host[file] = read(directory, file, optional: false, into: &hostDigest) }
        guard sink.issues.isEmpty, let manifestDocument = host["catalog.json"] else { throw CatalogLoadError(issues: sink.issues) }

        // The packs: those catalog.json lists (inside the Catalog directory), then the extra ones.
        var locations: [PackLocation] = []
        let manifest = FieldReader(
            manifestDocument, file: "catalog.json", path: .root, sink: sink,
            allowedKeys: ["catalogVersion", "title", "description", "packs", "resolver"])
        for (i, relative) in (manifest?.strings("packs") ?? []).enumerated() {
            do {
                let resolved = try FileSystem.resolve(relative, inside: directory)
                locations.append(PackLocation(directory: resolved, prefix: relative + "/", listed: true))
            } catch {
                sink.add(
                    "catalog.json", JSONPointer.root.appending("packs").appending(index: i),
                    "cannot use pack \"\(relative)\": \(error.reason)")
            }
        }
        for extra in extraPacks {
            let prefix = extra.hasSuffix("/") ? extra : extra + "/"
            locations.append(PackLocation(directory: FileSystem.realPath(extra) ?? extra, prefix: prefix, listed: false))
        }
        // Every pack's files read and parsed on two threads (most of the parsing at start),
        // then taken pack by pack in order.
        var seenDirectories: [String: String] = [:]
        var earlierCopy: [String?] = []
        var jobs: [(directory: String, file: String)] = []
        for location in locations {
            let earlier = seenDirectories.updateValue(location.prefix, forKey: location.directory)
            earlierCopy.append(earlier)
            if earlier == nil { jobs += packFiles.map { (location.directory, $0) } }
        }
        let jobList = jobs
        var reads = SharedWork.map(jobList.count) { i in
            fetch(jobList[i].directory, jobList[i].file, optional: !requiredPackFiles.contains(jobList[i].file))
        }[...]
        var packs: [PackDocuments] = []
        for (location, earlier) in zip(locations, earlierCopy) {
            if let earlier {
                sink.add(location.prefix + "pack.json", .root, "this pack is already loaded as \(earlier)", .conflict)
                continue
            }
            var pack = PackDocuments(location: location)
            sink.filePrefix = location.prefix
            for file in packFiles {
                pack.documents[file] = use(reads.removeFirst(), file, into: &pack.digestInput)
            }
            sink.filePrefix = ""
            packs.append(pack)
        }
        guard sink.issues.isEmpty else { throw CatalogLoadError(issues: sink.issues) }
        if packs.isEmpty { sink.add("catalog.json", JSONPointer.root.appending("packs"), "expected at least one knowledge pack") }

        var assembler = CatalogAssembler(directory: directory, host: host, packs: packs, sink: sink)
        let catalog = assembler.assemble(manifest: manifest, hostDigest: hostDigest)
        guard sink.issues.isEmpty, let catalog else { throw CatalogLoadError(issues: sink.issues) }
        return catalog
    }
}

/// What reading one Catalog file gave, before its issues and digest are applied.
enum FileRead: Sendable {
    /// An optional file that does not exist.
    case absent
    /// The file could not be read (the reason).
    case unreadable(String)
    /// The file's bytes are not valid JSON.
    case invalid(bytes: [UInt8], offset: Int, message: String)
    /// The file's bytes and their value.
    case parsed(bytes: [UInt8], JSONValue)
}

extension CatalogLoader {
    /// Reads and parses one file of a Catalog or pack directory (any thread).
    static func fetch(_ directory: String, _ file: String, optional: Bool) -> FileRead {
        let path = FileSystem.join(directory, file)
        if optional && access(path, F_OK) != 0 && errno == ENOENT { return .absent }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: 16 << 20, regularOnly: true)
        } catch {
            return .unreadable(error.reason)
        }
        do {
            return .parsed(bytes: bytes, try JSONParser(limits: .init(maxDepth: 32, maxBytes: 16 << 20)).parse(bytes))
        } catch {
            return .invalid(bytes: bytes, offset: error.offset, message: error.message)
        }
    }
}

/// Where one pack is and how its files are named in issues.
struct PackLocation {
    /// The pack folder (resolved).
    var directory: String
    /// What issues put before the pack's file names: its path in `catalog.json` (or as given
    /// on the command line), with a trailing `/`.
    var prefix: String
    /// Whether `catalog.json` lists it (rather than the command line or a module manifest).
    var listed: Bool
}

/// One pack's parsed files.
struct PackDocuments {
    var location: PackLocation
    var documents: [String: JSONValue] = [:]
    /// The pack's bytes, as its SHA-256 covers them (files and source files, each named).
    var digestInput: [UInt8] = []
}

/// Decodes and cross-checks the parsed files of one pack.
struct CatalogDecoder {
    let directory: String
    let documents: [String: JSONValue]
    let sink: IssueSink
    /// Text of the source files, by source id.
    var sourceTexts: [String: String] = [:]

    init(directory: String, documents: [String: JSONValue], sink: IssueSink) {
        self.directory = directory
        self.documents = documents
        self.sink = sink
    }

    func root(_ file: String, keys: Set<String>) -> FieldReader? {
        documents[file].flatMap { FieldReader($0, file: file, path: .root, sink: sink, allowedKeys: keys) }
    }

    // MARK: sources.json

    mutating func decodeSources(digestInput: inout [UInt8]) -> [Catalog.Source] {
        let file = "sources.json"
        guard let root = root(file, keys: ["sources"]),
            let items = root.objects("sources", allowedKeys: ["id", "kind", "title", "file", "sha256", "url", "note"])
        else { return [] }
        var result: [Catalog.Source] = []
        var seen: Set<String> = []
        for item in items {
            guard let id = item.string("id"), let kind = item.string("kind"), let title = item.string("title") else { continue }
            if !seen.insert(id).inserted { item.issue("id", "duplicate source id \"\(id)\"") }
            let source = Catalog.Source(
                id: id, kind: kind, title: title, file: item.string("file", required: false),
                sha256: item.string("sha256", required: false), url: item.string("url", required: false),
                note: item.string("note", required: false))
            if let relative = source.file {
                do {
                    let path = try FileSystem.resolve(relative, inside: directory)
                    let bytes = try FileSystem.read(path, limit: CatalogLoader.maxSourceBytes, regularOnly: true)
                    digestInput += Array(relative.utf8) + [0] + bytes + [0]
                    if let expected = source.sha256, SHA256.hex(bytes) != expected {
                        item.issue("sha256", "does not match the file \(relative) (its SHA-256 is \(SHA256.hex(bytes)))")
                    }
                    if let text = String(validating: bytes, as: UTF8.self) {
                        sourceTexts[id] = text
                    } else {
                        item.issue("file", "\(relative) is not valid UTF-8")
                    }
                } catch {
                    item.issue("file", "cannot read \(relative): \(error.reason)")
                }
            }
            result.append(source)
        }
        return result
    }

    // MARK: citations

    /// Reads `sources: [{source, quote}]`, checking each quote against its source text.
    func citations(_ reader: FieldReader, sourceIDs: Set<String>, required: Bool = true) -> [Catalog.Citation] {
        guard let items = reader.objects("sources", required: required, allowedKeys: ["source", "quote"]) else { return [] }
        if required && items.isEmpty { reader.issue("sources", "every clinical statement needs at least one source") }
        return items.compactMap { item in
            guard let source = item.string("source") else { return nil }
            let quote = item.string("quote", required: false)
            checkQuote(item, source: source, quote: quote, sourceIDs: sourceIDs)
            return Catalog.Citation(source: source, quote: quote)
        }
    }

    func checkQuote(_ item: FieldReader, source: String, quote: String?, sourceIDs: Set<String>, quoteKey: String = "quote") {
        guard sourceIDs.contains(source) else {
            item.issue("source", "unknown source \"\(source)\" (not in sources.json)")
            return
        }
        if let text = sourceTexts[source] {
            guard let quote else {
                item.issue(quoteKey, "a source with a file needs a verbatim quote")
                return
            }
            if !SeedText.contains(text, verbatim: quote) {
                item.issue(quoteKey, "not found verbatim in source \"\(source)\"")
            }
        }
    }

    // MARK: evidence.json

    func decodeEvidence(sourceIDs: Set<String>) -> [Catalog.Evidence] {
        let file = "evidence.json"
        guard let root = root(file, keys: ["evidence"]),
            let items = root.objects("evidence", allowedKeys: ["id", "source", "reference", "description", "design", "findings"])
        else { return [] }
        var seen: Set<String> = []
        var findingIDs: Set<String> = []
        return items.compactMap { item in
            guard let id = item.string("id"), let source = item.string("source"),
                let description = item.string("description"), let design = item.string("design")
            else { return nil }
            if !seen.insert(id).inserted { item.issue("id", "duplicate evidence id \"\(id)\"") }
            if !sourceIDs.contains(source) { item.issue("source", "unknown source \"\(source)\" (not in sources.json)") }
            let findings: [Catalog.Finding] = (item.objects("findings", allowedKeys: ["id", "statement", "quote"]) ?? []).compactMap { f in
                guard let fid = f.string("id"), let statement = f.string("statement"), let quote = f.string("quote") else { return nil }
                if !findingIDs.insert(fid).inserted { f.issue("id", "duplicate finding id \"\(fid)\"") }
                checkQuote(f, source: source, quote: quote, sourceIDs: sourceIDs)
                return Catalog.Finding(id: fid, statement: statement, quote: quote)
            }
            return Catalog.Evidence(
                id: EvidenceID(rawValue: id), source: source, reference: item.integer("reference", required: false),
                description: description, design: design, findings: findings)
        }
    }

    // MARK: recommendations.json

    func decodeRecommendations(
        sourceIDs: Set<String>, phaseIDs: Set<Phase>, evidenceIDs: Set<EvidenceID>, substances: Set<String>,
        strengths: Set<String>
    ) -> [Catalog.Recommendation] {
        let file = "recommendations.json"
        let keys: Set<String> = [
            "id", "phase", "title", "text", "dosage", "components", "strength", "substances", "evidence", "sources",
        ]
        guard let root = root(file, keys: ["recommendations"]),
            let items = root.objects("recommendations", allowedKeys: keys)
        else { return [] }
        var seen: Set<String> = []
        return items.compactMap { item in
            guard let id = item.string("id"), let phase = item.string("phase"), let title = item.string("title"),
                let text = item.string("text"), let strength = item.string("strength")
            else { return nil }
            if !isIdentifier(id, allowDots: true) {
                item.issue("id", "expected lowercase letters, digits, '-' and '.', found \"\(id)\"")
            }
            if !seen.insert(id).inserted { item.issue("id", "duplicate recommendation id \"\(id)\"") }
            if !phaseIDs.contains(Phase(rawValue: phase)) {
                item.issue("phase", "unknown phase \"\(phase)\" (phases are declared in policy.json)")
            }
            if !strengths.contains(strength) {
                item.issue("strength", "unknown strength \"\(strength)\" (allowed: \(strengths.sorted().joined(separator: ", ")))")
            }
            let evidence = (item.strings("evidence") ?? []).map { EvidenceID(rawValue: $0) }
            for (i, e) in evidence.enumerated() where !evidenceIDs.contains(e) {
                item.sink.add(file, item.path.appending("evidence").appending(index: i), "unknown evidence \"\(e)\" (not in evidence.json)")
            }
            let subs = item.strings("substances", required: false) ?? []
            for (i, s) in subs.enumerated() where !substances.contains(s) {
                item.sink.add(
                    file, item.path.appending("substances").appending(index: i), "unknown substance \"\(s)\" (not in terminology.json)")
            }
            var dosage: Catalog.Dosage?
            if let d = item.nested("dosage", required: false, allowedKeys: ["summary", "parameters"]), let summary = d.string("summary") {
                var parameters: [(name: String, value: Double)] = []
                for (name, value) in d.objectValue("parameters", required: false) ?? JSONObject() {
                    if let v = value.numberValue {
                        parameters.append((name, v))
                    } else {
                        d.sink.add(file, d.path.appending("parameters").appending(name), "expected number, found \(value.typeName)")
                    }
                }
                dosage = Catalog.Dosage(summary: summary, parameters: parameters)
            }
            let sources = citations(item, sourceIDs: sourceIDs)
            for problem in DosageCheck.problems(dosage, quotes: sources.compactMap(\.quote)) {
                item.sink.add(file, problem.path.reduce(item.path.appending("dosage")) { $0.appending($1) }, problem.message)
            }
            return Catalog.Recommendation(
                id: RecommendationID(rawValue: id), phase: Phase(rawValue: phase), title: title, text: text,
                dosage: dosage, components: item.strings("components", required: false) ?? [], strength: strength,
                substances: subs, evidence: evidence, sources: sources)
        }
    }

    // MARK: terminology.json

    struct Terminology {
        var symptoms: [Catalog.Code] = []
        var contraindications: [ContraindicationCode] = []
        var substances: [Catalog.Code] = []
        var strengths: [Catalog.Code] = []
        var instruments: [Catalog.Instrument] = []
        /// Where each contraindication's rulesOut lives, for reference errors.
        var contraindicationPaths: [JSONPointer] = []
        /// Quoted statements, with the entry that quotes them.
        var citations: [(owner: String, citation: Catalog.Citation)] = []
    }

    func decodeTerminology(sourceIDs: Set<String>) -> Terminology {
        let file = "terminology.json"
        var t = Terminology()
        guard let root = root(file, keys: ["condition", "symptoms", "instruments", "contraindications", "substances", "strengths"]) else {
            return t
        }
        if let condition = root.nested("condition", required: false, allowedKeys: ["id", "display", "definition", "evidence", "sources"]) {
            _ = condition.string("id")
            _ = condition.string("display")
            _ = condition.string("definition")
            _ = condition.strings("evidence")
            t.citations += citations(condition, sourceIDs: sourceIDs).map { ("terminology condition", $0) }
        }
        func codes(_ key: String, keys: Set<String>) -> [(FieldReader, Catalog.Code)] {
            var seen: Set<String> = []
            return (root.objects(key, required: false, allowedKeys: keys) ?? []).compactMap { item in
                guard let code = item.string("code"), let display = item.string("display") else { return nil }
                if !seen.insert(code).inserted { item.issue("code", "duplicate code \"\(code)\"") }
                return (item, Catalog.Code(code: code, display: display))
            }
        }
        for (item, code) in codes("symptoms", keys: ["code", "display", "sources"]) {
            t.citations += citations(item, sourceIDs: sourceIDs).map { ("terminology symptom \(code.code)", $0) }
            t.symptoms.append(code)
        }
        t.substances = codes("substances", keys: ["code", "display"]).map(\.1)
        t.strengths = codes("strengths", keys: ["code", "display"]).map(\.1)
        for (item, code) in codes("contraindications", keys: ["code", "display", "rulesOut"]) {
            let rulesOut = (item.strings("rulesOut") ?? []).map { RecommendationID(rawValue: $0) }
            t.contraindications.append(ContraindicationCode(code: code.code, rulesOut: rulesOut))
            t.contraindicationPaths.append(item.path.appending("rulesOut"))
        }
        for item in root.objects(
            "instruments", required: false, allowedKeys: ["id", "display", "minimum", "maximum", "higherIsBetter", "sources"]) ?? []
        {
            guard let id = item.string("id"), let display = item.string("display"), let minimum = item.integer("minimum"),
                let maximum = item.integer("maximum"), let higherIsBetter = item.bool("higherIsBetter")
            else { continue }
            if minimum >= maximum { item.issue("maximum", "must be greater than minimum \(minimum)") }
            _ = citations(item, sourceIDs: sourceIDs)
            t.instruments.append(
                Catalog.Instrument(id: id, display: display, minimum: minimum, maximum: maximum, higherIsBetter: higherIsBetter))
        }
        return t
    }

    // MARK: policy.json

    struct PolicyFile {
        var phases: [Catalog.PhaseInfo] = []
        var progressions: [String: [Phase]] = [:]
        var policy = ResolverPolicy()
        var groupPaths: [JSONPointer] = []
        var progressionPaths: [String: JSONPointer] = [:]
    }

    func decodePolicy() -> PolicyFile {
        let file = "policy.json"
        var p = PolicyFile()
        guard let root = root(file, keys: ["phases", "progressions", "resolver", "rules"]) else { return p }
        var seen: Set<String> = []
        for item in root.objects("phases", required: false, allowedKeys: ["id", "title"]) ?? [] {
            guard let id = item.string("id"), let title = item.string("title") else { continue }
            if !seen.insert(id).inserted { item.issue("id", "duplicate phase \"\(id)\"") }
            p.phases.append(Catalog.PhaseInfo(id: Phase(rawValue: id), title: title))
        }
        for (name, value) in root.objectValue("progressions", required: false) ?? JSONObject() {
            let path = JSONPointer.root.appending("progressions").appending(name)
            guard let list = value.arrayValue, !list.isEmpty else {
                sink.add(file, path, "expected a non-empty array of phase ids")
                continue
            }
            var phases: [Phase] = []
            for (i, v) in list.enumerated() {
                guard let s = v.stringValue, seen.contains(s) else {
                    sink.add(file, path.appending(index: i), "expected a phase id declared in /phases")
                    continue
                }
                phases.append(Phase(rawValue: s))
            }
            p.progressions[name] = phases
        }
        guard let resolver = root.nested("resolver", required: false, allowedKeys: ["modulePriorities", "conflictGroups"]) else {
            return p
        }
        for (module, value) in resolver.objectValue("modulePriorities", required: false) ?? JSONObject() {
            guard let v = value.integerValue, (0...1000).contains(v) else {
                sink.add(file, resolver.path.appending("modulePriorities").appending(module), "expected an integer from 0 to 1000")
                continue
            }
            p.policy.modulePriorities[module] = Int(v)
        }
        var groupIDs: Set<String> = []
        for item in resolver.objects("conflictGroups", required: false, allowedKeys: ["id", "description", "members"]) ?? [] {
            guard let id = item.string("id"), let description = item.string("description"), let members = item.strings("members") else {
                continue
            }
            if !groupIDs.insert(id).inserted { item.issue("id", "duplicate conflict group \"\(id)\"") }
            if members.count < 2 { item.issue("members", "a conflict group needs at least two members") }
            p.policy.conflictGroups.append(.init(id: id, description: description, members: members.map(RecommendationID.init(rawValue:))))
            p.groupPaths.append(item.path.appending("members"))
        }
        return p
    }

    // MARK: policy.json rules

    /// Reads `rules`: each a published threshold (with at least one source) or a local policy
    /// (with none: it is the clinical owner's decision, not evidence).
    func decodeRules(sourceIDs: Set<String>) -> [Catalog.Rule] {
        guard let root = root("policy.json", keys: ["phases", "progressions", "resolver", "rules"]) else { return [] }
        var seen: Set<String> = []
        let keys: Set<String> = ["id", "kind", "title", "statement", "parameters", "sources"]
        return (root.objects("rules", required: false, allowedKeys: keys) ?? []).compactMap { item in
            guard let id = item.string("id"), let kind = item.string("kind"), let title = item.string("title"),
                let statement = item.string("statement")
            else { return nil }
            if !isIdentifier(id, allowDots: true) { item.issue("id", "expected lowercase letters, digits, '-' and '.', found \"\(id)\"") }
            if !seen.insert(id).inserted { item.issue("id", "duplicate rule id \"\(id)\"") }
            if !Catalog.Rule.kinds.contains(kind) {
                item.issue("kind", "expected one of \(Catalog.Rule.kinds.sorted().joined(separator: ", ")), found \"\(kind)\"")
            }
            var parameters: [Catalog.Rule.Parameter] = []
            for (name, value) in item.objectValue("parameters", required: false) ?? JSONObject() {
                guard let v = value.numberValue else {
                    item.sink.add(
                        "policy.json", item.path.appending("parameters").appending(name), "expected number, found \(value.typeName)")
                    continue
                }
                parameters.append(.init(name: name, value: v))
            }
            let sources = citations(item, sourceIDs: sourceIDs, required: kind == "published-threshold")
            if kind == "local-policy" && !sources.isEmpty {
                item.issue("sources", "a local policy has no source (it is not evidence); a rule with a source is a published-threshold")
            }
            return Catalog.Rule(id: id, kind: kind, title: title, statement: statement, parameters: parameters, sources: sources)
        }
    }

    // MARK: traceability.json

    /// Every sentence of the traced source must be quoted somewhere or declared a non-claim.
    func checkTraceability(_ owned: [(owner: String, citation: Catalog.Citation)]) -> Catalog.Traceability? {
        let file = "traceability.json"
        guard let root = root(file, keys: ["source", "note", "nonClaims"]), let source = root.string("source") else { return nil }
        _ = root.string("note", required: false)
        var nonClaims: [String: String] = [:]
        var nonClaimPaths: [(String, JSONPointer)] = []
        for item in root.objects("nonClaims", allowedKeys: ["line", "reason"]) ?? [] {
            guard let line = item.string("line"), let reason = item.string("reason") else { continue }
            nonClaims[line] = reason
            nonClaimPaths.append((line, item.path.appending("line")))
        }
        guard let text = sourceTexts[source] else {
            root.issue("source", "expected a source with a file (sources.json)")
            return nil
        }
        let lines = SeedText.lines(of: text)
        let lineSet = Set(lines)
        for (line, path) in nonClaimPaths where !lineSet.contains(line) {
            sink.add(file, path, "not a line of source \"\(source)\"")
        }
        let quotes = owned.filter { $0.citation.source == source }.compactMap { o in o.citation.quote.map { (o.owner, $0) } }
        var traced: [Catalog.Traceability.Line] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            if let reason = nonClaims[line] {
                traced.append(.init(number: index + 1, text: line, nonClaim: reason, sentences: []))
                continue
            }
            var sentences: [(text: String, quotedBy: [String])] = []
            for sentence in SeedText.sentences(of: line) {
                var owners: [String] = []
                for (owner, quote) in quotes where SeedText.contains(quote, verbatim: sentence) && !owners.contains(owner) {
                    owners.append(owner)
                }
                if owners.isEmpty {
                    sink.add(
                        file, .root,
                        "line \(index + 1) of source \"\(source)\" is quoted by no Catalog entry and is not a non-claim: \"\(sentence)\"")
                }
                sentences.append((sentence, owners))
            }
            traced.append(.init(number: index + 1, text: line, nonClaim: nil, sentences: sentences))
        }
        return Catalog.Traceability(source: source, lines: traced)
    }
}

/// Splitting source text into the sentences traceability is checked on.
package enum SeedText {
    /// Whether `text` contains `part` byte for byte (UTF-8): a quote is verbatim, so no
    /// Unicode equivalence is wanted, and this is what keeps start-up fast.
    package static func contains(_ text: String, verbatim part: String) -> Bool {
        var (text, part) = (text, part)
        return text.withUTF8 { t in
            part.withUTF8 { p in
                guard let first = p.first, let tBase = t.baseAddress, let pBase = p.baseAddress else { return p.isEmpty }
                var offset = 0
                while t.count - offset >= p.count {
                    // The next place the first byte occurs, then the rest compared whole.
                    guard let hit = memchr(tBase + offset, Int32(first), t.count - offset - p.count + 1) else { return false }
                    let at = tBase.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(tBase + at, pBase, p.count) == 0 { return true }
                    offset = at + 1
                }
                return false
            }
        }
    }

    /// The lines of a source text (split at each line feed; a carriage return before it is
    /// trimmed), each without leading and trailing spaces, tabs and carriage returns. Split
    /// and trimmed on the UTF-8 bytes: splitting the `String` walked it a `Character` at a
    /// time (grapheme breaking), a sixteenth of the Catalog's load.
    package static func lines(of text: String) -> [String] {
        text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { bytes in
            func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
            var first = bytes.startIndex
            var end = bytes.endIndex
            while first < end, blank(bytes[first]) { first = bytes.index(after: first) }
            // A blank before a combining mark is part of that character, not trimmed: such a
            // line is trimmed a `Character` at a time.
            if first > bytes.startIndex, first < end, bytes[first] >= 0x80 { return trimmed(Substring(bytes)) }
            while end > first, blank(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
            return String(Substring(bytes[first..<end]))
        }
    }

    /// `line` without leading and trailing spaces, tabs and carriage returns, a `Character` at
    /// a time.
    package static func trimmed(_ line: Substring) -> String {
        func blank(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\r" }
        guard let first = line.firstIndex(where: { !blank($0) }), let last = line.lastIndex(where: { !blank($0) }) else { return "" }
        return String(line[first...last])
    }

    /// The sentences of one line: a list marker (`- `) dropped, split after ". " before a capital.
    /// Walked on the UTF-8 bytes (a `.` and a space are single bytes, never part of another
    /// character's encoding); only the character after a ". " is read as a `Character`, to ask
    /// whether it is a capital. (A `Character` at a time was a twentieth of start-up.)
    package static func sentences(of line: String) -> [String] {
        var text = Substring(line)
        if text.hasPrefix("- ") { text = text.dropFirst(2) }
        let bytes = text.utf8
        var result: [String] = []
        var start = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let next = bytes.index(after: i)
            if bytes[i] == UInt8(ascii: "."), next < bytes.endIndex, bytes[next] == UInt8(ascii: " ") {
                let after = bytes.index(after: next)
                if after < bytes.endIndex, text[after].isUppercase {
                    result.append(String(text[start..<next]))
                    start = after
                    i = after
                    continue
                }
            }
            i = next
        }
        if start < bytes.endIndex { result.append(String(text[start...])) }
        return result
    }
}

func isIdentifier(_ s: String, allowDots: Bool) -> Bool {
    !s.isEmpty
        && s.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || (allowDots && c == 0x2E)
        }
}
