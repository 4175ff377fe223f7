import CDSBuiltins
import CDSEngine
import CDSInterop
import CDSModuleAPI
import Foundation

/// What every test target shares: where the repository is, the real Catalog (loaded
/// once), and an engine with the built-in modules and a pinned clock.
package enum TestRepository {
    /// The repository root, found from this file's location.
    package static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The shipped Catalog.
    package static let catalog: Catalog = {
        do { return try Interop.loadCatalog(directory: root + "/Catalog") } catch { fatalError("Catalog invalid:\n\(error)") }
    }()

    /// The date the tests evaluate as of when a case has none.
    package static let today = CalendarDate(year: 2026, month: 3, day: 2)!

    /// An engine over the shipped Catalog with the built-in modules and a pinned clock.
    package static let engine = Engine(catalog: catalog, modules: BuiltinModules.all, clock: FixedClock(today))

    /// The text of a vignette case file.
    package static func vignette(_ name: String) throws -> String {
        try String(contentsOfFile: "\(root)/Tests/Vignettes/\(name).case.json", encoding: .utf8)
    }
}
