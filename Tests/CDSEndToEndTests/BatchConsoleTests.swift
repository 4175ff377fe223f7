import CDSJSON
import CDSTestSupport
import Foundation
import Testing

/// What `cds evaluate --batch` tells the person running it, on standard error.
@Suite("cds evaluate --batch on the console")
struct BatchConsoleTests {
    @Test func aSummaryLineEndsTheRun() throws {
        let line = try BatchTests.oneLine("09-escalation-at-4-months")
        let run = try CLITests.run(["evaluate", "--batch", "-"], stdin: String(repeating: line + "\n", count: 3) + "{\n")
        #expect(run.status == 65)
        let last = try #require(run.stderr.split(separator: "\n").last)
        #expect(last.hasPrefix("cds: batch: 4 lines, 3 evaluated, 1 failed, in "), "\(run.stderr)")
        #expect(!run.stderr.contains("\u{1B}["), "no progress bar when standard error is not a terminal")
    }

    /// `cds evaluate --batch big.ndjson | head -1`: the consumer closes the pipe; the run
    /// ends at once, with the documented status and no error line.
    @Test func aConsumerClosingThePipeEndsItQuietly() throws {
        let line = try BatchTests.oneLine("09-escalation-at-4-months")
        let file = NSTemporaryDirectory() + "cds-batch-" + UUID().uuidString + ".ndjson"
        try String(repeating: line + "\n", count: 3000).write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLITests.binary)
        p.arguments = ["evaluate", "--batch", file]
        let out = childPipe()
        let err = childPipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        var first = Data()
        while !first.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first.append(chunk)
        }
        try out.fileHandleForReading.close()  // what `head -1` does after its line
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(first.contains(UInt8(ascii: "\n")))
        #expect(p.terminationStatus == 74)
        #expect(String(decoding: stderr, as: UTF8.self) == "", "no error line")
    }
}
