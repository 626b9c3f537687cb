import Configuration
import Synchronization

/// The reader's last access event for each key. An event lists every provider's answer in the
/// reader's order, so its position tells which source a value came from.
final class AccessRecorder: AccessReporter {
    private let events = Mutex<[AbsoluteConfigKey: AccessEvent]>([:])

    func report(_ event: AccessEvent) {
        events.withLock { $0[event.metadata.key] = event }
    }

    func event(for key: AbsoluteConfigKey) -> AccessEvent? {
        events.withLock { $0[key] }
    }
}
