#if canImport(Glibc)
    import Glibc
#endif
import CDSJSON
import Testing

@Suite("Writing lines with writev")
struct FileDescriptorIOTests {
    /// More lines than one writev takes, lines larger than a pipe holds, and empty lines:
    /// everything arrives, in order, each line followed by exactly one newline.
    @Test func everyLineArrivesWhole() throws {
        var lines: [[UInt8]] = (0..<1_300).map { Array("line \($0)".utf8) }
        lines.insert([], at: 7)
        lines.insert([UInt8](repeating: 0x61, count: 200_000), at: 600)
        var expected: [UInt8] = []
        for line in lines { expected += line + [0x0A] }

        let path = "/tmp/cds-writelines-\(getpid())"
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        try #require(fd >= 0)
        defer { unlink(path) }
        #expect(FileDescriptorIO.writeLines(fd, lines))
        close(fd)
        let back = open(path, O_RDONLY)
        defer { close(back) }
        #expect(try FileDescriptorIO.readAll(back, limit: 1 << 24) == expected)
    }

    @Test func aClosedDescriptorIsAnError() {
        #expect(!FileDescriptorIO.writeLines(-1, [Array("x".utf8)]))
    }
}
