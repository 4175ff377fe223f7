import Foundation
import Testing

/// Hostile Catalog copies stop `cds catalog check` and every start (status 78), promptly.
@Suite("Catalog integrity, end to end")
struct CatalogIntegrityCLITests {
    static func copy() throws -> String {
        let dir = NSTemporaryDirectory() + "cds-hostile-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: CLITests.root + "/Catalog", toPath: dir)
        return dir
    }

    static func edit(_ file: String, _ target: String, _ replacement: String) throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains(target))
        try text.replacingOccurrences(of: target, with: replacement).write(toFile: file, atomically: true, encoding: .utf8)
    }

    @Test func cryotherapyForNinetyMinutesIsRefusedByCheckAndAtStart() throws {
        let dir = try Self.copy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.edit(
            dir + "/packs/iliopsoas/recommendations.json", "\"parameters\": { \"durationMinutes\": 10 }",
            "\"parameters\": { \"durationMinutes\": 90 }")
        for args in [["catalog", "check"], ["serve"]] {
            let r = try CLITests.run(args + ["--catalog", dir], stdin: "")
            #expect(r.status == 78, "\(args)")
            #expect(r.stdout == "")
            #expect(
                r.stderr.contains(
                    "packs/iliopsoas/recommendations.json: /recommendations/2/dosage/parameters/durationMinutes: the number 90 not in the entry's quotes"
                ),
                "\(r.stderr)")
        }
    }

    @Test func sourcesOutsideTheCatalogOrNotRegularAreRefusedAtStartWithoutHanging() throws {
        let dir = try Self.copy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/packs/iliopsoas/sources/fifo", 0o600) == 0)
        let sources = dir + "/packs/iliopsoas/sources.json"
        let hostile = ["../../../../../../etc/passwd", "/proc/self/fd/0", "sources/fifo"].enumerated().map { i, file in
            "{ \"id\": \"hostile-\(i)\", \"kind\": \"publication\", \"title\": \"Hostile\", \"file\": \"\(file)\" },"
        }
        try Self.edit(sources, "\"sources\": [", "\"sources\": [" + hostile.joined())
        // stdin stays open: a Catalog read of /proc/self/fd/0 would wait on it forever.
        let (p, input, _) = try CLITests.spawn(["serve", "--catalog", dir])
        p.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(p.terminationStatus == 78)
        let r = try CLITests.run(["catalog", "check", "--catalog", dir], stdin: "")
        #expect(r.status == 78)
        #expect(
            r.stderr.contains(
                "packs/iliopsoas/sources.json: /sources/0/file: cannot read ../../../../../../etc/passwd: must not contain \"..\""),
            "\(r.stderr)")
        #expect(
            r.stderr.contains(
                "packs/iliopsoas/sources.json: /sources/1/file: cannot read /proc/self/fd/0: must be a relative path inside the Catalog directory"
            ))
        #expect(r.stderr.contains("packs/iliopsoas/sources.json: /sources/2/file: cannot read sources/fifo: not a regular file"))
    }
}
