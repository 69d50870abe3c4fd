import Foundation

/// The files named on the command line, with directories walked recursively in sorted
/// (byte) order, lazily: only the directories on the current path are held in memory.
///
/// ```swift
/// var walker = InputWalker(paths: ["./exports"])
/// while let entry = walker.next() { … }
/// ```
///
/// Hidden entries (names starting with `.`) inside walked directories are skipped with a
/// note; a directory reached twice through symbolic links is walked once.
struct InputWalker {
    enum Entry: Equatable {
        case file(String)
        case stdin
        case problem(path: String, message: String, isError: Bool)
    }

    private var roots: [String]
    private var rootIndex = 0
    private var stack: [(path: String, names: [String], index: Int)] = []
    private var visited = Set<[UInt64]>()

    init(paths: [String]) {
        roots = paths
    }

    mutating func next() -> Entry? {
        while true {
            if var top = stack.popLast() {
                guard top.index < top.names.count else { continue }
                let name = top.names[top.index]
                top.index += 1
                stack.append(top)
                let path = top.path.hasSuffix("/") ? top.path + name : top.path + "/" + name
                if name.hasPrefix(".") {
                    return .problem(path: path, message: "skipped hidden entry \(name)", isError: false)
                }
                if let entry = visit(path, named: false) { return entry }
                continue
            }
            guard rootIndex < roots.count else { return nil }
            let root = roots[rootIndex]
            rootIndex += 1
            if root == "-" { return .stdin }
            if let entry = visit(root, named: true) { return entry }
        }
    }

    private mutating func visit(_ path: String, named: Bool) -> Entry? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            var broken = stat()
            if lstat(path, &broken) == 0 {
                return .problem(path: path, message: "cannot follow symbolic link: \(reason)", isError: true)
            }
            return .problem(path: path, message: named ? "no such file or directory" : reason, isError: true)
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            let key = [UInt64(info.st_dev), UInt64(info.st_ino)]
            guard visited.insert(key).inserted else {
                return .problem(path: path, message: "directory already walked (a symbolic link loop?); skipped", isError: false)
            }
            do {
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                    .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                stack.append((path, names, 0))
                return nil
            } catch {
                return .problem(path: path, message: "cannot list directory: \(String(cString: strerror(EACCES)))", isError: true)
            }
        case S_IFREG:
            return .file(path)
        default:
            if named { return .file(path) }  // a FIFO or device named explicitly is read
            return .problem(path: path, message: "not a regular file; skipped", isError: false)
        }
    }
}
