import Foundation

/// Finds files copied from `Resources/` into the module's bundle, whichever bundle layout
/// the platform uses.
enum WebResources {
    static func path(_ name: String, in subdirectory: String) -> String? {
        let url = URL(fileURLWithPath: name)
        let ext = url.pathExtension
        return Bundle.module.url(
            forResource: ext.isEmpty ? name : url.deletingPathExtension().lastPathComponent,
            withExtension: ext.isEmpty ? nil : ext,
            subdirectory: "Resources/\(subdirectory)"
        )?.path
            ?? Bundle.module.url(forResource: name, withExtension: nil, subdirectory: nil).map {
                $0.deletingLastPathComponent().appendingPathComponent("Resources/\(subdirectory)/\(name)").path
            }
    }
}
