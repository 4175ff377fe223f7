/// How output looks: ANSI colour only on a terminal, and never when `NO_COLOR` is set.
package struct Style: Sendable {
    package var colour: Bool

    package init(colour: Bool) { self.colour = colour }

    package static let plain = Style(colour: false)

    func action(_ name: String) -> String {
        guard colour else { return name }
        let code: String
        switch name {
        case "avoid": code = "31"
        case "defer": code = "33"
        case "consider": code = "36"
        case "recommend": code = "32"
        default: return name
        }
        return "\u{1B}[\(code)m\(name)\u{1B}[0m"
    }

    func bold(_ text: String) -> String { colour ? "\u{1B}[1m\(text)\u{1B}[0m" : text }

    func error(_ text: String) -> String { colour ? "\u{1B}[31m\(text)\u{1B}[0m" : text }

    /// Visible width (ANSI sequences take no columns).
    static func width(_ text: String) -> Int {
        var count = 0
        var inEscape = false
        for c in text.unicodeScalars {
            if inEscape {
                if c == "m" { inEscape = false }
            } else if c == "\u{1B}" {
                inEscape = true
            } else {
                count += 1
            }
        }
        return count
    }

    /// Left-aligned columns, two spaces apart.
    static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], width(cell)) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - width(cell))
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
