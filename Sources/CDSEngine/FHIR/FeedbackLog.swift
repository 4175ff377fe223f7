#if canImport(Glibc)
    import Glibc
#endif
import CDSJSON

/// An append-only log of card outcomes (CDS Hooks feedback), one JSON object per line.
///
/// Each append writes its lines with one `write` on a descriptor opened with `O_APPEND`,
/// then `fsync`s: old lines are never rewritten. If a write fails part-way (a full disk),
/// the file is cut back to its previous length, so it always ends at a whole line; a line
/// left incomplete by a crash is skipped, and counted, by the report.
package struct FeedbackLog: Sendable {
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    package let path: String

    package init(path: String) { self.path = path }

    /// Appends `entries`, durably, or throws and leaves the log as it was.
    package func append(_ entries: [JSONValue]) throws(Failure) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let before = st.st_size
        let bytes = Array(entries.map { $0.serialized() + "\n" }.joined().utf8)
        guard FileDescriptorIO.writeAll(fd, bytes), fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = ftruncate(fd, before)
            _ = fsync(fd)
            throw Failure(description: "cannot write \(path): \(reason); nothing was recorded")
        }
    }

    /// Override rates per recommendation.
    package struct Report: Sendable {
        package struct Row: Sendable {
            package var recommendation: String
            package var accepted = 0
            package var overridden = 0
            package var reasons: [String: Int] = [:]
        }
        package var rows: [Row]
        package var skippedLines: Int
    }

    package func report() throws(Failure) -> Report {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: 1 << 30)
        } catch {
            throw Failure(description: "cannot read \(error)")
        }
        var rows: [String: Report.Row] = [:]
        var skipped = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            guard let entry = try? JSONParser().parse(Array(line)), let rec = entry["recommendation"]?.stringValue,
                let outcome = entry["outcome"]?.stringValue
            else {
                skipped += 1
                continue
            }
            var row = rows[rec] ?? Report.Row(recommendation: rec)
            if outcome == "accepted" {
                row.accepted += 1
            } else if outcome == "overridden" {
                row.overridden += 1
                if let reason = entry["overrideReason"]?.stringValue { row.reasons[reason, default: 0] += 1 }
            } else {
                skipped += 1
                continue
            }
            rows[rec] = row
        }
        return Report(rows: rows.values.sorted { $0.recommendation < $1.recommendation }, skippedLines: skipped)
    }
}
