import CDSEngine
import CDSJSON

/// How the host runs one external module; written by the operator, never by a request.
///
/// ```json
/// {"id": "snapping-hip", "executable": "bin/snapping-hip", "arguments": [], "priority": 55, "timeoutMilliseconds": 2000, "pack": "pack"}
/// ```
/// A relative `executable` is resolved against the manifest's directory.
package struct ModuleManifest: Sendable, Hashable {
    package var id: String
    package var executable: String
    package var arguments: [String] = []
    /// Used when the Catalog policy does not name the module.
    package var priority: Int?
    /// Deadline for each call (handshake and assess).
    package var timeoutMilliseconds: Int = 2000
    /// Where the manifest came from, for messages.
    package var origin: String
    /// The folder of the knowledge pack the module ships (`"pack"`, relative to the
    /// manifest), loaded with the Catalog's packs, all or nothing.
    package var pack: String?
    /// The id of that pack once the Catalog is loaded (the host sets it): the module's
    /// pack unless its descriptor names one.
    package var packID: String?

    package init(
        id: String, executable: String, arguments: [String] = [], priority: Int? = nil, timeoutMilliseconds: Int = 2000, origin: String,
        pack: String? = nil
    ) {
        self.pack = pack
        self.id = id
        self.executable = executable
        self.arguments = arguments
        self.priority = priority
        self.timeoutMilliseconds = timeoutMilliseconds
        self.origin = origin
    }

    /// A problem in a manifest or configuration file: `file: path: message`.
    package typealias Problem = PathIssue

    /// Reads the manifest file at `path`.
    package static func load(_ path: String) throws(Problem) -> ModuleManifest {
        let document = try readJSON(path)
        guard case .object(let o) = document else { throw Problem(file: path, path: "", message: "expected an object") }
        let allowed: Set<String> = ["id", "executable", "arguments", "priority", "timeoutMilliseconds", "pack"]
        if let unknown = o.orderedKeys.first(where: { !allowed.contains($0) }) {
            throw Problem(
                file: path, path: JSONPointer(tokens: [unknown]),
                message: "unknown member (allowed: \(allowed.sorted().joined(separator: ", ")))",
                code: .unknownMember, member: unknown)
        }
        guard let id = o["id"]?.stringValue, !id.isEmpty else {
            throw Problem(file: path, path: "/id", message: "expected a non-empty string")
        }
        guard let executable = o["executable"]?.stringValue, !executable.isEmpty else {
            throw Problem(file: path, path: "/executable", message: "expected the path of the module executable")
        }
        var arguments: [String] = []
        if let a = o["arguments"] {
            guard let list = a.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw Problem(file: path, path: "/arguments", message: "expected an array of strings")
            }
            arguments = list.compactMap(\.stringValue)
        }
        var priority: Int?
        if let p = o["priority"] {
            guard let v = p.integerValue, (0...1000).contains(v) else {
                throw Problem(file: path, path: "/priority", message: "expected an integer from 0 to 1000")
            }
            priority = Int(v)
        }
        var timeout = 2000
        if let t = o["timeoutMilliseconds"] {
            guard let v = t.integerValue, (1...600_000).contains(v) else {
                throw Problem(file: path, path: "/timeoutMilliseconds", message: "expected an integer from 1 to 600000")
            }
            timeout = Int(v)
        }
        let directory = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let resolved = executable.hasPrefix("/") ? executable : directory + "/" + executable
        var pack: String?
        if let p = o["pack"] {
            guard let text = p.stringValue, !text.isEmpty else {
                throw Problem(file: path, path: "/pack", message: "expected the path of the module's knowledge pack folder")
            }
            pack = text.hasPrefix("/") ? text : directory + "/" + text
        }
        return ModuleManifest(
            id: id, executable: resolved, arguments: arguments, priority: priority, timeoutMilliseconds: timeout, origin: path,
            pack: pack)
    }

    static func readJSON(_ path: String) throws(Problem) -> JSONValue {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: 1 << 20)
        } catch {
            throw Problem(file: path, path: .root, message: "cannot read: \(error.reason)", code: .unreadable)
        }
        do {
            return try JSONParser().parse(bytes)
        } catch {
            throw Problem(file: path, path: .root, message: "invalid JSON at byte \(error.offset): \(error.message)", code: .invalidJSON)
        }
    }
}

/// Where the operator says external modules are: a modules directory (every `*.json` in it
/// is a manifest), single manifests, and a configuration file naming either.
package struct ModuleConfiguration: Sendable {
    package var directories: [String] = []
    package var manifests: [String] = []

    package init(directories: [String] = [], manifests: [String] = []) {
        self.directories = directories
        self.manifests = manifests
    }

    /// Adds what a configuration file names: `{"modulesDirectory": "...", "manifests": ["..."]}`,
    /// paths relative to the file.
    package mutating func add(configurationFile path: String) throws(ModuleManifest.Problem) {
        let document = try ModuleManifest.readJSON(path)
        guard case .object(let o) = document else { throw .init(file: path, path: "", message: "expected an object") }
        let base = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base + "/" + p }
        for key in o.orderedKeys where key != "modulesDirectory" && key != "manifests" {
            throw .init(
                file: path, path: JSONPointer(tokens: [key]), message: "unknown member (allowed: manifests, modulesDirectory)",
                code: .unknownMember, member: key)
        }
        if let d = o["modulesDirectory"] {
            guard let s = d.stringValue else { throw .init(file: path, path: "/modulesDirectory", message: "expected a string") }
            directories.append(resolve(s))
        }
        if let m = o["manifests"] {
            guard let list = m.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw .init(file: path, path: "/manifests", message: "expected an array of strings")
            }
            manifests += list.compactMap(\.stringValue).map(resolve)
        }
    }

    /// Every manifest, directories first (files in name order), then the single ones.
    package func loadManifests() throws(ModuleManifest.Problem) -> [ModuleManifest] {
        var paths: [String] = []
        for directory in directories {
            guard let entries = DirectoryListing.names(directory) else {
                throw .init(file: directory, path: "", message: "cannot read the modules directory")
            }
            paths += entries.filter { $0.hasSuffix(".json") }.sorted().map { directory + "/" + $0 }
        }
        paths += manifests
        var result: [ModuleManifest] = []
        var ids: Set<String> = []
        for path in paths {
            let manifest = try ModuleManifest.load(path)
            guard ids.insert(manifest.id).inserted else {
                throw .init(file: path, path: "/id", message: "another manifest already declares module \"\(manifest.id)\"")
            }
            result.append(manifest)
        }
        return result
    }
}
