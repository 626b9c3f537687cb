import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which machine and process this is, and whether another process on this machine still
/// runs: the digest lease names its holder by host and pid, so a lease left by a process that
/// died here can be taken over at once. Injected, so a test can be any host and any pid.
public protocol ProcessIdentity: Sendable {
    var hostName: String { get }
    var processID: Int32 { get }
    /// Whether process `pid` exists on this machine.
    func isRunning(_ pid: Int32) -> Bool
}

/// The operating system's answers.
public struct SystemProcessIdentity: ProcessIdentity {
    public init() {}

    public var hostName: String { ProcessInfo.processInfo.hostName }
    public var processID: Int32 { getpid() }

    /// A process we may not signal (EPERM) still exists; only ESRCH says it is gone.
    public func isRunning(_ pid: Int32) -> Bool {
        !(kill(pid, 0) == -1 && errno == ESRCH)
    }
}

/// A made-up host and pid for tests; only the pids in `running` (and our own) run.
public struct FixedProcessIdentity: ProcessIdentity {
    public var hostName: String
    public var processID: Int32
    public var running: Set<Int32>

    public init(hostName: String, processID: Int32, running: Set<Int32> = []) {
        self.hostName = hostName
        self.processID = processID
        self.running = running
    }

    public func isRunning(_ pid: Int32) -> Bool {
        pid == processID || running.contains(pid)
    }
}
