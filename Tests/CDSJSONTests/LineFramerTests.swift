import CDSJSON
import Testing

@Suite("Line framing")
struct LineFramerTests {
    func frames(_ chunks: [[UInt8]], max: Int = 64) -> [LineFramer.Frame] {
        var framer = LineFramer(maxLineBytes: max)
        return chunks.flatMap { framer.feed($0) } + framer.finish()
    }

    @Test func splitsOnNewlinesAndDropsOneCarriageReturn() {
        #expect(frames([Array("a\nb\r\n\nc".utf8)]) == [.line(Array("a".utf8)), .line(Array("b".utf8)), .line([]), .line(Array("c".utf8))])
    }

    @Test func inputSplitAnywhereFramesIdentically() {
        let text = Array("{\"k\":\"é😀\"}\r\n[1]\nlast".utf8)
        let whole = frames([text])
        #expect(frames(text.map { [$0] }) == whole, "byte by byte")
        for cut in 1..<text.count {
            #expect(frames([Array(text[..<cut]), Array(text[cut...])]) == whole, "cut at \(cut)")
        }
    }

    @Test func anOverlongLineIsReportedOnceAndTheStreamResynchronises() {
        let long = [UInt8](repeating: 0x41, count: 100)
        let result = frames([Array("ok\n".utf8), Array(long[..<50]), Array(long[50...]) + Array("\nnext\n".utf8)], max: 64)
        #expect(result == [.line(Array("ok".utf8)), .tooLong(limit: 64), .line(Array("next".utf8))])
    }

    @Test func aLineExactlyAtTheLimitPasses() {
        let line = [UInt8](repeating: 0x41, count: 64)
        #expect(frames([line + [0x0A]]) == [.line(line)])
        #expect(frames([line + [0x41, 0x0A]]) == [.tooLong(limit: 64)])
    }

    /// The `\r` of CRLF is a terminator, not content: a line of exactly the limit passes
    /// with CRLF as with LF, however the input is split (before the fix: -32002).
    @Test func aLineExactlyAtTheLimitEndingInCRLFPasses() {
        let line = [UInt8](repeating: 0x41, count: 64)
        let text = line + [0x0D, 0x0A] + Array("next\r\n".utf8)
        let expected: [LineFramer.Frame] = [.line(line), .line(Array("next".utf8))]
        #expect(frames([text]) == expected)
        #expect(frames(text.map { [$0] }) == expected, "byte by byte")
        for cut in 1..<text.count {
            #expect(frames([Array(text[..<cut]), Array(text[cut...])]) == expected, "cut at \(cut)")
        }
        #expect(frames([line + [0x0D]]) == [.line(line)], "at end of input")
        #expect(frames([line + [0x0D, 0x41, 0x0A]]) == [.tooLong(limit: 64)], "a \\r inside is content")
        #expect(frames([line + [0x41, 0x0D, 0x0A]]) == [.tooLong(limit: 64)])
        #expect(frames([line + [0x0D, 0x0D, 0x0A]]) == [.tooLong(limit: 64)], "only one \\r is the terminator's")
    }

    @Test func theFramerSaysWhenItIsWithinALine() {
        var framer = LineFramer(maxLineBytes: 8)
        #expect(!framer.isWithinLine)
        _ = framer.feed(Array("ab".utf8))
        #expect(framer.isWithinLine)
        _ = framer.feed(Array("\n".utf8))
        #expect(!framer.isWithinLine)
        _ = framer.feed(Array("0123456789".utf8))
        #expect(framer.isWithinLine, "skipping an overlong line")
        _ = framer.feed(Array("\n".utf8))
        #expect(!framer.isWithinLine)
    }

    @Test func anOverlongLastLineWithoutNewlineIsReportedOnce() {
        #expect(frames([[UInt8](repeating: 0x41, count: 200)]) == [.tooLong(limit: 64)])
    }
}
