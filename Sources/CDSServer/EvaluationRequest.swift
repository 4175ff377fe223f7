import CDSEngine
import CDSInterop
import CDSJSON
import CDSModuleAPI

/// One evaluation as `case/evaluate` and `cds evaluate --batch` perform it: an input (case
/// document, FHIR R4 Bundle or CDS Hooks request) in, a plan or CDS Hooks response out, or
/// the error an integrator gets for that input. Reads only the engine, so any number run
/// concurrently.
package struct EvaluationRequest: Sendable {
    /// What the result is.
    package enum Format: String, Sendable {
        /// The plan document (docs/plan-format.md).
        case plan
        /// A CDS Hooks 2.0 response (docs/ehr-integration.md).
        case cdsHooks = "cds-hooks"
    }

    package var format: Format
    /// Add the human-readable explanation to a plan (`explanation` member).
    package var explain: Bool
    /// The date to evaluate as of when the input has none.
    package var asOf: CalendarDate?

    package init(format: Format = .plan, explain: Bool = false, asOf: CalendarDate? = nil) {
        self.format = format
        self.explain = explain
        self.asOf = asOf
    }

    /// Evaluates `input`. Errors: -32602 with `data.errors` (path + message) for an invalid
    /// case, -32602 naming the patients for FHIR input that is not one patient's record,
    /// -32004 with the prefetch keys for a CDS Hooks request that lacks some.
    package func run(on engine: Engine, input: JSONValue) throws(RPCError) -> MethodResult {
        let plan: Plan
        do {
            plan = try engine.evaluateInput(input, asOf: asOf)
        } catch {
            throw RPCError(error)
        }
        switch format {
        case .cdsHooks:
            let cards = plan.cdsHooksCards(catalog: engine.catalog, hookInstance: input["hookInstance"]?.stringValue)
            return MethodResult(
                result: JSONFragment(["cards": .array(cards.map(\.json))]),
                issuedCards: cards.map { ($0.uuid, $0.issued) })
        case .plan:
            let explanation = explain ? plan.explanationWithInput(catalog: engine.catalog) : nil
            let catalog = engine.catalog
            // The layout gives the size up front, so that the reply line is written in one
            // buffer of its final size (``Response/line()``), then reused for the writing.
            let layout = plan.layout(catalog: catalog, explanation: explanation)
            return MethodResult(estimatedSize: layout.size) { [plan] in
                plan.write(to: &$0, catalog: catalog, explanation: explanation, layout: layout)
            }
        }
    }
}
