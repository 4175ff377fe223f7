import CDSEngine
import CDSJSON

extension FeedbackLog {
    /// What the log holds: override rates per recommendation and every record.
    package struct Report: Sendable {
        /// One recommendation's outcomes.
        package struct Row: Sendable {
            package var recommendation: String
            package var accepted = 0
            package var overridden = 0
            /// Override reasons (`system|code`, or the code alone in lines written before
            /// systems were kept) and how often each was given.
            package var reasons: [String: Int] = [:]
        }
        /// One logged outcome.
        package struct Record: Sendable {
            package var card: String
            package var recommendation: String
            package var outcome: String
            package var outcomeTimestamp: String
            package var acceptedSuggestions: [String] = []
            package var reasonSystem: String?
            package var reasonCode: String?
            package var userComment: String?
        }
        package var rows: [Row]
        /// In log order.
        package var records: [Record]
        /// Lines that are not a record (a torn line from before repairs existed, foreign text).
        package var skippedLines: Int
    }

    /// Reads the whole log (at most 1 GiB). Like any reader it also reads a pipe
    /// (`-` is standard input, `<(zcat log.gz)` works).
    package func report() throws(Failure) -> Report {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: 1 << 30)
        } catch {
            throw Failure(description: "cannot read \(error)")
        }
        var rows: [String: Report.Row] = [:]
        var records: [Report.Record] = []
        var skipped = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            guard let entry = try? JSONParser().parse(Array(line)), let record = Self.record(entry) else {
                skipped += 1
                continue
            }
            var row = rows[record.recommendation] ?? Report.Row(recommendation: record.recommendation)
            if record.outcome == "accepted" {
                row.accepted += 1
            } else {
                row.overridden += 1
                if let code = record.reasonCode { row.reasons[record.reasonSystem.map { "\($0)|\(code)" } ?? code, default: 0] += 1 }
            }
            rows[record.recommendation] = row
            records.append(record)
        }
        return Report(rows: rows.values.sorted { $0.recommendation < $1.recommendation }, records: records, skippedLines: skipped)
    }

    /// A log line as a record; `nil` for anything else. Reads the lines of earlier
    /// versions too (`"overrideReason": "code"`).
    static func record(_ entry: JSONValue) -> Report.Record? {
        guard let recommendation = entry["recommendation"]?.stringValue, let outcome = entry["outcome"]?.stringValue,
            outcome == "accepted" || outcome == "overridden"
        else { return nil }
        var r = Report.Record(
            card: entry["card"]?.stringValue ?? "", recommendation: recommendation, outcome: outcome,
            outcomeTimestamp: entry["outcomeTimestamp"]?.stringValue ?? "")
        r.acceptedSuggestions = entry["acceptedSuggestions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let legacy = entry["overrideReason"]?.stringValue {
            r.reasonCode = legacy
        } else if let reason = entry["overrideReason"] {
            r.reasonSystem = reason["reason"]?["system"]?.stringValue
            r.reasonCode = reason["reason"]?["code"]?.stringValue
            r.userComment = reason["userComment"]?.stringValue
        }
        return r
    }
}
