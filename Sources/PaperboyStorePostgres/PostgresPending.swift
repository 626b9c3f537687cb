import Foundation
import PaperboyCore
import PaperboyStore

// Not written yet: each conformance moves to its own file as it is written.

enum PostgresPending: Error, CustomStringConvertible {
    case notYet(String)
    var description: String {
        switch self {
        case .notYet(let name): "\(name) is not available on PostgreSQL yet"
        }
    }
}

extension PostgresPaperStore: BackupStore {
    public func backup(to path: String) async throws -> BackupReport {
        throw PostgresPending.notYet(#function)
    }
}
