import CDSEngine
import CDSInterop

/// The per-record part of `cds feedback report`.
enum FeedbackReportText {
    /// One row per logged outcome, in log order: when, which card's recommendation, the
    /// outcome, and the accepted suggestions or the override reason (`system|code`) and
    /// the clinician's comment. Control characters are shown escaped, so a comment cannot
    /// move the cursor or forge a row.
    static func recordRows(_ records: [FeedbackLog.Report.Record]) -> [[String]] {
        var rows = [["OUTCOME TIMESTAMP", "RECOMMENDATION", "OUTCOME", "SUGGESTIONS ACCEPTED / REASON", "COMMENT"]]
        for r in records {
            let detail: String
            if r.outcome == "accepted" {
                detail = r.acceptedSuggestions.joined(separator: ", ")
            } else {
                detail = r.reasonCode.map { code in r.reasonSystem.map { "\($0)|\(code)" } ?? code } ?? "-"
            }
            rows.append([r.outcomeTimestamp, r.recommendation, r.outcome, detail, r.userComment ?? ""].map(escaped))
        }
        return rows
    }

    /// `text` with control characters (C0, DEL, C1) as `\u{…}` escapes.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
