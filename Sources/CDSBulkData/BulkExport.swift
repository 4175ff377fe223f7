import CDSEngine
import CDSJSON

#if canImport(Glibc)
    import Glibc
#endif

/// The files of a FHIR Bulk Data export in a local folder: the `$export` manifest's
/// `output` and `deleted` files when the folder holds `manifest.json` (the body of the
/// export's complete status response), else every `*.ndjson` file, in name order.
package struct BulkExport: Sendable {
    /// The manifest's file name in the export folder.
    package static let manifestName = "manifest.json"

    /// One NDJSON file to read, with the resource type the manifest gives it (if any).
    package struct File: Sendable, Hashable {
        package var path: String
        package var type: String?
    }

    /// Why an export cannot be read.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    package var directory: String
    /// Resource files (the manifest's `output`, or every `*.ndjson`).
    package var files: [File]
    /// Files of deletion Bundles (the manifest's `deleted`).
    package var deletedFiles: [File]
    /// How many `error` files (OperationOutcome) the manifest lists; they are not read.
    package var errorFiles: Int
    /// Whether the files came from a manifest.
    package var fromManifest: Bool

    /// Total bytes of every file to read.
    package var totalBytes: Int64 {
        (files + deletedFiles).reduce(0) { total, file in
            var st = stat()
            return total + (stat(file.path, &st) == 0 ? Int64(st.st_size) : 0)
        }
    }

    /// The export in `directory`.
    package static func open(directory: String) throws(Failure) -> BulkExport {
        guard let names = FileSystem.directoryNames(directory) else {
            throw Failure(description: "\(directory): cannot read the folder: \(String(cString: strerror(errno)))")
        }
        let manifestPath = FileSystem.join(directory, manifestName)
        guard names.contains(manifestName) else {
            let ndjson = names.filter { $0.hasSuffix(".ndjson") }.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            guard !ndjson.isEmpty else { throw Failure(description: "\(directory): no \(manifestName) and no *.ndjson file") }
            return BulkExport(
                directory: directory, files: ndjson.map { File(path: FileSystem.join(directory, $0), type: nil) },
                deletedFiles: [], errorFiles: 0, fromManifest: false)
        }
        let manifest: JSONValue
        do {
            manifest = try JSONParser().parse(try FileSystem.read(manifestPath, limit: 64 << 20))
        } catch let error as JSONParseError {
            throw Failure(description: "\(manifestPath): invalid JSON at byte \(error.offset): \(error.message)")
        } catch {
            throw Failure(description: "\(error)")
        }
        guard let output = manifest["output"]?.arrayValue else {
            throw Failure(description: "\(manifestPath): /output: expected the array of exported files")
        }
        func files(_ member: String, _ entries: [JSONValue]) throws(Failure) -> [File] {
            var result: [File] = []
            for (index, entry) in entries.enumerated() {
                guard let url = entry["url"]?.stringValue, let name = Self.fileName(url) else {
                    throw Failure(description: "\(manifestPath): /\(member)/\(index)/url: expected the URL of an NDJSON file")
                }
                let path = FileSystem.join(directory, name)
                guard FileSystem.isFile(path) else {
                    throw Failure(description: "\(manifestPath): /\(member)/\(index)/url: \(name) is not in \(directory)")
                }
                result.append(File(path: path, type: entry["type"]?.stringValue))
            }
            return result
        }
        return BulkExport(
            directory: directory, files: try files("output", output),
            deletedFiles: try files("deleted", manifest["deleted"]?.arrayValue ?? []),
            errorFiles: manifest["error"]?.arrayValue?.count ?? 0, fromManifest: true)
    }

    /// The last path segment of a URL or path (without query or fragment): where the
    /// downloaded file lies in the export folder.
    package static func fileName(_ url: String) -> String? {
        let path = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? url
        let trimmed = path.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        guard let last = trimmed.split(separator: "/").last, last != ".", last != ".." else { return nil }
        return String(last)
    }
}
