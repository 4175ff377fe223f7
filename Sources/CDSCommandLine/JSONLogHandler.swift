import ArgumentParser
import CDSJSON
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// How log lines are written on standard error (`--log-format`).
package enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    /// swift-log's `StreamLogHandler`: `time level label: metadata [source] message`.
    case text
    /// One JSON object per line (``JSONLogHandler``).
    case json
}

/// A swift-log handler writing one JSON object per line on standard error, through CDSJSON:
/// `{"time":"2026-03-02T10:00:00.123Z","level":"info","label":"cds","message":"...","metadata":{...},"source":"cds"}`.
/// Each line is one `write`, so lines from several threads never interleave.
package struct JSONLogHandler: LogHandler {
    package let label: String
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?

    package init(label: String) {
        self.label = label
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        _ = FileDescriptorIO.writeAll(2, Array((line(event, merged) + "\n").utf8))
    }

    /// The line for one event (without its newline); keys of metadata in sorted order.
    package func line(_ event: LogEvent, _ merged: Logger.Metadata, time: String = JSONLogHandler.now()) -> String {
        var object: JSONObject = [
            "time": .string(time), "level": .string(event.level.rawValue), "label": .string(label),
            "message": .string(event.message.description),
        ]
        if !merged.isEmpty { object["metadata"] = Self.json(.dictionary(merged)) }
        object["source"] = .string(event.source)
        return JSONValue.object(object).serialized()
    }

    package static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): .string(s)
        case .stringConvertible(let c): .string(c.description)
        case .array(let items): .array(items.map(json))
        case .dictionary(let d):
            .object(
                d.keys.sorted().reduce(into: JSONObject()) { object, key in
                    if let v = d[key] { object[key] = json(v) }
                })
        }
    }

    /// UTC, ISO 8601, milliseconds.
    package static func now() -> String {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        var seconds = t.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let millis = Int(t.tv_nsec / 1_000_000)
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) + ".\(ms)Z"
    }
}
