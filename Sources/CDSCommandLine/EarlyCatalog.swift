import CDSEngine
import CDSInterop
import Dispatch

/// The Catalog load of `cds serve` and `cds evaluate`, begun on a thread of its own before
/// the command line is parsed, so that the two overlap at start (docs/performance.md,
/// Start-up).
///
/// It is begun only when the command line names nothing that changes which Catalog and
/// packs load (`--catalog`, `--pack-dir`, and the module options, whose manifests may bring
/// packs), and taken only by a load of the same directory with no extra pack; any other
/// load reads the Catalog itself, as it always did. Loading writes nothing and logs
/// nothing, so a load nobody takes leaves no trace; the one taken gives exactly what a load
/// then would (the same files, read once), errors included.
package enum EarlyCatalog {
    /// The options after which the Catalog or its packs may differ from the default.
    static let deciding = ["--catalog", "--pack-dir", "--modules-dir", "--module-manifest", "--config"]

    /// A load in progress or done.
    final class Load: Sendable {
        let directory: String
        private let done = DispatchSemaphore(value: 0)
        private let outcome = Locked<Result<Catalog, CatalogLoadError>?>(nil)

        init(directory: String) {
            self.directory = directory
        }

        func run() {
            let result = Result { () throws(CatalogLoadError) -> Catalog in try Interop.loadCatalog(directory: directory) }
            outcome.withLock { $0 = result }
            done.signal()
        }

        /// Waits for the load to end.
        func result() -> Result<Catalog, CatalogLoadError> {
            done.wait()
            done.signal()
            guard let result = outcome.withLock({ $0 }) else { preconditionFailure("signalled before the outcome was set") }
            return result
        }
    }

    private static let started = Locked<Load?>(nil)

    /// Whether `arguments` (a command's, after its name) leave the Catalog to be found the
    /// default way, with no extra pack.
    package static func mayBegin(for arguments: some Sequence<String>) -> Bool {
        !arguments.contains { argument in
            deciding.contains { argument == $0 || argument.hasPrefix($0 + "=") }
        }
    }

    /// Begins loading the default Catalog when `arguments` allow it (``mayBegin(for:)``)
    /// and one is found; otherwise does nothing.
    package static func begin(for arguments: some Sequence<String>) {
        guard mayBegin(for: arguments), case .success(let found) = CatalogLocator.locate(explicit: nil) else { return }
        let load = Load(directory: found.directory)
        started.withLock { $0 = load }
        // On a thread of its own: a dispatch queue's first use would start libdispatch's
        // threads first, which took up to 3 ms here.
        if !DetachedThread.start({ load.run() }) { load.run() }
    }

    /// The early load's outcome, if one was begun for `directory`; it is handed out once.
    static func take(directory: String) -> Result<Catalog, CatalogLoadError>? {
        guard
            let load = started.withLock({ state -> Load? in
                defer { state = nil }
                return state
            }), load.directory == directory
        else {
            return nil
        }
        return load.result()
    }
}
