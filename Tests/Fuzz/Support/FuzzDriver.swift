#if canImport(Glibc)
    import Glibc
#endif

/// Runs a fuzz target: under libFuzzer when the binary was built with
/// `-sanitize=fuzzer` (and `--export-dynamic`), otherwise as a replayer that feeds every
/// file named on the command line (or found in a named directory) to the target once,
/// which is how the corpus runs as a regression test in ordinary builds.
public enum FuzzDriver {
    public typealias Target = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

    private typealias RunDriver =
        @convention(c) (
            UnsafeMutablePointer<Int32>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>, Target
        ) -> Int32

    public static func main(_ target: Target) -> Never {
        if let symbol = dlsym(nil, "LLVMFuzzerRunDriver") {  // nil is RTLD_DEFAULT
            let run = unsafeBitCast(symbol, to: RunDriver.self)
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(run(&argc, &argv, target))
        }
        var count = 0
        for argument in CommandLine.arguments.dropFirst() where !argument.hasPrefix("-") {
            for file in files(argument) {
                let bytes = read(file)
                _ = bytes.withUnsafeBufferPointer { target($0.baseAddress, $0.count) }
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash")
        exit(count > 0 ? 0 : 1)
    }

    private static func files(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(path + "/" + name) }
        }
        return names.sorted()
    }

    private static func read(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            result += buffer[0..<n]
        }
        return result
    }
}
