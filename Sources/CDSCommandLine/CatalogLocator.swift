#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the Catalog directory, in one documented order (docs/operations.md), the first
/// that holds a `catalog.json` winning:
///
/// 1. `--catalog DIR`;
/// 2. `$CDS_CATALOG`;
/// 3. beside the executable: `BINDIR/Catalog`, then the install prefix's share directory,
///    `BINDIR/../share/cds/Catalog` (what `make install` lays out);
/// 4. the build's own: the `Catalog` of the package the executable was built in (an
///    ancestor of its directory holding `Package.swift`).
///
/// The working directory plays no part: a `./Catalog` where `cds` happens to be run does
/// not replace the installed one. A named location (1, 2) that holds no Catalog is an error,
/// not a reason to look further.
package enum CatalogLocator {
    /// A Catalog directory and the rule that chose it.
    package struct Found: Equatable {
        package var directory: String
        package var source: String
    }

    package enum Result {
        case success(Found)
        case failure(String)
    }

    package static func locate(explicit: String?) -> Result {
        if let explicit {
            return isCatalog(explicit)
                ? .success(Found(directory: explicit, source: "--catalog")) : .failure("--catalog \(explicit): no catalog.json there")
        }
        if let env = getenv("CDS_CATALOG").map({ String(cString: $0) }), !env.isEmpty {
            return isCatalog(env)
                ? .success(Found(directory: env, source: "CDS_CATALOG")) : .failure("CDS_CATALOG=\(env): no catalog.json there")
        }
        let binDirectory = executableDirectory()
        if let binDirectory {
            if isCatalog(binDirectory + "/Catalog") {
                return .success(Found(directory: binDirectory + "/Catalog", source: "beside the executable"))
            }
            if let prefix = parent(of: binDirectory), isCatalog(prefix + "/share/cds/Catalog") {
                return .success(Found(directory: prefix + "/share/cds/Catalog", source: "the install prefix"))
            }
        }
        if let root = packageRoot() { return .success(Found(directory: root + "/Catalog", source: "the build's package")) }
        let looked = binDirectory.map { "\($0)/Catalog, \(parent(of: $0) ?? "")/share/cds/Catalog, " } ?? ""
        return .failure(
            "no Catalog found (looked in \(looked)and the package this cds was built in): pass --catalog DIR or set CDS_CATALOG")
    }

    /// The package the executable was built from (the directory holding `Package.swift`
    /// and `Catalog/`), found from the executable's location.
    package static func packageRoot() -> String? {
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

    /// The directory of the running executable, symbolic links resolved.
    package static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return parent(of: path)
    }

    /// The directory holding `path`, or `nil` for `/` and bare names.
    package static func parent(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        return String(path[..<slash])
    }
}
