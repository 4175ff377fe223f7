import CDSBuiltins
import CDSEngine
import CDSInterop
import CDSFuzzSupport
import CDSJSON
import CDSModuleAPI

/// Case validation and evaluation on arbitrary bytes. Invariant: no crash; a case that
/// validates evaluates to a plan whose JSON parses back.
@main
enum FuzzCase {
    static let engine: Engine = {
        guard let catalog = try? Interop.loadCatalog(directory: FuzzCatalog.directory) else {
            fatalError("Catalog not found; set CDS_CATALOG")
        }
        return Engine(catalog: catalog, modules: BuiltinModules.all, clock: FixedClock(CalendarDate(year: 2026, month: 3, day: 2)!))
    }()

    static func main() {
        FuzzDriver.main { data, size in
            guard let data else { return 0 }
            guard let c = try? FuzzCase.engine.caseReader.read(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
            let text = FuzzCase.engine.evaluate(c).json(catalog: FuzzCase.engine.catalog).serialized()
            if (try? JSONParser(limits: .init(maxDepth: 64, maxBytes: 64 << 20)).parse(text)) == nil {
                fatalError("plan JSON does not parse back")
            }
            return 0
        }
    }
}
