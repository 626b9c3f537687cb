import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why a path cannot be read, in the operating system's words, so a message can say more than
/// "no such file" about a file that is there.
enum FileAccess {
    /// nil when the path opens and its first byte reads; otherwise "permission denied",
    /// "is a directory", and so on.
    static func readProblem(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return reason(errno) }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        guard read(descriptor, &byte, 1) >= 0 else { return reason(errno) }
        return nil
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }
}
