import Foundation
import PaperboyCore
import PaperboyStore
import Synchronization

/// A named lease in the store: only its holder runs the job it guards (the day's digest, one
/// source's sync), so two instances never run it at once. A holder is `host:pid:random`, so a
/// lease left by a process that died on this machine is taken over at once, not after it
/// expires. (On PostgreSQL this becomes a lock; the callers do not change.)
public final class StoreLease: Sendable {
    let store: any LeaseStore
    let name: String
    let holder: String
    let duration: Double
    let clock: any WallClock
    let identity: any ProcessIdentity
    /// Wall-clock seconds of the last renewal (the injected clock, so tests can move time).
    private let lastRenewal: Mutex<Double>

    init(store: any LeaseStore, name: String, holder: String, duration: Double, clock: any WallClock, identity: any ProcessIdentity) {
        self.store = store
        self.name = name
        self.holder = holder
        self.duration = duration
        self.clock = clock
        self.identity = identity
        lastRenewal = Mutex(clock.now)
    }

    /// `host:pid:random`; the random part tells apart two holders in one process.
    static func holderName(identity: any ProcessIdentity, random: any RandomSource) -> String {
        "\(identity.hostName):\(identity.processID):\(random.hex(4))"
    }

    /// Takes the lease if it is free, expired, ours, or left by a dead process here; returns
    /// who holds it afterwards (`holder` when it is ours).
    func acquire() async throws -> String {
        let current = try await take(stealFrom: nil)
        guard current != holder, isDeadLocalProcess(current) else { return current }
        return try await take(stealFrom: current)
    }

    /// Extends the lease; false when another holder has it now.
    func renew() async throws -> Bool {
        guard try await take(stealFrom: nil) == holder else { return false }
        let now = clock.now
        lastRenewal.withLock { $0 = now }
        return true
    }

    /// Renews once a third of the lease has gone by (callers call it often: before every
    /// message, every page), so slow work never outlives the lease; false when it was lost.
    func renewIfDue() async throws -> Bool {
        guard clock.now - lastRenewal.withLock({ $0 }) > duration / 3 else { return true }
        return try await renew()
    }

    func release() async throws {
        try await store.releaseLease(name: name, holder: holder)
    }

    private func take(stealFrom: String?) async throws -> String {
        let now = Date(timeIntervalSince1970: clock.now)
        return try await store.acquireLease(name: name, holder: holder, until: now.addingTimeInterval(duration), now: now, stealFrom: stealFrom)
    }

    /// Whether `holder` names a process on this machine that no longer exists.
    func isDeadLocalProcess(_ holder: String) -> Bool {
        let parts = holder.split(separator: ":")
        guard parts.count == 3, String(parts[0]) == identity.hostName, let pid = Int32(parts[1]) else { return false }
        return !identity.isRunning(pid)
    }
}
