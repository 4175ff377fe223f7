import CDSEngine
import CDSJSON
import CDSServer
import Dispatch
import Foundation
import Testing

@Suite("OrderedPipeline: parallel work, delivered in order")
struct OrderedPipelineTests {
    /// Work of uneven length on 1, 2 and 4 lanes, submitted in blocks of uneven size, some
    /// items without concurrent work: every item is delivered once, in submission order,
    /// with its own result, and `finish` follows each run's deliveries.
    @Test(arguments: [1, 2, 4])
    func deliveriesComeInSubmissionOrder(lanes: Int) {
        let pipeline = OrderedPipeline(label: "test", lanes: lanes, maxInFlight: 16)
        let log = Locked<[String]>([])
        var next = 0
        for block in [1, 7, 30, 2, 64, 5] {
            let first = next
            next += block
            let works: [(@Sendable () -> Int)?] = (first..<(first + block)).map { item in
                if item % 5 == 3 { return nil }
                return {
                    usleep(UInt32((item * 7919) % 300))
                    return item * 2
                }
            }
            pipeline.submit(
                works,
                deliver: { index, result in log.withLock { $0.append("\(first + index):\(result.map(String.init) ?? "-")") } },
                finish: { log.withLock { $0.append("finish") } })
        }
        pipeline.drain()
        let entries = log.withLock { $0 }
        let delivered = entries.filter { $0 != "finish" }
        #expect(delivered == (0..<next).map { "\($0):\($0 % 5 == 3 ? "-" : String($0 * 2))" })
        #expect(entries.last == "finish")
        #expect(entries.filter { $0 == "finish" }.count >= 6, "at least one run per block")
    }

    /// At most `maxInFlight` items wait between submission and delivery.
    @Test func pendingItemsAreBounded() {
        let pipeline = OrderedPipeline(label: "test", lanes: 2, maxInFlight: 8)
        let pending = Locked(0)
        let worst = Locked(0)
        for _ in 0..<20 {
            let works: [(@Sendable () -> Int)?] = (0..<10).map { _ in
                {
                    usleep(200)
                    return 0
                }
            }
            pending.withLock { $0 += works.count }
            pipeline.submit(works, deliver: { _, _ in pending.withLock { $0 -= 1 } }, finish: {})
            let now = pending.withLock { $0 }
            worst.withLock { $0 = max($0, now) }
        }
        pipeline.drain()
        // Submission blocks until slots free up, so what is counted pending after a
        // submission returns never exceeds the limit plus the block being submitted.
        #expect(worst.withLock { $0 } <= 8 + 10)
        #expect(pending.withLock { $0 } == 0)
    }
}

@Suite("case/evaluate computed ahead of its turn")
struct ConcurrentEvaluationTests {
    static func request(_ id: Int, _ method: String, _ params: String = "{}") -> LineFramer.Frame {
        .line(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#.utf8))
    }

    static var evaluate: String { #"{"case":"# + Fixture.caseText("09-escalation-at-4-months") + "}" }

    @Test func onlyEvaluationRunsConcurrently() throws {
        let core = Fixture.core()
        #expect(core.concurrentWork(for: try #require(core.prepare(Self.request(1, "case/evaluate", Self.evaluate)))) != nil)
        #expect(core.concurrentWork(for: try #require(core.prepare(Self.request(2, "ping")))) == nil)
        #expect(core.concurrentWork(for: try #require(core.prepare(Self.request(3, "initialize")))) == nil)
    }

    /// A result computed before `shutdown` was executed still gets the shutting-down
    /// error if its turn comes after: the session's order decides, not the lanes'.
    @Test func shutdownAppliesInRequestOrderToWorkComputedAhead() throws {
        let core = Fixture.core()
        let before = try #require(core.prepare(Self.request(1, "case/evaluate", Self.evaluate)))
        let shutdown = try #require(core.prepare(Self.request(2, "shutdown")))
        let after = try #require(core.prepare(Self.request(3, "case/evaluate", Self.evaluate)))
        let computedBefore = core.concurrentWork(for: before)?()
        let computedAfter = core.concurrentWork(for: after)?()
        #expect(json(core.execute(before, computed: computedBefore))?["result"]?["planFormat"] == .integer(1))
        #expect(json(core.execute(shutdown))?["result"] == .null)
        #expect(json(core.execute(after, computed: computedAfter))?["error"]?["code"] == .integer(-32000))
    }

    /// A cancellation read after the request but before its turn wins over a result
    /// already computed.
    @Test func cancellationAppliesToWorkComputedAhead() throws {
        let core = Fixture.core()
        let job = try #require(core.prepare(Self.request(7, "case/evaluate", Self.evaluate)))
        let computed = core.concurrentWork(for: job)?()
        _ = core.prepare(.line(Array(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}"#.utf8)))
        let reply = try #require(json(core.execute(job, computed: computed)))
        #expect(reply["error"]?["code"] == .integer(-32800) && reply["id"] == .integer(7))
    }

    /// The reply a lane prepares is byte for byte the one the session would have made.
    @Test func aReplyComputedAheadIsTheSameBytes() throws {
        let ahead = Fixture.core()
        let job = try #require(ahead.prepare(Self.request(5, "case/evaluate", Self.evaluate)))
        let computed = ahead.concurrentWork(for: job)?()
        let inTurn = Fixture.core()
        let same = try #require(inTurn.prepare(Self.request(5, "case/evaluate", Self.evaluate)))
        #expect(ahead.execute(job, computed: computed) == inTurn.execute(same))
    }
}

@Suite("Batch evaluation, line by line")
struct BatchEvaluatorTests {
    static let batch = BatchEvaluator(engine: Fixture.engine, configuration: .init())

    @Test func aCaseGivesWhatCaseEvaluateGives() throws {
        let text = Fixture.caseText("09-escalation-at-4-months")
        let (line, evaluated) = Self.batch.evaluate(.line(Array(text.utf8)), number: 1)
        #expect(evaluated)
        let served = try #require(
            json(Fixture.core().handle(#"{"jsonrpc":"2.0","id":1,"method":"case/evaluate","params":{"case":"# + text + "}}")))
        #expect(json(line) == served["result"])
    }

    @Test(arguments: [
        ("{\"caseId\": ", Int64(-32700)), ("[1, 2]", -32602), (#"{"caseId":"x"}"#, -32602), ("1e400", -32700),
    ])
    func aBadLineGetsItsNumberAndTheError(text: String, code: Int64) throws {
        let (line, evaluated) = Self.batch.evaluate(.line(Array(text.utf8)), number: 42)
        #expect(!evaluated)
        let error = try #require(json(line))
        #expect(error["line"] == .integer(42))
        #expect(error["error"]?["code"] == .integer(code))
        #expect(error["planFormat"] == nil)
    }

    @Test func anOverlongLineIsReportedWithTheLimit() throws {
        let (line, evaluated) = Self.batch.evaluate(.tooLong(limit: 1024), number: 3)
        #expect(!evaluated)
        #expect(json(line)?["error"]?["data"]?["limitBytes"] == .integer(1024))
    }

    @Test func theSummaryExitStatusSaysWhatHappened() {
        var s = BatchEvaluator.Summary()
        s.evaluated = 10
        #expect(s.exitStatus == 0)
        s.failed = 1
        #expect(s.exitStatus == 65)
        s.readFailed = true
        #expect(s.exitStatus == 74)
        s.interrupted = true
        #expect(s.exitStatus == 143)
    }
}
