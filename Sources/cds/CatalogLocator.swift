#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the Catalog directory: an explicit option, then `$CDS_CATALOG`, then `./Catalog`,
/// then a `Catalog` directory in an ancestor of the executable's directory (so that a
/// built `cds` finds the repository's Catalog wherever it is run from).
enum CatalogLocator {
    enum Result {
        case success(String)
        case failure(String)
    }

    static func locate(explicit: String?) -> Result {
        if let explicit {
            return isCatalog(explicit) ? .success(explicit) : .failure("--catalog \(explicit): no catalog.json there")
        }
        if let env = getenv("CDS_CATALOG").map({ String(cString: $0) }), !env.isEmpty {
            return isCatalog(env) ? .success(env) : .failure("CDS_CATALOG=\(env): no catalog.json there")
        }
        if isCatalog("Catalog") { return .success("Catalog") }
        var dir = executableDirectory()
        while let current = dir {
            let candidate = current + "/Catalog"
            if isCatalog(candidate) { return .success(candidate) }
            dir = parent(of: current)
        }
        return .failure("no Catalog found: pass --catalog DIR or set CDS_CATALOG")
    }

    /// The package the executable was built from (the directory holding `Package.swift`
    /// and `Catalog/`), found from the executable's location.
    static func packageRoot() -> String? {
        var dir = executableDirectory()
        while let current = dir {
            var st = stat()
            if isCatalog(current + "/Catalog"), stat(current + "/Package.swift", &st) == 0 { return current }
            dir = parent(of: current)
        }
        return nil
    }

    private static func isCatalog(_ dir: String) -> Bool {
        var st = stat()
        return stat(dir + "/catalog.json", &st) == 0
    }

    private static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return parent(of: path)
    }

    private static func parent(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        return String(path[..<slash])
    }
}
