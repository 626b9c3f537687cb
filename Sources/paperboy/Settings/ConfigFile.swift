import Configuration
import Foundation

/// The optional JSON config file (`--config FILE`, `PAPERBOY_CONFIG`): one object whose keys are
/// the catalog's. A file that is named but missing, unreadable, not JSON or holding a key no
/// setting has stops the command with one line before anything else happens.
enum ConfigFile {
    /// Keys the file may hold: every setting's but the one naming the file.
    static var keys: Set<String> { Set(Setting.catalog.map(\.key)).subtracting([Setting.configFile.key]) }

    static func provider(at path: String) async throws -> FileProvider<JSONSnapshot> {
        try check(path)
        let secrets = Set(Setting.catalog.filter(\.isSecret).map(\.key))
        do {
            return try await FileProvider<JSONSnapshot>(parsingOptions: .init(secretsSpecifier: .specific(secrets)), filePath: .init(path))
        } catch {
            throw CommandFailure("config file \(path): \(error)")
        }
    }

    /// The library reads the file again; it is small, and a misspelt key would otherwise be
    /// silently ignored.
    private static func check(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandFailure("config file \(path) does not exist")
        }
        guard !isDirectory.boolValue else { throw CommandFailure("config file \(path) is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CommandFailure("cannot read config file \(path): \(error.localizedDescription)")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw CommandFailure("config file \(path) is not valid JSON\(reason(error))")
        }
        guard let object = parsed as? [String: Any] else {
            throw CommandFailure("config file \(path) must hold one JSON object, e.g. {\"port\": 8080}")
        }
        if let unknown = object.keys.filter({ !keys.contains($0) }).sorted().first {
            throw CommandFailure("config file \(path): no setting is called “\(unknown)” (paperboy config lists them)")
        }
    }

    /// Foundation's account of where the JSON goes wrong, on one line, when it gives one.
    private static func reason(_ error: any Error) -> String {
        guard let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String else { return "" }
        return ": " + detail.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
