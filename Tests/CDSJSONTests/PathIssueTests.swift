import CDSJSON
import Testing

@Suite("PathIssue: one shape for path + message")
struct PathIssueTests {
    @Test func describesFilePathAndMessage() {
        #expect(PathIssue(path: .root, message: "expected object").description == "/: expected object")
        #expect(PathIssue(file: "pack.json", path: "/modules/0", message: "bad").description == "pack.json: /modules/0: bad")
        #expect(PathIssue(file: "m.json", path: "", message: "x").path == .root)
    }

    @Test func ordersByFileThenIndicesNumericallyThenMessage() {
        let issues = [
            PathIssue(file: "b.json", path: "/a", message: "m"),
            PathIssue(file: "a.json", path: "/items/10", message: "m"),
            PathIssue(file: "a.json", path: "/items/2", message: "z"),
            PathIssue(file: "a.json", path: "/items/2", message: "a"),
            PathIssue(path: "/x", message: "no file"),
        ]
        #expect(
            issues.sorted().map(\.description) == [
                "/x: no file", "a.json: /items/2: a", "a.json: /items/2: z", "a.json: /items/10: m", "b.json: /a: m",
            ])
    }

    @Test func theCodeTellsKindsApartWhateverTheMessageSays() {
        let missing = PathIssue(path: "/patient", message: "anything at all", code: .missingRequired, member: "age")
        #expect(missing.code == .missingRequired && missing.member == "age")
        #expect(missing != PathIssue(path: "/patient", message: "anything at all", code: .invalid, member: "age"))
        #expect(PathIssue(path: .root, message: "m").code == .invalid)
    }
}
