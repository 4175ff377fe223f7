import CDSJSON
import CDSModuleAPI

extension Engine {
    /// What is wrong with the registered modules against the loaded Catalog, checked once
    /// at start rather than during an evaluation. A host refuses to start while any remains:
    ///
    /// - a module names a pack (``ModuleDescriptor/pack``) that is not loaded;
    /// - a module reads a fact the assembled case schema does not declare;
    /// - a module's ``ModuleDescriptor/proposes`` has a pattern that matches no loaded
    ///   recommendation (a typo, or a pack that is missing);
    /// - the policy has no priority for a module: the resolver has no silent default, so
    ///   every module's priority is in its pack's `policy.json`
    ///   (`resolver.modulePriorities`) or, for an external module, in its manifest.
    ///
    /// External modules that could not start (their descriptor is unknown) are left out:
    /// every plan lists them as not started.
    package var startupProblems: [String] {
        var problems: [String] = []
        let recommendations = catalog.view.recommendations
        for entry in registry.modules where entry.hosted?.unavailableReason == nil {
            let d = entry.descriptor
            if let pack = d.pack, catalog.pack(pack) == nil {
                let loaded = catalog.packs.map { "\"\($0.id)\"" }.joined(separator: ", ")
                problems.append("module \"\(d.id)\" names pack \"\(pack)\", which is not loaded (loaded: \(loaded))")
            }
            for fact in d.reads {
                if let pointer = JSONPointer(fact.rawValue), !catalog.caseSchema.admits(pointer) {
                    problems.append("module \"\(d.id)\" reads \(fact), which the case schema does not declare (a pack's schema.json declares the facts its modules read)")
                }
            }
            for pattern in d.proposes {
                let matched =
                    pattern == .everyRecommendationOfPack
                    ? d.pack.map { p in recommendations.contains { $0.pack == p } } ?? !recommendations.isEmpty
                    : recommendations.contains { pattern.matches($0.id) }
                if !matched, d.pack.map({ catalog.pack($0) != nil }) ?? true {
                    problems.append(
                        pattern == .everyRecommendationOfPack
                            ? "module \"\(d.id)\" proposes the recommendations of pack \"\(d.pack ?? "")\", which has none"
                            : "module \"\(d.id)\" proposes \(pattern), which matches no recommendation of the loaded packs")
                }
            }
            if policy.modulePriorities[d.id] == nil {
                problems.append(
                    "module \"\(d.id)\" has no priority: the resolver has no default; give it one in its pack's policy.json (resolver.modulePriorities) or, for an external module, \"priority\" in its manifest"
                )
            }
        }
        return problems
    }
}
