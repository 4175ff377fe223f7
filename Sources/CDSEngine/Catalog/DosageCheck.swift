/// A dosage is only as good as its source: every number in a dosage's summary and
/// parameters must be written in the verbatim quotes of its recommendation.
enum DosageCheck {
    /// What contradicts the quotes: the member under `dosage` (`summary`, or `parameters`
    /// and the parameter's name) and why. Empty when `dosage` is `nil`.
    static func problems(_ dosage: Catalog.Dosage?, quotes: [String]) -> [(path: [String], message: String)] {
        guard let dosage else { return [] }
        let quoted = Set(quotes.flatMap(numbers(in:)))
        var result: [(path: [String], message: String)] = []
        let missing = numbers(in: dosage.summary).filter { !quoted.contains($0) }
        if !missing.isEmpty {
            result.append(
                (["summary"], "\(list(missing)) not in the entry's quotes: every number of a dosage must occur in its verbatim source"))
        }
        for (name, value) in dosage.parameters where !quoted.contains(value) {
            result.append(
                (
                    ["parameters", name],
                    "\(list([value])) not in the entry's quotes: every number of a dosage must occur in its verbatim source"
                ))
        }
        return result
    }

    /// The numbers written in `text`: runs of digits with an optional decimal part
    /// (`1.5`). A run glued to a letter before it is a reference mark
    /// (`inflammation3`), not a number of the statement.
    static func numbers(in text: String) -> [Double] {
        let b = Array(text.utf8)
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
        var result: [Double] = []
        var i = 0
        while i < b.count {
            guard isDigit(b[i]) else {
                i += 1
                continue
            }
            let start = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            if i + 1 < b.count, b[i] == UInt8(ascii: "."), isDigit(b[i + 1]) {
                i += 1
                while i < b.count, isDigit(b[i]) { i += 1 }
            }
            if start > 0, isLetter(b[start - 1]) { continue }
            if let v = Double(String(decoding: b[start..<i], as: UTF8.self)) { result.append(v) }
        }
        return result
    }

    private static func list(_ values: [Double]) -> String {
        let text = values.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0) }
        return (text.count == 1 ? "the number " : "the numbers ") + text.joined(separator: ", ")
    }
}
