import CDSCommandLine
import Foundation
import Testing

/// `cds serve` and `cds evaluate` begin loading the default Catalog before their command line
/// is parsed (`EarlyCatalog`); what they then do is exactly what a load at its usual place
/// does, and nothing that could change the Catalog is overlooked.
@Suite("The Catalog loaded early")
struct EarlyCatalogTests {
    @Test(arguments: [
        ["--catalog", "x"], ["--catalog=x"], ["--pack-dir", "p"], ["--pack-dir=p"], ["--modules-dir", "m"],
        ["--module-manifest", "m.json"],
        ["--config", "c.json"], ["--workers", "2", "--config=c.json"],
    ])
    func optionsThatChooseTheCatalogOrItsPacksPreventIt(arguments: [String]) {
        #expect(!EarlyCatalog.mayBegin(for: arguments))
    }

    @Test func otherOptionsAllowIt() {
        #expect(EarlyCatalog.mayBegin(for: []))
        #expect(EarlyCatalog.mayBegin(for: ["--workers", "2", "--log-level", "info", "--batch", "cases.jsonl", "--catalogue"]))
    }

    /// The same broken Catalog named by `--catalog` (loaded where it always was) and by
    /// `CDS_CATALOG` (loaded early): the same errors, the same status, nothing on standard output.
    @Test func aBrokenCatalogLoadedEarlyIsReportedAsAnyOther() throws {
        let dir = try CLITests.brokenCatalogCopy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vignette = CLITests.root + "/Tests/Vignettes/09-escalation-at-4-months.case.json"
        for command in [["serve"], ["evaluate", vignette]] {
            let named = try CLITests.run(command + ["--catalog", dir], stdin: "")
            let early = try CLITests.run(command, stdin: "", environment: ["CDS_CATALOG": dir])
            #expect(early.status == 78, "\(command)")
            #expect(early.status == named.status)
            #expect(early.stdout.isEmpty && named.stdout.isEmpty)
            #expect(early.stderr == named.stderr, "\(command)")
            #expect(early.stderr.contains("packs/iliopsoas/evidence.json: /evidence/1/id: duplicate evidence id \"seed-ref-1\"\n"))
        }
    }

    /// A plan from the Catalog loaded early is byte for byte the plan from the one named.
    @Test func aPlanFromTheCatalogLoadedEarlyIsTheSame() throws {
        let vignette = CLITests.root + "/Tests/Vignettes/09-escalation-at-4-months.case.json"
        let catalog = CLITests.root + "/Catalog"
        let named = try CLITests.run(["evaluate", "--as-of", "2026-03-02", vignette, "--catalog", catalog, "--log-level", "info"])
        let early = try CLITests.run(
            ["evaluate", "--as-of", "2026-03-02", vignette, "--log-level", "info"], environment: ["CDS_CATALOG": catalog])
        #expect(named.status == 0, "\(named.stderr)")
        #expect(early.status == 0, "\(early.stderr)")
        // The start-up log says which way each was loaded.
        #expect(named.stderr.contains("early=false"), "\(named.stderr)")
        #expect(early.stderr.contains("early=true"), "\(early.stderr)")
        #expect(early.stdout == named.stdout)
        #expect(early.stdout.contains("\"sha256\""))
    }
}
