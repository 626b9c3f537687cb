import NIOCore
import Synchronization

/// The server's open connections, so that a newcomer over the limit can take the place of the
/// one that has waited longest without being answered (idle keep-alives and slow senders),
/// instead of queueing behind them. Connections whose requests are being answered stay.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        /// When the connection last became idle or started reading; nil while it is answered.
        var waitingSince: NIODeadline?
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    let maximum: Int

    init(maximum: Int) {
        self.maximum = maximum
    }

    func opened(_ channel: any Channel) {
        let victim = entries.withLock { entries -> (any Channel)? in
            entries[ObjectIdentifier(channel)] = Entry(channel: channel, waitingSince: .now())
            guard entries.count > maximum else { return nil }
            let oldest = entries.lazy.filter { $0.key != ObjectIdentifier(channel) }
                .compactMap { key, entry in entry.waitingSince.map { (key, $0) } }
                .min { $0.1 < $1.1 }
            guard let oldest else { return nil }
            return entries.removeValue(forKey: oldest.0)?.channel
        }
        victim?.close(promise: nil)
    }

    func closed(_ channel: any Channel) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// `waiting`: idle or still reading a request, so it may be closed for a newcomer.
    func setEvictable(_ channel: any Channel, _ waiting: Bool) {
        entries.withLock { entries in
            let key = ObjectIdentifier(channel)
            guard var entry = entries[key] else { return }
            if waiting {
                if entry.waitingSince == nil { entry.waitingSince = .now() }
            } else {
                entry.waitingSince = nil
            }
            entries[key] = entry
        }
    }
}
