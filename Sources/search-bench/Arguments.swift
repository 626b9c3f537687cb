/// Minimal `command --name value` parsing; the bench has no dependencies.
struct Arguments {
    let command: String?
    private var options: [String: String] = [:]

    init<S: Sequence>(_ raw: S) where S.Element == String {
        var items = Array(raw)
        command = items.isEmpty ? nil : items.removeFirst()
        var index = 0
        while index < items.count {
            let item = items[index]
            if item.hasPrefix("--") {
                let value = index + 1 < items.count && !items[index + 1].hasPrefix("--") ? items[index + 1] : "true"
                options[String(item.dropFirst(2))] = value
                index += value == "true" ? 1 : 2
            } else {
                index += 1
            }
        }
    }

    func value(_ name: String, default fallback: String) -> String { options[name] ?? fallback }

    func optional(_ name: String) -> String? { options[name] }

    func required(_ name: String) throws -> String {
        guard let value = options[name] else { throw UsageError(message: "missing --\(name)") }
        return value
    }
}

struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
