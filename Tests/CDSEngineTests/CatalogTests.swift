@testable import CDSEngine
import CDSModuleAPI
import Foundation
import Testing

@Suite("Catalog loading, validation and traceability")
struct CatalogTests {
    @Test func theShippedCatalogLoads() {
        let c = Repository.catalog
        #expect(c.version == "1.0.0")
        #expect(c.recommendations.count == 23)
        #expect(c.evidence.map(\.id.rawValue) == (1...7).map { "seed-ref-\($0)" })
        #expect(c.digest.count == 64)
    }

    @Test func theSeedDosagesAreDataInTheCatalog() throws {
        let v = Repository.catalog.view
        #expect(try v.parameter("durationMinutes", of: "initial.cryotherapy") == 10)
        #expect(try v.parameter("mvicPercentMin", of: "strengthening.tier-low") == 30)
        #expect(try v.parameter("mvicPercentMax", of: "strengthening.tier-moderate") == 60)
        #expect(try v.parameter("mvicPercentMin", of: "strengthening.tier-high") == 60)
        #expect(try v.parameter("methylprednisoloneMgMax", of: "escalation.corticosteroid-injection") == 80)
        #expect(try v.parameter("conservativeCareMonthsMin", of: "escalation.endoscopic-surgery") == 3)
        #expect(try v.parameter("repetitionsMax", of: "advanced.progressive-strength-training") == 12)
    }

    @Test func everyRecommendationHasASourceAndEverySeedSentenceIsTraced() throws {
        let c = Repository.catalog
        for r in c.recommendations { #expect(!r.sources.isEmpty, "\(r.id) has no source") }
        #expect(c.traceability.map(\.pack) == ["iliopsoas"])
        let t = try #require(c.traceability.first)
        let claims = t.lines.filter { $0.nonClaim == nil }
        #expect(claims.count == 40)
        for line in claims { for s in line.sentences { #expect(!s.quotedBy.isEmpty, "line \(line.number) untraced") } }
    }

    @Test func theSeedCopyIsTheSharedSeed() throws {
        let shared = Repository.root + "/../shared/seeds/000_3d027190f0aa88e5.txt"
        guard FileManager.default.fileExists(atPath: shared) else { return }  // the seed lives beside the clone in CI
        let copy = try Data(
            contentsOf: URL(fileURLWithPath: Repository.catalogDirectory + "/packs/iliopsoas/sources/seed-000_3d027190f0aa88e5.txt"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: shared)) == copy)
    }

    @Test func docsClinicalContentIsTheGeneratedReport() throws {
        let doc = try String(contentsOfFile: Repository.root + "/docs/clinical-content.md", encoding: .utf8)
        #expect(
            doc == TraceabilityReport.markdown(for: Repository.catalog),
            "regenerate with: swift run cds catalog traceability > docs/clinical-content.md")
    }

    /// Breaks a copy of the Catalog and checks the exact `file: path: message` reported.
    static let breakages: [(String, String, String, String)] = [
        (
            "packs/iliopsoas/recommendations.json", "\"title\": \"Cryotherapy\",", "\"title\": \"Cryotherapy\", \"dosge\": 1,",
            "packs/iliopsoas/recommendations.json: /recommendations/2/dosge: unknown member (allowed: components, dosage, evidence, id, phase, sources, strength, substances, text, title)"
        ),
        (
            "packs/iliopsoas/recommendations.json", "\"id\": \"initial.nsaids\"", "\"id\": \"initial.relative-rest\"",
            "packs/iliopsoas/recommendations.json: /recommendations/1/id: duplicate recommendation id \"initial.relative-rest\""
        ),
        (
            "packs/iliopsoas/recommendations.json", "\"evidence\": [\"seed-ref-3\"],", "\"evidence\": [\"seed-ref-8\"],",
            "packs/iliopsoas/recommendations.json: /recommendations/0/evidence/0: unknown evidence \"seed-ref-8\" (not in evidence.json)"
        ),
        (
            "packs/iliopsoas/recommendations.json", "for 10 minutes to reduce pain and inflammation3",
            "for 15 minutes to reduce pain and inflammation3",
            "packs/iliopsoas/recommendations.json: /recommendations/2/sources/0/quote: not found verbatim in source \"seed\""
        ),
        (
            "packs/iliopsoas/policy.json", "\"strengthening.tier-high\"]", "\"strengthening.tier-highest\"]",
            "packs/iliopsoas/policy.json: /resolver/conflictGroups/0/members/2: unknown recommendation \"strengthening.tier-highest\" (defined by no loaded pack)"
        ),
        (
            "packs/iliopsoas/terminology.json", "\"rulesOut\": [\"initial.nsaids\"]", "\"rulesOut\": [\"initial.nsaid\"]",
            "packs/iliopsoas/terminology.json: /contraindications/0/rulesOut/0: unknown recommendation \"initial.nsaid\" (defined by no loaded pack)"
        ),
        (
            "packs/iliopsoas/traceability.json", "{ \"line\": \"Monitoring Progress\", \"reason\": \"heading (phase monitoring)\" }",
            "{ \"line\": \"Monitoring progress\", \"reason\": \"heading\" }",
            "packs/iliopsoas/traceability.json: /nonClaims/13/line: not a line of source \"seed\""
        ),
        (
            "catalog.json", "\"catalogVersion\": \"1.0.0\"", "\"catalogVersion\": \"1.0\"",
            "catalog.json: /catalogVersion: expected a semantic version such as 1.0.0, found \"1.0\""
        ),
        (
            "packs/iliopsoas/evidence.json", "\"design\": \"retrospective case series\",", "",
            "packs/iliopsoas/evidence.json: /evidence/0: missing required member \"design\""
        ),
        (
            "packs/iliopsoas/schema.json", "\"cryotherapy\", \"corticosteroid-injection\", \"surgery\"] }",
            "\"cryotherapy\", \"corticosteroid-injection\", \"surgery\", \"aspirin\"] }",
            "packs/iliopsoas/schema.json: /properties/contraindications/items/properties/code/enum: must list exactly the codes of the terminology's contraindications: corticosteroid-injection, cryotherapy, nsaids, surgery"
        ),
    ]

    @Test(arguments: 0..<breakages.count)
    func aBrokenCatalogIsRefusedWithAPreciseIssue(index: Int) throws {
        let (file, target, replacement, expected) = Self.breakages[index]
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace(file, target, with: replacement)
        switch scratch.load() {
        case .success: Issue.record("a broken Catalog loaded")
        case .failure(let error): #expect(error.issues.map(\.description).contains(expected), "\(error.issues)")
        }
    }

    @Test func truncatedJSONReportsTheFileAndByte() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        let text = try scratch.read("packs/iliopsoas/policy.json")
        try scratch.write("packs/iliopsoas/policy.json", String(text.prefix(100)))
        guard case .failure(let error) = scratch.load() else {
            Issue.record("loaded")
            return
        }
        #expect(error.issues.count == 1)
        #expect(error.issues[0].file == "packs/iliopsoas/policy.json")
        #expect(error.issues[0].message.hasPrefix("invalid JSON at byte 100: "))
    }

    /// The pack files are read and parsed on two threads; what they report comes in file
    /// order, the same at every load, as from one thread.
    /// The pack files are read and parsed on two threads; every broken one is reported, the
    /// same issues at every load (listed by file), as from one thread.
    @Test func issuesOfSeveralBrokenFilesAreAllReportedTheSameEveryTime() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        for file in ["fhir-mapping.json", "evidence.json", "schema.json", "sources.json"] {
            try scratch.write("packs/iliopsoas/" + file, "{\"truncated\": ")
        }
        try scratch.write("packs/iliopsoas/policy.json", "[1,]")
        var reports: [[String]] = []
        for _ in 0..<5 {
            guard case .failure(let error) = scratch.load() else {
                Issue.record("loaded")
                return
            }
            reports.append(error.issues.map(\.description))
        }
        let files = ["evidence.json", "fhir-mapping.json", "policy.json", "schema.json", "sources.json"].map { "packs/iliopsoas/" + $0 }
        #expect(reports[0].map { String($0.prefix { $0 != ":" }) } == files)
        #expect(reports[0].allSatisfy { $0.contains(": /: invalid JSON at byte ") }, "\(reports[0])")
        #expect(Set(reports.map { $0.joined(separator: "\n") }).count == 1)
    }

    @Test func anUntracedSeedSentenceIsRefused() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace(
            "packs/iliopsoas/recommendations.json", "{ \"source\": \"seed\", \"quote\": \"Hip flexor stretches\" }",
            with: "{ \"source\": \"seed\", \"quote\": \"Hip flexor\" }")
        guard case .failure(let error) = scratch.load() else {
            Issue.record("loaded")
            return
        }
        #expect(
            error.issues.map(\.description) == [
                "packs/iliopsoas/traceability.json: /: line 30 of source \"seed\" is quoted by no Catalog entry and is not a non-claim: \"Hip flexor stretches\""
            ])
    }

    @Test func aModifiedSourceFileFailsItsChecksum() throws {
        let scratch = try ScratchCatalog()
        defer { scratch.remove() }
        try scratch.replace("packs/iliopsoas/sources/seed-000_3d027190f0aa88e5.txt", "77%", with: "87%")
        guard case .failure(let error) = scratch.load() else {
            Issue.record("loaded")
            return
        }
        #expect(error.issues.contains { $0.file == "packs/iliopsoas/sources.json" && $0.path.description == "/sources/0/sha256" })
    }

    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Array(String(repeating: "a", count: 1000).utf8))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

@Suite("Verbatim quote search")
struct VerbatimSearchTests {
    @Test(arguments: [
        ("cryotherapy for 10 minutes", "10 minutes", true), ("abc", "", true), ("", "a", false), ("abc", "abc", true),
        ("abc", "abcd", false), ("aab", "ab", true), ("ab", "b", true), ("a b", "ab", false), ("30–40 % MVIC", "–40 %", true),
        ("caf\u{E9}", "cafe\u{301}", false),  // byte for byte: canonically equivalent text is not the same quote
    ])
    func findsExactBytes(text: String, part: String, found: Bool) {
        #expect(SeedText.contains(text, verbatim: part) == found)
    }
}

/// The traceability split, rewritten for start-up speed, against the first version kept
/// here as the specification (a `Character` at a time, trimmed through reversed copies).
@Suite("Sentences and lines of a source")
struct SourceSplitTests {
    static func sentencesBefore(_ line: String) -> [String] {
        var text = Substring(line)
        if text.hasPrefix("- ") { text = text.dropFirst(2) }
        var result: [String] = []
        var current = ""
        var chars = Array(text)
        chars.append("\u{0}")
        var i = 0
        while i < chars.count - 1 {
            let c = chars[i]
            current.append(c)
            if c == ".", chars[i + 1] == " ", i + 2 < chars.count - 1, chars[i + 2].isUppercase {
                result.append(current)
                current = ""
                i += 2
                continue
            }
            i += 1
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    static func trimmedBefore(_ s: Substring) -> String {
        String(
            s.drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" })
                .reversed())
    }

    static let lines = [
        "", " ", "- ", "-", ".", ". ", ". A", "a. B", "One. Two. three. Four.", "- Rest 2 days. Ice. 10 min.", "Ends. ",
        "Dr. Smith. É accent. été. Ünder", "x.  Y", "x. \u{301}Y", "A.\tB", "no stop", "Trailing.  ", "- - Nested. List",
        "\t  Indented. Line\r", "  \r\t ", "ok\r\n", "é\u{301}. B", " \u{301}lead", "tail \u{301}",
    ]

    @Test(arguments: lines)
    func sentencesAsBefore(line: String) {
        #expect(SeedText.sentences(of: line) == Self.sentencesBefore(line))
    }

    /// The lines as the first version split them (a `Character` at a time, so a CR LF, one
    /// character, was not a line feed) and trimmed them.
    static func linesBefore(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(trimmedBefore)
    }

    @Test(arguments: lines)
    func trimmingAsBefore(line: String) {
        #expect(SeedText.trimmed(Substring(line)) == Self.trimmedBefore(Substring(line)))
        for text in [line, "\t" + line + " ", " \r" + line + "\t\r"] where !text.contains("\r\n") {
            #expect(SeedText.lines(of: text) == Self.linesBefore(text), "\(Array(text.unicodeScalars))")
        }
    }

    @Test func linesAsBeforeAcrossAText() {
        // (Without the lines that would make a CR LF once joined.)
        let kept = Self.lines.filter { !$0.contains("\r\n") && !$0.hasSuffix("\r") }
        let text = kept.joined(separator: "\n")
        #expect(SeedText.lines(of: text) == Self.linesBefore(text))
        #expect(SeedText.lines(of: text).count == kept.count)
    }

    /// A source saved with CR LF line ends has its lines (the first version saw one line).
    @Test func crlfLineEndsSplit() {
        #expect(SeedText.lines(of: "One.\r\n  Two. \r\n\r\nThree") == ["One.", "Two.", "", "Three"])
    }

    @Test func sha256AcrossBlockBoundaries() {
        // 55, 56 and 64 bytes: the padding fits, spills into a second block, fills one.
        #expect(
            SHA256.hex(Array(String(repeating: "a", count: 55).utf8)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(
            SHA256.hex(Array(String(repeating: "a", count: 56).utf8)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(
            SHA256.hex(Array(String(repeating: "a", count: 64).utf8)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    /// Digests by Python's hashlib of bytes (i * 7 + 3) mod 256, at every length where the
    /// padding changes shape (55/56, 63/64/65, 119/120, 127/128/129) and across many blocks.
    @Test(arguments: [
        (0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (1, "084fed08b978af4d7d196a7446a86b58009e636b611db16211b65a9aadff29c5"),
        (55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"),
        (56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"),
        (57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"),
        (63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"),
        (64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"),
        (65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"),
        (119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"),
        (120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"),
        (127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07"),
        (128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"),
        (129, "307f8fc2c1622b92762e818d39a185d4d667ad49a4b07ceae1f4afa008a93ec4"),
        (1000, "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"),
        (100000, "d96bab6a55ee326ba206dd4a85a6e95e14360d7fabbf448f03e689c24382b7d0"),
    ])
    func sha256AgreesWithHashlib(length: Int, digest: String) {
        let bytes = (0..<length).map { UInt8(($0 * 7 + 3) % 256) }
        #expect(SHA256.hex(bytes, accelerated: false) == digest, "portable")
        if SHA256.accelerated { #expect(SHA256.hex(bytes, accelerated: true) == digest, "SHA extensions") }
        #expect(SHA256.hex(bytes) == digest)
    }

    /// The SHA extensions are used exactly when the processor reports them (the kernel's
    /// `sha_ni` flag), so that the accelerated path is the one tested where it exists.
    @Test func sha256UsesTheSHAExtensionsWhereTheProcessorHasThem() throws {
        #if arch(x86_64) && os(Linux)
            let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            let flags =
                cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }.map { $0.split(separator: " ").map(String.init) } ?? []
            #expect(SHA256.accelerated == (flags.contains("sha_ni") && flags.contains("sse4_1") && flags.contains("ssse3")))
        #endif
    }
}
