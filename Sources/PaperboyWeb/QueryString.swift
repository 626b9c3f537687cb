import Foundation
import Hummingbird

/// Query-string parameters decoded the way HTML forms encode them (`+` is a space), which
/// Hummingbird's `queryParameters` leaves alone. Malformed percent escapes are kept literally
/// rather than rejected: a search for "100%" must still work.
struct QueryString: Sendable {
    private var values: [(name: String, value: String)] = []

    init(_ request: Request) {
        self.init(request.uri.query ?? "")
    }

    init(_ query: String) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            values.append((name, value))
        }
    }

    /// The first value of `name`, or nil when absent.
    func get(_ name: String) -> String? {
        values.first { $0.name == name }?.value
    }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
