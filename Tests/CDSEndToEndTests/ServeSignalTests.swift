#if canImport(Glibc)
    import Glibc
#endif
import CDSJSON
import CDSTestSupport
import Foundation
import Testing

/// A `cds serve` whose standard input is a pipe this test keeps both ends of, so that after
/// the server ends, the bytes it never read can be counted: "read" is then exact.
final class SignalledServer: @unchecked Sendable {
    let process = Process()
    let output = childPipe()
    let errors = childPipe()
    private let inputRead: Int32
    private let inputWrite: Int32
    private let collected = Guarded<Data>(Data())
    private let reading = DispatchGroup()
    private let sent = Guarded<(lines: Int, bytes: Int)>((0, 0))
    private let stopSending = Guarded(false)
    private let sending = DispatchGroup()

    init(_ extra: [String] = [], readOutput: Bool = true) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        inputRead = fds[0]
        inputWrite = fds[1]
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["serve"] + extra
        process.currentDirectoryURL = URL(fileURLWithPath: CLITests.root)
        process.standardInput = FileHandle(fileDescriptor: inputRead, closeOnDealloc: false)
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        if readOutput {
            let handle = output.fileHandleForReading
            let collected = self.collected
            DispatchQueue.global().async(group: reading) { collected.withLock { $0 = handle.readDataToEndOfFile() } }
        }
    }

    /// Writes `lines` one at a time on another thread until ``stopAndSignal(_:)``.
    func startSending(_ lines: [String]) {
        let fd = inputWrite
        let sent = self.sent
        let stop = stopSending
        DispatchQueue.global().async(group: sending) {
            for line in lines {
                if stop.withLock({ $0 }) { return }
                let bytes = Array(line.utf8)
                guard FileDescriptorIO.writeAll(fd, bytes) else { return }
                sent.withLock { $0 = ($0.lines + 1, $0.bytes + bytes.count) }
            }
        }
    }

    /// Waits until `count` lines have been sent (the pipe holds far fewer: the server is
    /// reading), or 60 s.
    func waitUntilSent(_ count: Int) {
        let limit = Date().addingTimeInterval(60)
        while sent.withLock({ $0.lines }) < count && Date() < limit { usleep(10_000) }
    }

    /// Stops sending after the line being written, then sends `signal`.
    func stopAndSignal(_ signal: Int32) {
        stopSending.withLock { $0 = true }
        sending.wait()
        kill(process.processIdentifier, signal)
    }

    /// Waits for the end (at most `seconds`, then kills it: a hang fails the test instead of
    /// hanging the suite); the exit status, or nil when it had to be killed.
    func finish(within seconds: Double = 120) -> Int32? {
        let limit = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < limit { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : nil
    }

    /// Everything the server wrote (after ``finish(within:)``).
    var replies: String {
        reading.wait()
        return String(decoding: collected.withLock { $0 }, as: UTF8.self)
    }

    /// The lines sent, and how many bytes of them the server never read.
    func unread() -> (sentLines: Int, sentBytes: Int, unreadBytes: Int) {
        _ = fcntl(inputRead, F_SETFL, fcntl(inputRead, F_GETFL) | O_NONBLOCK)
        var left = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(inputRead, &buffer, buffer.count)
            if n <= 0 { break }
            left += n
        }
        close(inputRead)
        close(inputWrite)
        let s = sent.withLock { $0 }
        return (s.lines, s.bytes, left)
    }

    /// The ids of every reply, batch replies flattened, in output order.
    static func ids(_ text: String) -> [JSONValue] {
        text.split(separator: "\n").flatMap { line -> [JSONValue] in
            switch try? JSONParser().parse(String(line)) {
            case .array(let members)?: members.map { $0["id"] ?? "missing" }
            case let value?: [value["id"] ?? "missing"]
            case nil: ["unparseable"]
            }
        }
    }
}

/// A value behind a lock (the test's own, shared by its threads).
final class Guarded<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

@Suite("cds serve and signals")
struct ServeSignalTests {
    static let caseText: String = {
        (try? TestRepository.vignette("19-dancer-with-nsaid-allergy-failed-care").replacingOccurrences(of: "\n", with: "")) ?? "{}"
    }()

    static func evaluation(_ id: Int) -> String {
        #"{"jsonrpc":"2.0","method":"case/evaluate","id":\#(id),"params":{"case":\#(caseText)}}"#
    }

    static func single(_ count: Int) -> [String] { (0..<count).map { evaluation($0) + "\n" } }

    static func batches(_ count: Int, of size: Int) -> [String] {
        (0..<count).map { b in "[" + (0..<size).map { evaluation(b * size + $0) }.joined(separator: ",") + "]\n" }
    }

    /// Pipelines `lines`, signals the server mid-stream, and checks that every message it
    /// read (everything sent but what is left in the pipe) got exactly one reply, in order,
    /// that the output ends with a whole line, and the exit status.
    func check(_ lines: [String], membersPerLine: Int, signal: Int32, status: Int32) throws {
        let server = try SignalledServer()
        server.startSending(lines)
        // More than a pipe-full (64 KiB) sent: the server has read some of it.
        server.waitUntilSent(lines.count / 10)
        Thread.sleep(forTimeInterval: 0.1)
        server.stopAndSignal(signal)
        let exit = server.finish()
        let text = server.replies
        let (sentLines, sentBytes, unreadBytes) = server.unread()
        #expect(exit == status, "exit status 128 + signal")
        #expect(text.isEmpty || text.hasSuffix("\n"), "no torn last line")
        let sentText = lines[0..<sentLines].joined()
        #expect(sentText.utf8.count == sentBytes)
        let readText = sentText.utf8.prefix(sentBytes - unreadBytes)
        #expect(readText.isEmpty || readText.last == 0x0A, "reading stopped at a line boundary")
        let readLines = readText.filter { $0 == 0x0A }.count
        let ids = SignalledServer.ids(text)
        #expect(readLines > 0 && readLines < lines.count, "the signal came mid-stream: \(readLines) of \(lines.count) lines read")
        #expect(
            ids == (0..<(readLines * membersPerLine)).map { JSONValue.integer(Int64($0)) },
            "each message read answered once, in order: \(ids.count) replies for \(readLines * membersPerLine) read")
    }

    @Test func sigtermAnswersEveryRequestReadExactlyOnceThenExits143() throws {
        try check(Self.single(4000), membersPerLine: 1, signal: SIGTERM, status: 143)
    }

    @Test func sigintIsHandledTheSameWayAndExits130() throws {
        try check(Self.single(4000), membersPerLine: 1, signal: SIGINT, status: 130)
    }

    @Test func sigtermDuringBatchesAnswersEveryMemberOfEveryBatchRead() throws {
        try check(Self.batches(100, of: 100), membersPerLine: 100, signal: SIGTERM, status: 143)
    }

    /// A client that stopped reading: the server still ends, at the shutdown deadline, with
    /// status 74 (replies that could not be written are dropped and their count logged).
    @Test func sigtermWithAClientThatStoppedReadingEndsAtTheDeadlineWithStatus74() throws {
        let server = try SignalledServer(["--shutdown-timeout-ms", "500", "--log-level", "notice"], readOutput: false)
        server.startSending(Self.single(3000))
        server.waitUntilSent(1000)
        server.stopAndSignal(SIGTERM)
        #expect(server.finish() == 74, "ended by the deadline, not left waiting for the client")
        let log = String(decoding: server.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("unwrittenReplies="))
        _ = server.unread()
    }
}
