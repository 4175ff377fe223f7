import CDSJSON
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One debug line per request: method, id, duration and outcome; never parameters or
/// results (they carry patient data). Costs one level check when debug is off.
enum RequestLog {
    /// The start time when debug logging is on, else nil.
    static func start(_ logger: Logger) -> UInt64? {
        guard logger.logLevel <= .debug else { return nil }
        return now()
    }

    /// A method name the server does not know is logged as a JSON string (escaped): it is
    /// the client's text.
    static func finish(_ logger: Logger, _ started: UInt64?, method: String, known: Bool = true, id: JSONValue, error: RPCError?) {
        guard let started else { return }
        let micros = (now() &- started) / 1000
        logger.debug(
            "request",
            metadata: [
                "method": "\(known ? method : JSONValue.string(method).serialized())", "id": "\(id.serialized())",
                "durationMicroseconds": "\(micros)",
                "status": error.map { "error \($0.code)" } ?? "ok",
            ])
    }

    private static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }
}
