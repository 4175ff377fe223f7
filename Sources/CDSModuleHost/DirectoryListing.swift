import CDSEngine

enum DirectoryListing {
    /// The entry names of a directory (without `.` and `..`), or `nil` if unreadable.
    static func names(_ path: String) -> [String]? { FileSystem.directoryNames(path) }
}
