@testable import CDSEngine
import Foundation
import Testing

/// The Catalog is trusted data: hostile copies of it are refused at load (every start and
/// `cds catalog check` load it the same way).
@Suite("Catalog integrity")
struct CatalogIntegrityTests {
    static func issues(_ scratch: ScratchCatalog) -> [String] {
        switch scratch.load() {
        case .success: return []
        case .failure(let error): return error.issues.map(\.description)
        }
    }

    @Test func aDosageParameterThatContradictsItsQuoteIsRefused() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace(
            "packs/iliopsoas/recommendations.json", "\"parameters\": { \"durationMinutes\": 10 }",
            with: "\"parameters\": { \"durationMinutes\": 90 }")
        #expect(
            Self.issues(scratch) == [
                "packs/iliopsoas/recommendations.json: /recommendations/2/dosage/parameters/durationMinutes: the number 90 not in the entry's quotes: every number of a dosage must occur in its verbatim source"
            ])
    }

    @Test func aDosageSummaryThatContradictsItsQuoteIsRefused() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace(
            "packs/iliopsoas/recommendations.json", "Ice to the affected area for 10 minutes",
            with: "Ice to the affected area for 10-90 minutes")
        #expect(
            Self.issues(scratch) == [
                "packs/iliopsoas/recommendations.json: /recommendations/2/dosage/summary: the number 90 not in the entry's quotes: every number of a dosage must occur in its verbatim source"
            ])
    }

    @Test func numbersAreReadAsWrittenAndReferenceMarksAreNotNumbers() {
        #expect(DosageCheck.numbers(in: "2-3 mL of 1-2% lidocaine, 1.5 mg, >60% MVIC") == [2, 3, 1, 2, 1.5, 60])
        #expect(DosageCheck.numbers(in: "to reduce pain and inflammation3") == [])
        #expect(
            DosageCheck.problems(Catalog.Dosage(summary: "10 minutes", parameters: [("durationMinutes", 10)]), quotes: ["for 10 minutes"])
                .isEmpty)
        #expect(DosageCheck.problems(Catalog.Dosage(summary: "3 minutes", parameters: []), quotes: ["inflammation3"]).count == 1)
    }

    /// Adds a source whose `file` is `file` to the scratch copy's sources.json.
    static func addSource(_ scratch: ScratchCatalog, file: String) throws {
        try scratch.replace(
            "packs/iliopsoas/sources.json", "\"sources\": [",
            with: "\"sources\": [{ \"id\": \"hostile\", \"kind\": \"publication\", \"title\": \"Hostile\", \"file\": \"\(file)\" },")
    }

    static let hostilePaths: [(file: String, reason: String)] = [
        ("../../../../../../etc/passwd", "must not contain \"..\""),
        ("sources/../../../../../../etc/passwd", "must not contain \"..\""),
        ("/etc/passwd", "must be a relative path inside the Catalog directory"),
        ("/proc/self/fd/0", "must be a relative path inside the Catalog directory"),
        ("./../etc/passwd", "must not contain \"..\""),
    ]

    @Test(arguments: 0..<hostilePaths.count)
    func aSourceFileOutsideTheCatalogIsRefused(index: Int) throws {
        let (file, reason) = Self.hostilePaths[index]
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try Self.addSource(scratch, file: file)
        #expect(Self.issues(scratch) == ["packs/iliopsoas/sources.json: /sources/0/file: cannot read \(file): \(reason)"])
    }

    @Test func aSymbolicLinkOutOfTheCatalogIsRefused() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try FileManager.default.createSymbolicLink(
            atPath: scratch.directory + "/packs/iliopsoas/sources/link.txt", withDestinationPath: "/etc/passwd")
        try Self.addSource(scratch, file: "sources/link.txt")
        #expect(
            Self.issues(scratch) == [
                "packs/iliopsoas/sources.json: /sources/0/file: cannot read sources/link.txt: resolves to /etc/passwd, outside the Catalog directory"
            ])
    }

    @Test func aSymbolicLinkInsideTheCatalogIsFollowed() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try FileManager.default.createSymbolicLink(
            atPath: scratch.directory + "/packs/iliopsoas/sources/link.txt", withDestinationPath: "seed-000_3d027190f0aa88e5.txt")
        try Self.addSource(scratch, file: "sources/link.txt")
        #expect(Self.issues(scratch) == [])
    }

    @Test func aFIFOSourceIsRefusedWithoutHanging() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        #expect(mkfifo(scratch.directory + "/packs/iliopsoas/sources/fifo", 0o600) == 0)
        try Self.addSource(scratch, file: "sources/fifo")
        #expect(Self.issues(scratch) == ["packs/iliopsoas/sources.json: /sources/0/file: cannot read sources/fifo: not a regular file"])
    }

    @Test func aFIFOInPlaceOfACatalogFileIsRefusedWithoutHanging() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try FileManager.default.removeItem(atPath: scratch.directory + "/packs/iliopsoas/policy.json")
        #expect(mkfifo(scratch.directory + "/packs/iliopsoas/policy.json", 0o600) == 0)
        #expect(Self.issues(scratch) == ["packs/iliopsoas/policy.json: /: cannot read: not a regular file"])
    }

    @Test func aDirectoryOrAnOversizedSourceIsRefused() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try Self.addSource(scratch, file: "sources")
        #expect(Self.issues(scratch) == ["packs/iliopsoas/sources.json: /sources/0/file: cannot read sources: not a regular file"])
        let big = scratch.directory + "/packs/iliopsoas/sources/big.txt"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        #expect(truncate(big, off_t(CatalogLoader.maxSourceBytes + 1)) == 0)
        try scratch.replace("packs/iliopsoas/sources.json", "\"file\": \"sources\" }", with: "\"file\": \"sources/big.txt\" }")
        #expect(
            Self.issues(scratch) == [
                "packs/iliopsoas/sources.json: /sources/0/file: cannot read sources/big.txt: larger than \(CatalogLoader.maxSourceBytes) bytes"
            ])
    }
}
