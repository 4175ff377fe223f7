import ArgumentParser
import CDSEngine

/// Reads a case document from a file or standard input (`-`), with a size limit.
enum CaseInput {
    static let limit = 1 << 20

    /// The bytes of the case, or exit status 66 with the reason on standard error.
    static func readOrExit(_ path: String) throws -> [UInt8] {
        do {
            return try FileSystem.read(path, limit: limit)
        } catch {
            StandardStreams.error("cds: error: \(error)")
            throw ExitCode(66)
        }
    }
}
