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

    /// Visible width in terminal columns: ANSI sequences and combining marks take none,
    /// East Asian wide characters and emoji two, everything else one.
    static func width(_ text: String) -> Int {
        var count = 0
        var inEscape = false
        for c in text.unicodeScalars {
            if inEscape {
                if c == "m" { inEscape = false }
            } else if c == "\u{1B}" {
                inEscape = true
            } else {
                count += columns(of: c.value)
            }
        }
        return count
    }

    private static func columns(of scalar: UInt32) -> Int {
        switch scalar {
        case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F: 0
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xAC00...0xD7A3,
            0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            2
        default: 1
        }
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
