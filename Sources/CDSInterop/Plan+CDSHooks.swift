import CDSEngine
import CDSJSON
import CDSModuleAPI

extension Plan {
    /// One CDS Hooks card per plan recommendation.
    package struct Card: Sendable {
        package var uuid: String
        package var recommendation: RecommendationID
        package var json: JSONValue
        /// The `uuid`s of the card's suggestions (feedback may accept only these).
        package var suggestions: [String] = []

        /// What a front end remembers of the card, to check feedback about it.
        package var issued: FeedbackLog.IssuedCard {
            FeedbackLog.IssuedCard(recommendation: recommendation.rawValue, suggestions: suggestions)
        }
    }

    /// The plan as a CDS Hooks 2.0 response (`{"cards": [...]}`), in plan order, after the
    /// warning cards: a medication allergy the mapping could not classify, a case that could
    /// not be assessed (facts not on record), a module that failed or was refused. No
    /// recommendation and no warning gives no card: the algorithm does not apply.
    ///
    /// Indicator: `critical` for `avoid` decided by a recorded allergy, `warning` for other
    /// `avoid`, `info` otherwise. Recommend and consider cards carry one suggestion (accept)
    /// with `selectionBehavior` `at-most-one`; every card carries the Catalog's override
    /// reasons. Card ids are derived from the hook instance, the case id, the patient, the
    /// case content, the card and the Catalog digest: the same request gives the same
    /// response, and two patients never share a card id.
    package func cdsHooksCards(catalog: Catalog, hookInstance: String?) -> [Card] {
        let settings = catalog.cdsHooks
        let patient = input?["patient"]?.stringValue ?? ""
        let seed = "\(hookInstance ?? "")|\(caseId ?? "")|\(patient)|\(SHA256.hex(Array(caseDocument.serialized().utf8)))|\(catalog.digest)"
        let reasons = JSONValue.array(
            settings.overrideReasons.map {
                ["code": .string($0.code), "system": .string(settings.overrideReasonSystem), "display": .string($0.display)]
            })
        func warning(_ key: String, _ summary: String, _ detail: String) -> Card {
            let uuid = Self.uuid("\(seed)|warning|\(key)")
            let card: JSONObject = [
                "uuid": .string(uuid), "summary": .string(Self.shortened(summary)),
                "detail": .string(detail), "indicator": "warning",
                "source": ["label": .string("\(settings.sourceLabel), Catalog \(catalog.version)")], "overrideReasons": reasons,
            ]
            return Card(uuid: uuid, recommendation: RecommendationID(rawValue: "warning.\(key)"), json: .object(card))
        }
        var warnings: [Card] = []
        let unclassified = (input?["needsReview"]?.arrayValue ?? []).compactMap(\.stringValue)
        let medication = resolution.recommendations.filter { catalog.recommendation($0.id)?.substances.isEmpty == false }
        if !unclassified.isEmpty, !medication.isEmpty {
            let items = medication.compactMap { catalog.recommendation($0.id)?.title }
            warnings.append(
                warning(
                    "unclassified-allergy", "Review medication allergy before \(items.joined(separator: " or "))",
                    "A recorded medication allergy, intolerance or contraindication could not be classified by this service:\n"
                        + unclassified.map { "- \($0)" }.joined(separator: "\n")
                        + "\n\nUntil it is reviewed, these items are deferred (no stronger than *consider*): \(items.joined(separator: ", "))."
                ))
        }
        let unknown = (input?["unknown"]?.arrayValue ?? []).compactMap(\.stringValue)
        if input?["applicable"] == true, !unknown.isEmpty {
            warnings.append(
                warning(
                    "incomplete-case", "Iliopsoas plan incomplete: facts not on record",
                    "The case could not be assessed; these facts are not on record:\n" + unknown.map { "- `\($0)`" }.joined(separator: "\n")
                ))
        }
        for m in modules where m.status == .failed || m.status == .refused {
            warnings.append(
                warning(
                    "module.\(m.descriptor.id)", "Plan incomplete: module \(m.descriptor.id) \(m.status.rawValue)",
                    "The module `\(m.descriptor.id)` \(m.status == .failed ? "failed" : "was refused")\(m.error.map { ": \($0)" } ?? ""). Its recommendations are missing from this plan."
                ))
        }
        return warnings
            + resolution.recommendations.map { r in
                let entry = catalog.recommendation(r.id)
                let title = entry?.title ?? r.id.rawValue
                let uuid = Self.uuid("\(seed)|\(r.id)")
                let allergy = r.sources.contains { $0.proposal.rationale.facts.contains { $0.isWithin("/allergies") } }
                let indicator = r.action == .avoid ? (allergy ? "critical" : "warning") : "info"
                let summary = Self.shortened("\(r.action.rawValue.prefix(1).uppercased())\(r.action.rawValue.dropFirst()): \(title)")
                var card: JSONObject = [
                    "uuid": .string(uuid),
                    "summary": .string(summary),
                    "detail": .string(detail(r, entry, catalog)),
                    "indicator": .string(indicator),
                    "source": [
                        "label": .string("\(settings.sourceLabel), Catalog \(catalog.version)"),
                        "topic": ["system": .string(settings.topicSystem), "code": .string(r.id.rawValue), "display": .string(title)],
                    ],
                ]
                var suggestions: [String] = []
                if r.action.isAffirmative {
                    suggestions.append(FeedbackLog.acceptSuggestion(ofCard: uuid))
                    card["suggestions"] = [
                        [
                            "label": .string("Accept: \(title)"), "uuid": .string(suggestions[0]),
                            "isRecommended": .bool(r.action == .recommend),
                        ]
                    ]
                    card["selectionBehavior"] = "at-most-one"
                }
                card["overrideReasons"] = reasons
                return Card(uuid: uuid, recommendation: r.id, json: .object(card), suggestions: suggestions)
            }
    }

    /// The Markdown detail: the recommendation, dosage, why (rules and facts), evidence and sources.
    private func detail(_ r: ResolvedRecommendation, _ entry: Catalog.Recommendation?, _ catalog: Catalog) -> String {
        var lines: [String] = []
        if let entry {
            lines.append(entry.text)
            if let dosage = entry.dosage { lines.append("\n**Dosage:** \(dosage.summary)") }
            if !entry.components.isEmpty { lines.append("\n" + entry.components.map { "- \($0)" }.joined(separator: "\n")) }
        }
        lines.append("\n**Why:**")
        for s in r.sources {
            let facts = facts(s.proposal.rationale.facts).map { "`\($0.path)` = \($0.value?.serialized() ?? "not recorded")" }
            lines.append("- \(s.module): \(s.proposal.rationale.rule)" + (facts.isEmpty ? "" : " (\(facts.joined(separator: "; ")))"))
        }
        let evidence = evidenceIDs(of: r, catalog: catalog).compactMap(catalog.evidence)
        if !evidence.isEmpty {
            lines.append("\n**Evidence:**")
            for e in evidence {
                lines.append("- \(e.description)" + (e.findings.isEmpty ? "" : " " + e.findings.map(\.statement).joined(separator: " ")))
            }
        }
        if let entry {
            let strength = catalog.strengths.first { $0.code == entry.strength }?.display ?? entry.strength
            lines.append("\n**Strength:** \(strength).")
        }
        return lines.joined(separator: "\n")
    }

    /// A card summary within the specification's 140 characters.
    static func shortened(_ summary: String) -> String {
        summary.count > 139 ? String(summary.prefix(138)) + "…" : summary
    }

    /// A UUID-formatted identifier derived from `text` (SHA-256, RFC 9562 version 8 layout).
    static func uuid(_ text: String) -> String {
        var hex = Array(SHA256.hex(Array(text.utf8)).prefix(32))
        hex[12] = "8"
        let variant = Array("89ab")[Int(String(hex[16]), radix: 16).map { $0 % 4 } ?? 0]
        hex[16] = variant
        let s = String(hex)
        func part(_ a: Int, _ b: Int) -> Substring { s[s.index(s.startIndex, offsetBy: a)..<s.index(s.startIndex, offsetBy: b)] }
        return "\(part(0, 8))-\(part(8, 12))-\(part(12, 16))-\(part(16, 20))-\(part(20, 32))"
    }
}
