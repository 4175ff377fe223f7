import CDSBuiltins
import CDSEngine
import CDSInterop
import CDSFuzzSupport
import CDSJSON
import CDSModuleAPI
import CDSServer

/// Line framer + strict JSON + JSON-RPC dispatch + every method, on arbitrary bytes.
/// Invariants: no crash; every reply is one line of strict JSON that parses back; an
/// evaluation computed ahead (as on a lane) gives the same bytes as one run in turn; and
/// for every line that parses, JSONWriter writes exactly what json-c serialises.
@main
enum FuzzJSONRPC {
    static let core: RPCServerCore = {
        guard let catalog = try? Interop.loadCatalog(directory: FuzzCatalog.directory) else {
            fatalError("Catalog not found; set CDS_CATALOG")
        }
        var configuration = ServerConfiguration()
        configuration.maxLineBytes = 1 << 16
        return RPCServerCore(
            engine: Engine(catalog: catalog, modules: BuiltinModules.all, clock: FixedClock(CalendarDate(year: 2026, month: 3, day: 2)!)),
            configuration: configuration, methodSets: [CDSHooksSession(feedbackLog: nil)])
    }()

    /// json-c keeps object keys as C strings, so it cuts a key at an embedded NUL (the writer
    /// does not): such values are left out of the comparison.
    static func hasKeyWithNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let o): o.contains { $0.key.utf8.contains(0) || hasKeyWithNUL($0.value) }
        case .array(let a): a.contains(where: hasKeyWithNUL)
        default: false
        }
    }

    static func main() {
        FuzzDriver.main { data, size in
            guard let data else { return 0 }
            var framer = LineFramer(maxLineBytes: 1 << 16)
            let frames = framer.feed(UnsafeRawBufferPointer(start: data, count: size)) + framer.finish()
            for frame in frames {
                if case .line(let bytes) = frame, let value = try? JSONParser().parse(bytes), !FuzzJSONRPC.hasKeyWithNUL(value) {
                    var w = JSONWriter()
                    w.value(value)
                    if w.bytes != Array(value.serialized().utf8) { fatalError("JSONWriter and json-c differ on \(value.serialized())") }
                }
                guard let job = FuzzJSONRPC.core.prepare(frame) else { continue }
                let ahead = FuzzJSONRPC.core.concurrentWork(for: job).map { work in FuzzJSONRPC.core.execute(job, computed: work()) }
                guard let reply = FuzzJSONRPC.core.execute(job) else { continue }
                if reply.contains(0x0A) || (try? JSONParser().parse(reply)) == nil {
                    fatalError("reply is not one line of strict JSON: \(String(decoding: reply, as: UTF8.self))")
                }
                if let ahead, ahead != reply { fatalError("a reply computed ahead differs from the reply in turn") }
            }
            return 0
        }
    }
}
