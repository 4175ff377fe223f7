import ArgumentParser
import CDSBuiltins
import CDSCommandLine
import CDSEngine

/// `cds modules`: what the host loads, with priorities from the Catalog policy.
struct ModulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modules",
        abstract: "List the assessment modules, their versions, priorities and the case facts they read."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.prepare()
        let engine = try global.makeEngine()
        var rows: [[String]] = [["MODULE", "VERSION", "API", "PACK", "PRIORITY", "KIND", "STATE", "READS"]]
        for entry in engine.registry.modules {
            let d = entry.descriptor
            rows.append([
                d.id, d.version.description, d.apiVersion.description, d.pack ?? "-", String(engine.policy.priority(ofModule: d.id)),
                entry.kind, entry.state, d.reads.map(\.rawValue).joined(separator: " "),
            ])
        }
        for refusal in engine.registry.refused {
            let d = refusal.descriptor
            rows.append([
                d.id, d.version.description, d.apiVersion.description, d.pack ?? "-", String(engine.policy.priority(ofModule: d.id)),
                "external", "refused: \(refusal.reason)", "",
            ])
        }
        var text = Table.render(rows)
        text += "\n"
        for entry in engine.registry.modules {
            text += "\(entry.descriptor.id): \(entry.descriptor.summary)\n"
        }
        StandardStreams.output(text)
    }
}

/// Left-aligned columns separated by two spaces.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
