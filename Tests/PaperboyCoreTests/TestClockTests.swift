import PaperboyCore
import PaperboyTestSupport
import Synchronization
import Testing

/// The clock timing tests run on: time moves only when the test moves it.
@Suite(.timeLimit(.minutes(1))) struct TestClockTests {
    /// A task sleeping `duration` on `clock`: "woke" when the sleep returned, else the error.
    static func sleeping(_ duration: Duration, on clock: TestClock) -> Task<String, Never> {
        Task {
            do {
                try await clock.sleep(for: duration)
                return "woke"
            } catch {
                return "\(type(of: error))"
            }
        }
    }

    @Test func aSleeperWakesWhenTheClockReachesItsDeadlineAndNotBefore() async {
        let clock = TestClock(now: 1000)
        let sleeper = Self.sleeping(.seconds(10), on: clock)
        await clock.sleepers(atLeast: 1)
        #expect(clock.deadlines == [1010])
        clock.advance(by: .seconds(9))
        #expect(clock.now == 1009)
        #expect(clock.deadlines == [1010], "a second early: still asleep")
        clock.advance(by: .seconds(1))
        #expect(await sleeper.value == "woke")
        #expect(clock.deadlines.isEmpty)
        #expect(clock.now == 1010)
    }

    @Test func advancingWakesExactlyTheSleepersDueByThen() async {
        let clock = TestClock()
        let late = Self.sleeping(.seconds(30), on: clock)
        let early = Self.sleeping(.seconds(10), on: clock)
        let middle = Self.sleeping(.seconds(20), on: clock)
        await clock.sleepers(atLeast: 3)
        #expect(clock.deadlines == [10, 20, 30])
        clock.advance(by: .seconds(25))
        #expect(await early.value == "woke")
        #expect(await middle.value == "woke")
        #expect(clock.deadlines == [30])
        #expect(clock.advanceToNextDeadline())
        #expect(await late.value == "woke")
        #expect(clock.now == 30)
        #expect(!clock.advanceToNextDeadline(), "nothing left asleep")
        #expect(Set(clock.sleptDurations) == [.seconds(10), .seconds(20), .seconds(30)])
    }

    @Test func timeNeverMovesBackwards() {
        let clock = TestClock(now: 50)
        clock.advance(to: 40)
        #expect(clock.now == 50)
        clock.advance(to: 60)
        #expect(clock.now == 60)
    }

    @Test func cancellingASleeperThrowsCancellationError() async {
        let clock = TestClock()
        let sleeper = Self.sleeping(.seconds(3600), on: clock)
        await clock.sleepers(atLeast: 1)
        sleeper.cancel()
        #expect(await sleeper.value == "CancellationError")
        #expect(clock.deadlines.isEmpty, "a cancelled sleeper is gone")
        #expect(clock.now == 0, "and no time passed")
    }

    @Test func anAlreadyCancelledTaskDoesNotSleep() async {
        let clock = TestClock()
        let result = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            do {
                try await clock.sleep(for: .seconds(1))
                return "woke"
            } catch {
                return "\(type(of: error))"
            }
        }.value
        #expect(result == "CancellationError")
        #expect(clock.deadlines.isEmpty)
    }

    @Test func aSleepOfZeroReturnsAtOnce() async throws {
        let clock = TestClock(now: 5)
        try await clock.sleep(for: .zero)
        #expect(clock.now == 5)
        #expect(clock.deadlines.isEmpty)
    }

    @Test func waitingForSleepersEndsWhenTheWaiterIsCancelled() async {
        let clock = TestClock()
        let waiter = Task { await clock.sleepers(atLeast: 1) }
        waiter.cancel()
        await waiter.value
        #expect(clock.deadlines.isEmpty)
    }

    @Test func workThatSleepsRunsToTheEndWhenTheClockFollowsIt() async throws {
        let clock = TestClock(now: 0)
        let ticks = try await clock.advancingToEachDeadline {
            var ticks = 0
            for _ in 0..<10 {
                try await clock.sleep(for: .seconds(60))
                ticks += 1
            }
            return ticks
        }
        #expect(ticks == 10)
        #expect(clock.now == 600, "ten minutes of clock time, none of it real")
        #expect(clock.sleptDurations == Array(repeating: .seconds(60), count: 10))
    }
}
