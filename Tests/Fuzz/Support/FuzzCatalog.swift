#if canImport(Glibc)
    import Glibc
#endif

/// Where the fuzz targets find the Catalog: `$CDS_CATALOG`, else `./Catalog`.
public enum FuzzCatalog {
    public static var directory: String {
        getenv("CDS_CATALOG").map { String(cString: $0) } ?? "Catalog"
    }
}
