import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A pipe for a child process's standard stream whose two descriptors are close-on-exec, so
/// that a process spawned meanwhile by another test (a `cds serve`, a module's guardian)
/// does not inherit them: an inherited write end kept a server's standard input open after
/// its test closed it, and the server waited for the end of its input forever. The child
/// still gets the end `Process` duplicates onto its standard stream (a duplicate is not
/// close-on-exec).
package func childPipe() -> Pipe {
    let pipe = Pipe()
    _ = fcntl(pipe.fileHandleForReading.fileDescriptor, F_SETFD, FD_CLOEXEC)
    _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
    return pipe
}
