import CDSBuiltins
import CDSEngine
import CDSFuzzSupport
import CDSJSON
import CDSModuleAPI
import CDSServer

/// Line framer + strict JSON + JSON-RPC dispatch + every method, on arbitrary bytes.
/// Invariant: no crash, and every reply is one line of strict JSON that parses back.
@main
enum FuzzJSONRPC {
    static let core: RPCServerCore = {
        guard let catalog = try? CatalogLoader.load(directory: FuzzCatalog.directory) else { fatalError("Catalog not found; set CDS_CATALOG") }
        var configuration = ServerConfiguration()
        configuration.maxLineBytes = 1 << 16
        return RPCServerCore(engine: Engine(catalog: catalog, modules: BuiltinModules.all, clock: FixedClock(CalendarDate(year: 2026, month: 3, day: 2)!)), configuration: configuration)
    }()

    static func main() {
        FuzzDriver.main { data, size in
            guard let data else { return 0 }
            var framer = LineFramer(maxLineBytes: 1 << 16)
            let frames = framer.feed(UnsafeRawBufferPointer(start: data, count: size)) + framer.finish()
            for frame in frames {
                guard let job = FuzzJSONRPC.core.prepare(frame), let reply = FuzzJSONRPC.core.execute(job) else { continue }
                if reply.contains(0x0A) || (try? JSONParser().parse(reply)) == nil { fatalError("reply is not one line of strict JSON: \(String(decoding: reply, as: UTF8.self))") }
            }
            return 0
        }
    }
}
