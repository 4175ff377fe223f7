import CDSBuiltins
import CDSEngine
import CDSInterop
import CDSFuzzSupport
import CDSJSON
import CDSModuleAPI

/// The FHIR R4 / CDS Hooks mapping on arbitrary JSON. Invariant: no crash; an input that
/// is evaluated (a plan, also when the algorithm does not apply), and its CDS Hooks cards serialise to parseable JSON.
@main
enum FuzzFHIR {
    static let engine: Engine = {
        guard let catalog = try? Interop.loadCatalog(directory: FuzzCatalog.directory) else {
            fatalError("Catalog not found; set CDS_CATALOG")
        }
        return Engine(catalog: catalog, modules: BuiltinModules.all, clock: FixedClock(CalendarDate(year: 2026, month: 3, day: 2)!))
    }()

    static func main() {
        FuzzDriver.main { data, size in
            guard let data, let document = try? JSONParser().parse(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
            guard FHIRCaseBuilder.isFHIRInput(document), let plan = try? FuzzFHIR.engine.evaluateInput(document, asOf: nil) else {
                return 0
            }
            let cards = plan.cdsHooksCards(catalog: FuzzFHIR.engine.catalog, hookInstance: document["hookInstance"]?.stringValue)
            let text = JSONValue.object(["cards": .array(cards.map(\.json))]).serialized()
            if (try? JSONParser(limits: .init(maxDepth: 64, maxBytes: 64 << 20)).parse(text)) == nil {
                fatalError("cards do not parse back")
            }
            return 0
        }
    }
}
