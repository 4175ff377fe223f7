import CDSJSON
import CDSModuleAPI

/// The loaded, validated clinical knowledge. Immutable and shared by all evaluations.
///
/// A `Catalog` exists only if every file passed validation (see ``CatalogLoader``):
/// there is no partially loaded state.
package final class Catalog: Sendable {
    /// A document a clinical statement is quoted from.
    package struct Source: Sendable, Hashable {
        package var id: String
        package var kind: String
        package var title: String
        package var file: String?
        package var sha256: String?
        package var url: String?
        package var note: String?
        /// The id of the pack that defines it.
        package var pack = ""
    }

    /// A statement's origin: a source, and the verbatim text when the source is a file.
    package struct Citation: Sendable, Hashable {
        package var source: String
        package var quote: String?
    }

    /// A result reported by an evidence record.
    package struct Finding: Sendable, Hashable {
        package var id: String
        package var statement: String
        package var quote: String
    }

    /// A numbered reference of a source and what it reports.
    package struct Evidence: Sendable, Hashable {
        package var id: EvidenceID
        package var source: String
        package var reference: Int?
        package var description: String
        package var design: String
        package var findings: [Finding]
        /// The id of the pack that defines it.
        package var pack = ""
    }

    /// Dosage and timing as the source states them.
    package struct Dosage: Sendable, Hashable {
        package var summary: String
        /// Numeric parameters, in file order.
        package var parameters: [(name: String, value: Double)]

        package static func == (lhs: Dosage, rhs: Dosage) -> Bool {
            lhs.summary == rhs.summary && lhs.parameters.elementsEqual(rhs.parameters, by: { $0 == $1 })
        }

        package func hash(into hasher: inout Hasher) {
            hasher.combine(summary)
            for p in parameters {
                hasher.combine(p.name)
                hasher.combine(p.value)
            }
        }
    }

    /// One recommendation.
    package struct Recommendation: Sendable, Hashable {
        package var id: RecommendationID
        package var phase: Phase
        package var title: String
        package var text: String
        package var dosage: Dosage?
        package var components: [String]
        package var strength: String
        package var substances: [String]
        package var evidence: [EvidenceID]
        package var sources: [Citation]
        /// The id of the pack that defines it.
        package var pack = ""
    }

    /// The clinical source, line by line: each sentence with the entries that quote it, or
    /// the reason the line carries no clinical claim.
    package struct Traceability: Sendable {
        package struct Line: Sendable {
            package var number: Int
            package var text: String
            package var nonClaim: String?
            package var sentences: [(text: String, quotedBy: [String])]
        }
        package var source: String
        package var lines: [Line]
        /// The id of the pack whose source it is.
        package var pack = ""
    }

    /// A knowledge pack as loaded: what it is, and the SHA-256 of exactly its content.
    package struct Pack: Sendable, Hashable {
        package var id: String
        package var version: String
        package var title: String
        package var description: String
        /// The first segments its recommendation and rule ids may have (`initial` of
        /// `initial.relative-rest`).
        package var namespaces: [String]
        /// SHA-256 over the pack's files and source files, each with its name, in a fixed order.
        package var sha256: String
        /// The pack's folder as `catalog.json` (or the command line, or a module manifest) names it.
        package var location: String
    }

    /// A Catalog file the engine loads and digests but does not interpret (``adapterFiles``):
    /// an adapter layer's configuration, from the host or from one pack.
    package struct AdapterDocument: Sendable {
        /// The file's name in its folder (`fhir-mapping.json`).
        package var name: String
        /// The file as issues name it (`packs/iliopsoas/fhir-mapping.json`).
        package var file: String
        /// The pack it belongs to; `nil` for the host's.
        package var pack: String?
        package var value: JSONValue
    }

    /// A decision rule (`policy.json` `rules`): a published threshold with its sources, or a
    /// local policy set by the clinical owner where the source states no rule.
    package struct Rule: Sendable, Hashable {
        package var id: String
        /// `local-policy` or `published-threshold`.
        package var kind: String
        package var title: String
        package var statement: String
        package var parameters: [Parameter]
        /// For a published threshold, where it comes from; empty for local policy.
        package var sources: [Citation]
        /// The id of the pack that defines it.
        package var pack = ""

        /// A named number of a rule.
        package struct Parameter: Sendable, Hashable {
            package var name: String
            package var value: Double
        }

        /// The kinds of rule a Catalog may declare.
        package static let kinds: Set<String> = ["local-policy", "published-threshold"]
    }

    /// A phase of the algorithm with its display title.
    package struct PhaseInfo: Sendable, Hashable {
        package var id: Phase
        package var title: String
    }

    /// A terminology code with a display name.
    package struct Code: Sendable, Hashable {
        package var code: String
        package var display: String

        /// A code and its display text.
        package init(code: String, display: String) {
            self.code = code
            self.display = display
        }
    }

    /// An outcome instrument (NPRS, LEFS) and its range.
    package struct Instrument: Sendable, Hashable {
        package var id: String
        package var display: String
        package var minimum: Int
        package var maximum: Int
        package var higherIsBetter: Bool
    }

    package let version: String
    package let title: String
    /// SHA-256 over every Catalog file and every pack's SHA-256, in a fixed order:
    /// identifies the exact content.
    package let digest: String
    /// The knowledge packs, in load order.
    package let packs: [Pack]
    package let sources: [Source]
    package let evidence: [Evidence]
    package let recommendations: [Recommendation]
    package let phases: [PhaseInfo]
    package let progressions: [String: [Phase]]
    package let policy: ResolverPolicy
    /// The decision rules, in file order.
    package let rules: [Rule]
    package let symptoms: [Code]
    package let contraindications: [ContraindicationCode]
    package let substances: [Code]
    package let strengths: [Code]
    package let instruments: [Instrument]
    package let caseSchema: JSONSchema
    /// The case schema as written (for tools that describe the case fields, such as the REPL).
    package let caseSchemaDocument: JSONValue
    /// The Catalog files the engine does not interpret (``adapterFiles``), parsed, the host's
    /// first and then each pack's: adapter layers above the engine decode and validate them
    /// at start.
    package let adapterDocuments: [AdapterDocument]
    /// What adapter layers decoded from ``adapterDocuments`` (see ``AdapterStorage``).
    package let adapters = AdapterStorage()
    /// How every line of each pack's traced source maps to that pack's entries, in pack order.
    package let traceability: [Traceability]

    let renderedRecommendations: [RecommendationID: JSONObject]
    let renderedEvidence: [EvidenceID: JSONValue]
    /// What a plan needs of each recommendation (parallel to `recommendations`) and each
    /// evidence record's JSON (parallel to `evidence`), prepared once at load so that
    /// evaluating a case copies no Catalog entry and serialises no Catalog text.
    let planEntries: [PlanEntry]
    let evidenceFragments: [JSONFragment]
    /// Each rule's JSON (parallel to `rules`), prepared once at load.
    let ruleFragments: [JSONFragment]
    /// Every plan's `provenance` over this Catalog, prepared once at load.
    let provenanceFragment: JSONFragment
    /// Each rule's, recommendation's and evidence record's position, by id (looked up on
    /// every evaluation: fixed tables, cheaper than dictionaries).
    private let ruleIndexByID: KeyTable
    private let recommendationIndex: KeyTable
    private let evidenceIndex: KeyTable

    init(
        version: String, title: String, digest: String, packs: [Pack], sources: [Source], evidence: [Evidence],
        recommendations: [Recommendation], phases: [PhaseInfo], progressions: [String: [Phase]],
        policy: ResolverPolicy, rules: [Rule] = [], symptoms: [Code], contraindications: [ContraindicationCode],
        substances: [Code], strengths: [Code], instruments: [Instrument], caseSchema: JSONSchema,
        caseSchemaDocument: JSONValue, adapterDocuments: [AdapterDocument],
        traceability: [Traceability]
    ) {
        self.version = version
        self.title = title
        self.digest = digest
        self.packs = packs
        self.sources = sources
        self.evidence = evidence
        self.recommendations = recommendations
        self.phases = phases
        self.progressions = progressions
        self.policy = policy
        self.rules = rules
        self.ruleFragments = rules.map { JSONFragment(Self.render($0)) }
        self.provenanceFragment = JSONFragment(Plan.provenance(catalogVersion: version, digest: digest, packs: packs, order: policy.order))
        self.ruleIndexByID = KeyTable(rules.map(\.id))
        self.symptoms = symptoms
        self.contraindications = contraindications
        self.substances = substances
        self.strengths = strengths
        self.instruments = instruments
        self.caseSchema = caseSchema
        self.caseSchemaDocument = caseSchemaDocument
        self.adapterDocuments = adapterDocuments
        self.traceability = traceability
        self.renderedRecommendations = Dictionary(recommendations.map { ($0.id, Self.render($0)) }, uniquingKeysWith: { a, _ in a })
        self.renderedEvidence = Dictionary(evidence.map { ($0.id, Self.render($0)) }, uniquingKeysWith: { a, _ in a })
        let recommendationIndex = KeyTable(recommendations.map(\.id.rawValue))
        let evidenceIndex = KeyTable(evidence.map(\.id.rawValue))
        let phaseRank = Dictionary(phases.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.recommendationIndex = recommendationIndex
        self.evidenceIndex = evidenceIndex
        let rendered = renderedRecommendations
        var idOrder = [Int](repeating: 0, count: recommendations.count)
        for (order, index) in recommendations.indices.sorted(by: { recommendations[$0].id < recommendations[$1].id }).enumerated() {
            idOrder[index] = order
        }
        self.planEntries = recommendations.indices.map { i in
            let r = recommendations[i]
            return PlanEntry(
                rank: phaseRank[r.phase] ?? phases.count, idOrder: idOrder[i],
                evidence: r.evidence.compactMap { evidenceIndex.position(of: $0.rawValue) },
                members: Self.planMembers(rendered[r.id] ?? Self.render(r)))
        }
        let evidenceJSON = renderedEvidence
        self.evidenceFragments = evidence.map { JSONFragment(evidenceJSON[$0.id] ?? Self.render($0)) }
        self.view = CatalogView(
            version: version,
            phases: phases.map(\.id),
            progressions: progressions,
            recommendations: recommendations.map { r in
                CatalogRecommendation(
                    id: r.id, phase: r.phase, title: r.title,
                    parameters: Dictionary(r.dosage?.parameters.map { ($0.name, $0.value) } ?? [], uniquingKeysWith: { a, _ in a }),
                    substances: r.substances,
                    pack: r.pack)
            },
            contraindicationCodes: contraindications,
            rules: rules.map { r in
                CatalogRule(
                    id: r.id, kind: r.kind,
                    parameters: Dictionary(r.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
            },
            packs: packs.map { PackSummary(id: $0.id, version: $0.version) }
        )
    }

    /// What modules see.
    package let view: CatalogView

    package func recommendation(_ id: RecommendationID) -> Recommendation? {
        recommendationIndex.position(of: id.rawValue).map { recommendations[$0] }
    }

    /// Whether the Catalog has a recommendation with this id (no entry is copied).
    package func contains(_ id: RecommendationID) -> Bool {
        recommendationIndex.position(of: id.rawValue) != nil
    }

    /// The position of a recommendation in `recommendations` and `planEntries`.
    package func index(of id: RecommendationID) -> Int? {
        recommendationIndex.position(of: id.rawValue)
    }

    /// The position of an evidence record in `evidence`.
    package func index(of id: EvidenceID) -> Int? {
        evidenceIndex.position(of: id.rawValue)
    }

    /// A recommendation's position in plan order: its phase's rank (unknown ids last).
    package func planRank(of id: RecommendationID) -> Int {
        recommendationIndex.position(of: id.rawValue).map { planEntries[$0].rank } ?? phases.count
    }

    package func evidence(_ id: EvidenceID) -> Evidence? {
        evidenceIndex.position(of: id.rawValue).map { evidence[$0] }
    }

    /// The position of a rule in `rules`.
    package func ruleIndex(_ id: String) -> Int? {
        ruleIndexByID.position(of: id)
    }

    package func source(_ id: String) -> Source? {
        sources.first { $0.id == id }
    }

    package func pack(_ id: String) -> Pack? {
        packs.first { $0.id == id }
    }

    package func phaseTitle(_ phase: Phase) -> String {
        phases.first { $0.id == phase }?.title ?? phase.rawValue
    }

    /// The recommendations that cite an evidence record.
    package func recommendations(citing id: EvidenceID) -> [RecommendationID] {
        recommendations.filter { $0.evidence.contains(id) }.map(\.id)
    }
}

extension Catalog {
    /// What a plan shows of one recommendation, prepared when the Catalog loads.
    package struct PlanEntry: Sendable {
        /// The rank of the entry's phase in plan order.
        package let rank: Int
        /// The entry's place among the Catalog's recommendation ids sorted (`<` on the ids):
        /// comparing two entries' places compares their ids.
        package let idOrder: Int
        /// The positions in `evidence` of the entry's own evidence ids.
        package let evidence: [Int]
        /// The entry's members as a plan recommendation repeats them, serialised.
        package let members: JSONMembersFragment
    }
}
