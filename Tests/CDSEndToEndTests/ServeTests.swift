import CDSJSON
import CDSTestSupport
import Foundation
import Testing

/// A running `cds serve` with pipes to its standard streams.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let input = childPipe()
    let output = childPipe()
    let errors = childPipe()

    init(_ extra: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["serve"] + extra
        process.currentDirectoryURL = URL(fileURLWithPath: CLITests.root)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    func send(_ text: String) { input.fileHandleForWriting.write(Data(text.utf8)) }

    func closeInput() throws { try input.fileHandleForWriting.close() }

    /// Everything the server writes until it closes standard output.
    func readToEnd() -> String { String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }

    func lines() -> [String] { readToEnd().split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

    func wait() -> (status: Int32, reason: Process.TerminationReason) {
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason)
    }

    /// One whole session: send, close, collect.
    static func session(_ text: String, _ extra: [String] = []) throws -> (lines: [String], status: Int32) {
        let server = try ServerProcess(extra)
        server.send(text)
        try server.closeInput()
        let lines = server.lines()
        return (lines, server.wait().status)
    }
}

func ping(_ id: Int) -> String { #"{"jsonrpc":"2.0","method":"ping","id":\#(id)}"# + "\n" }

@Suite("cds serve over pipes")
struct ServeTests {
    @Test func tenThousandPipelinedRequestsAreEachAnsweredOnceInOrder() throws {
        let server = try ServerProcess()
        let text = (0..<10_000).map(ping).joined()
        // Everything is written before anything is read: the server must keep reading
        // while its output pipe is full.
        server.send(text)
        try server.closeInput()
        let lines = server.lines()
        #expect(server.wait().status == 0)
        #expect(lines.count == 10_000)
        let ids = lines.compactMap { try? JSONParser().parse($0)["id"]?.integerValue }
        #expect(ids == (0..<10_000).map(Int64.init))
    }

    @Test func byteByByteInputGivesIdenticalReplies() throws {
        let session =
            #"{"jsonrpc":"2.0","method":"catalog/get","id":"é😀","params":{"id":"initial.cryotherapy"}}"# + "\r\n\n"
            + #"[{"jsonrpc":"2.0","method":"ping","id":1},{"jsonrpc":"2.0","method":"nope","id":2}]"# + "\n" + ping(3)
        let whole = try ServerProcess.session(session)
        let server = try ServerProcess()
        for byte in Array(session.utf8) {
            server.input.fileHandleForWriting.write(Data([byte]))
        }
        try server.closeInput()
        #expect(server.lines() == whole.lines)
        #expect(whole.lines.count == 3)
        #expect(whole.lines[0].contains(#""id":"é😀""#))
    }

    @Test func theLastLineWithoutNewlineIsAnswered() throws {
        let r = try ServerProcess.session(ping(1) + #"{"jsonrpc":"2.0","method":"ping","id":2}"#)
        #expect(r.lines.count == 2)
        #expect(r.lines[1] == #"{"jsonrpc":"2.0","id":2,"result":{}}"#)
        #expect(r.status == 0)
    }

    @Test func endOfInputAnswersEverythingInFlightThenExits0() throws {
        let c = try String(
            contentsOfFile: CLITests.root + "/Tests/Vignettes/19-dancer-with-nsaid-allergy-failed-care.case.json", encoding: .utf8
        )
        .replacingOccurrences(of: "\n", with: "")
        let requests = (0..<200).map { #"{"jsonrpc":"2.0","method":"case/evaluate","id":\#($0),"params":{"case":\#(c)}}"# + "\n" }.joined()
        let r = try ServerProcess.session(requests)
        #expect(r.status == 0)
        #expect(r.lines.count == 200)
        #expect(Set(r.lines.dropFirst()).count == 199, "distinct ids, otherwise identical plans")
        #expect(r.lines.allSatisfy { $0.contains(#""planFormat":1"#) })
    }

    @Test func anOverlongLineGetsOneErrorAndTheStreamGoesOn() throws {
        let long = #"{"jsonrpc":"2.0","method":"ping","id":1,"params":{"pad":""# + String(repeating: "x", count: 5000) + "\"}}\n"
        let r = try ServerProcess.session(long + ping(2), ["--max-line-bytes", "1024"])
        #expect(r.lines.count == 2)
        #expect(
            r.lines[0] == #"{"jsonrpc":"2.0","id":null,"error":{"code":-32002,"message":"Message too large","data":{"limitBytes":1024}}}"#)
        #expect(r.lines[1] == #"{"jsonrpc":"2.0","id":2,"result":{}}"#)
    }

    /// The `\r` of CRLF is not content (before: -32002 for a line of exactly the limit).
    @Test func aLineOfExactlyTheLimitEndingInCRLFIsAnswered() throws {
        let head = #"{"jsonrpc":"2.0","method":"ping","id":""#
        let line = head + String(repeating: "x", count: 1024 - head.utf8.count - 2) + "\"}"
        #expect(line.utf8.count == 1024)
        let r = try ServerProcess.session(line + "\r\n" + line + "x\r\n" + ping(2), ["--max-line-bytes", "1024"])
        #expect(r.lines.count == 3)
        #expect(r.lines[0].hasPrefix(#"{"jsonrpc":"2.0","id":"xxx"#) && r.lines[0].hasSuffix(#"","result":{}}"#))
        #expect(r.lines[1].contains(#""code":-32002"#), "one byte more is too long")
        #expect(r.lines[2] == #"{"jsonrpc":"2.0","id":2,"result":{}}"#)
    }

    /// Before: -32700 with id null, so the client could not match the reply.
    @Test func idsUpTo2To64Minus1ComeBackWithTheirDigits() throws {
        let ids = ["9223372036854775808", "18446744073709551615"]
        let text =
            ids.map { #"{"jsonrpc":"2.0","method":"ping","id":\#($0)}"# + "\n" }.joined()
            + "[" + ids.map { #"{"jsonrpc":"2.0","method":"ping","id":\#($0)}"# }.joined(separator: ",") + "]\n"
        let r = try ServerProcess.session(text)
        #expect(
            r.lines == ids.map { #"{"jsonrpc":"2.0","id":\#($0),"result":{}}"# } + [
                "[" + ids.map { #"{"jsonrpc":"2.0","id":\#($0),"result":{}}"# }.joined(separator: ",") + "]"
            ])
    }

    @Test func deepNestingIsRefusedWithoutACrash() throws {
        let r = try ServerProcess.session(String(repeating: "[", count: 200_000) + "\n" + ping(1))
        #expect(r.status == 0)
        #expect(r.lines.count == 2)
        #expect(r.lines[0].contains(#""code":-32700"#))
    }

    @Test func standardOutputCarriesProtocolLinesOnlyEvenWhenLoggingEverything() throws {
        let server = try ServerProcess(["--log-level", "trace"])
        server.send(ping(1) + "not json\n" + #"{"jsonrpc":"2.0","method":"exit"}"# + "\n")
        let lines = server.lines()
        let log = String(decoding: server.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(server.wait().status == 1, "exit without shutdown")
        #expect(lines.count == 2)
        for line in lines { #expect((try? JSONParser().parse(line))?["jsonrpc"] == "2.0") }
        #expect(log.contains("serving JSON-RPC"))
    }

    @Test func shutdownThenExitEndsWithStatus0() throws {
        let r = try ServerProcess.session(
            #"{"jsonrpc":"2.0","method":"shutdown","id":1}"# + "\n" + ping(2) + #"{"jsonrpc":"2.0","method":"exit"}"# + "\n" + ping(3))
        #expect(r.status == 0)
        #expect(r.lines.count == 2, "nothing after exit is read")
        #expect(r.lines[1].contains(#""code":-32000"#))
    }

    @Test func aClientThatStopsReadingEndsTheServerPromptlyWithoutSIGPIPE() throws {
        let server = try ServerProcess()
        try server.output.fileHandleForReading.close()
        server.send((0..<100).map(ping).joined())
        let started = Date()
        let (status, reason) = server.wait()
        #expect(reason == .exit, "not killed by SIGPIPE")
        #expect(status == 0)
        #expect(Date().timeIntervalSince(started) < 10)
    }
}

@Suite("cds serve under stress")
struct ServeStressTests {
    static func rssKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    static func evaluateLines(_ count: Int) throws -> String {
        let c = try TestRepository.vignette("19-dancer-with-nsaid-allergy-failed-care").replacingOccurrences(of: "\n", with: "")
        return (0..<count).map { #"{"jsonrpc":"2.0","method":"case/evaluate","id":\#($0),"params":{"case":\#(c)}}"# + "\n" }.joined()
    }

    /// Starts a server holding at most 64 KiB of replies, sends `text` without reading
    /// (on another thread, then closes input), and returns the server's resident memory
    /// 5 s later, in KiB.
    static func flood(_ text: String) throws -> (server: ServerProcess, rssKiB: Int) {
        let server = try ServerProcess(["--max-pending-reply-bytes", "65536"])
        let writer = Thread {
            server.send(text)
            try? server.closeInput()
        }
        writer.start()
        Thread.sleep(forTimeInterval: 5)
        return (server, rssKiB(server.process.processIdentifier))
    }

    @Test func aFloodFromAClientThatDoesNotReadMeetsBackPressureNotGrowth() throws {
        let (server, rss) = try Self.flood(try Self.evaluateLines(3000))  // about 60 MB of replies
        // Measured here: about 24 MB with back-pressure, over 80 MB without it.
        #expect(rss > 0 && rss < 50_000, "resident memory stays bounded while the client does not read: \(rss) KiB")
        let lines = server.lines()
        #expect(server.wait().status == 0)
        #expect(lines.count == 3000)
        #expect(
            lines.enumerated().allSatisfy { i, line in line.hasPrefix(#"{"jsonrpc":"2.0","id":\#(i),"#) }, "each answered once, in order")
    }

    /// Batches of 1,000 evaluations (20 MB of reply each) from a client that does not read:
    /// a batch counts its members in the read-ahead budget and its reply goes out in
    /// pieces as it is written, so memory stays near the one-per-line figure (before: about
    /// 200 MB, every batch read ahead and every reply whole).
    @Test func aFloodOfLargeBatchesFromAClientThatDoesNotReadStaysBounded() throws {
        let c = try TestRepository.vignette("19-dancer-with-nsaid-allergy-failed-care").replacingOccurrences(of: "\n", with: "")
        let batches = 12
        let (server, rss) = try Self.flood(
            (0..<batches).map { b in
                "["
                    + (0..<1000).map { #"{"jsonrpc":"2.0","method":"case/evaluate","id":\#(b * 1000 + $0),"params":{"case":\#(c)}}"# }
                    .joined(separator: ",") + "]\n"
            }.joined())
        // Measured here (debug build): about 37 MB.
        #expect(rss > 0 && rss < 64_000, "resident memory stays bounded while the client does not read: \(rss) KiB")
        let lines = server.lines()
        #expect(server.wait().status == 0)
        #expect(lines.count == batches)
        for (b, line) in lines.enumerated() {
            #expect(line.hasPrefix(#"[{"jsonrpc":"2.0","id":\#(b * 1000),"#) && line.hasSuffix("}]"))
            #expect(line.components(separatedBy: #"{"jsonrpc":"2.0","id":"#).count == 1001, "batch \(b): 1,000 replies")
        }
        let first = try JSONParser(limits: .init(maxBytes: 64 << 20)).parse(lines.first ?? "")
        #expect(first.arrayValue?.map { $0["id"] } == (0..<1000).map { .integer(Int64($0)) }, "a reply written in pieces is one valid line")
    }

    @Test func sigtermFinishesQueuedWorkAndCutsNoReply() throws {
        let server = try ServerProcess()
        server.send(try Self.evaluateLines(400))
        Thread.sleep(forTimeInterval: 0.2)
        kill(server.process.processIdentifier, SIGTERM)
        let lines = server.lines()
        let (status, reason) = server.wait()
        #expect(reason == .exit && status == 143, "ends by itself (128 + SIGTERM), not killed")
        #expect(!lines.isEmpty)
        for (i, line) in lines.enumerated() {
            #expect((try? JSONParser().parse(line))?["id"] == .integer(Int64(i)), "reply \(i) whole and in order")
        }
    }

    /// Evaluations computed on three lanes, interleaved with requests the session answers
    /// itself and with bad lines: every reply in request order, evaluations identical to
    /// the same session on one lane.
    @Test func repliesFromSeveralLanesComeInRequestOrder() throws {
        let c = try TestRepository.vignette("19-dancer-with-nsaid-allergy-failed-care").replacingOccurrences(of: "\n", with: "")
        let text = (0..<300).map { i -> String in
            switch i % 4 {
            case 0, 1:
                #"{"jsonrpc":"2.0","method":"case/evaluate","id":\#(i),"params":{"case":\#(c),"options":{"asOf":"2026-03-02"}}}"# + "\n"
            case 2: ping(i)
            default: #"{"jsonrpc":"2.0","id":\#(i),"method":"case/evaluate","params":{"case":{}}}"# + "\n"
            }
        }.joined()
        let three = try ServerProcess.session(text, ["--workers", "3"])
        let one = try ServerProcess.session(text, ["--workers", "1"])
        #expect(three.status == 0 && three.lines.count == 300)
        #expect(three.lines == one.lines)
        for (i, line) in three.lines.enumerated() {
            #expect((try? JSONParser().parse(line))?["id"] == .integer(Int64(i)))
        }
    }

    /// Batch members computed on the lanes ahead of their turn: the same bytes as on one
    /// lane, members in order, a `shutdown` inside the batch still refusing the members
    /// after it, notifications unanswered.
    @Test func batchMembersOnSeveralLanesAnswerAsOnOne() throws {
        let c = try TestRepository.vignette("19-dancer-with-nsaid-allergy-failed-care").replacingOccurrences(of: "\n", with: "")
        let members = (0..<120).map { i -> String in
            if i == 90 { return #"{"jsonrpc":"2.0","method":"shutdown","id":\#(i)}"# }
            switch i % 5 {
            case 0, 1:
                return #"{"jsonrpc":"2.0","method":"case/evaluate","id":\#(i),"params":{"case":\#(c),"options":{"asOf":"2026-03-02"}}}"#
            case 2: return #"{"jsonrpc":"2.0","method":"ping","id":\#(i)}"#
            case 3: return #"{"jsonrpc":"2.0","method":"case/evaluate","id":\#(i),"params":{"case":{}}}"#
            default: return #"{"jsonrpc":"2.0","method":"ping"}"#
            }
        }
        let text = "[" + members.joined(separator: ",") + "]\n" + ping(1000)
        let three = try ServerProcess.session(text, ["--workers", "3"])
        let one = try ServerProcess.session(text, ["--workers", "1"])
        #expect(three.lines == one.lines)
        let replies = try #require(try JSONParser(limits: .init(maxBytes: 64 << 20)).parse(three.lines.first ?? "").arrayValue)
        let expectedIDs: [JSONValue?] = (0..<120).filter { $0 % 5 != 4 }.map { JSONValue.integer(Int64($0)) }
        let ids: [JSONValue?] = replies.map { $0["id"] }
        #expect(ids == expectedIDs)
        for reply in replies {
            guard case .integer(let id)? = reply["id"], id % 5 != 2, id != 90 else { continue }
            let code = reply["error"]?["code"]
            if id > 90 {
                #expect(code == .integer(-32000), "after shutdown: \(id)")
            } else if id % 5 == 3 {
                #expect(code == .integer(-32602))
            } else {
                let format = reply["result"]?["planFormat"]
                #expect(format == .integer(1))
            }
        }
    }

    @Test func anOversizedBatchIsOneInvalidRequest() throws {
        let batch = "[" + (0..<5).map { #"{"jsonrpc":"2.0","method":"ping","id":\#($0)}"# }.joined(separator: ",") + "]\n"
        let r = try ServerProcess.session(batch, ["--max-batch", "4"])
        #expect(
            r.lines == [
                #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request","data":{"detail":"a batch of 5 messages exceeds the limit of 4"}}}"#
            ])
    }
}
