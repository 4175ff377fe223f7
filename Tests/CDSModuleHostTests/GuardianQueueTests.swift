@testable import CDSModuleHost
import Glibc
import Testing

/// A socket stand-in: takes at most `room` bytes per call, then refuses with `refusal`.
private final class FakeSocket {
    var received: [UInt8] = []
    var room: Int
    var perCall: Int
    var refusal = EAGAIN

    init(room: Int = .max, perCall: Int = .max) {
        self.room = room
        self.perCall = perCall
    }

    func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = min(bytes.count, room, perCall)
        if n == 0 {
            errno = refusal
            return -1
        }
        received += bytes.prefix(n)
        room -= n
        return n
    }

    var text: String { String(decoding: received, as: UTF8.self) }
}

@Suite("The guardian's messages: none lost, in order")
struct GuardianQueueTests {
    @Test func linesGoOutWholeAndInOrderThroughPartialSends() {
        var queue = GuardianQueue()
        let socket = FakeSocket(perCall: 3)
        for line in ["+101\n", "+202\n", "-303\n"] { queue.add(line) }
        // A short send is a full socket: the flush stops there, and the next one goes on.
        var flushes = 0
        while !queue.isEmpty && flushes < 100 {
            #expect(queue.flush(socket.send) == false)
            flushes += 1
        }
        #expect(socket.text == "+101\n+202\n-303\n")
        #expect(flushes == 4, "each flush goes on until a send falls short: 3, 2+3, 2+3, 2 bytes")
    }

    @Test func whatTheGuardianDoesNotTakeWaitsForTheNextFlush() {
        var queue = GuardianQueue()
        let socket = FakeSocket(room: 7)
        queue.add("+101\n")
        queue.add("+202\n")
        #expect(queue.flush(socket.send) == false, "a full socket is not a gone guardian")
        #expect(socket.text == "+101\n+2")
        #expect(!queue.isEmpty)
        queue.add("-101\n")
        socket.room = .max
        #expect(queue.flush(socket.send) == false)
        #expect(socket.text == "+101\n+202\n-101\n", "the rest of the cut line first, then the next")
        #expect(queue.isEmpty)
    }

    @Test func anUnregistrationCancelsARegistrationNotYetSent() {
        var queue = GuardianQueue()
        let socket = FakeSocket(room: 0)
        queue.add("+101\n")
        queue.add("+202\n")
        #expect(queue.flush(socket.send) == false)
        queue.add("-202\n")
        #expect(queue.lines == [Array("+101\n".utf8)], "the guardian never needed to hear of 202")
        queue.add("-101\n")
        #expect(queue.isEmpty)
    }

    @Test func aRegistrationPartlySentIsNotTakenBack() {
        var queue = GuardianQueue()
        let socket = FakeSocket(room: 2)
        queue.add("+101\n")
        #expect(queue.flush(socket.send) == false)
        queue.add("-101\n")
        socket.room = .max
        #expect(queue.flush(socket.send) == false)
        #expect(socket.text == "+101\n-101\n")
    }

    @Test func aGuardianThatIsGoneEmptiesTheQueue() {
        var queue = GuardianQueue()
        let socket = FakeSocket(room: 0)
        socket.refusal = EPIPE
        queue.add("+101\n")
        #expect(queue.flush(socket.send) == true)
        #expect(queue.isEmpty)
    }
}
