import Foundation
import GDArchiveModel
import GDArchiveStore

/// The files named on the command line, with directories walked recursively in sorted
/// (byte) order, lazily: only the directories on the current path are held in memory.
///
/// ```swift
/// var walker = InputWalker(paths: ["./exports"], since: nil)
/// while let entry = walker.next() { … }
/// ```
///
/// Hidden entries (names starting with `.`) inside walked directories are skipped with a
/// note; a directory reached twice through symbolic links is walked once. A symbolic link
/// inside a walked directory is followed only if it stays inside the tree named on the command
/// line (the real path of the named folder): one that leads elsewhere (a file a user linked
/// into a shared drop folder, `/etc/shadow`) is skipped with a note, and is read only when
/// named on the command line itself. With `since`, the
/// `YYYY/MM/DD` folders of the AWSLogs layout (`…/GuardDuty/<region>/YYYY/MM/DD/`) that end
/// before it are not entered at all.
struct InputWalker {
    struct FileInfo: Equatable {
        var size: Int64
        var mtimeNanoseconds: Int64
        /// False for a FIFO or device named on the command line (read as a stream).
        var isRegular = true
    }

    enum Entry: Equatable {
        case file(String, FileInfo)
        case stdin
        case problem(path: String, message: String, isError: Bool)
    }

    private var roots: [String]
    private var rootIndex = 0
    private var stack: [(path: String, names: [String], index: Int)] = []
    /// The real path of the folder named on the command line that is being walked.
    private var treeRoot: String?
    private var visited = Set<[UInt64]>()
    /// Files with more than one name (hard links) met so far, by device and inode: the path
    /// they were read under. (Only these: a file with one name is met once.)
    private var linkedFiles: [[UInt64]: String] = [:]
    private let since: Int64?

    /// Real paths of files never to read inside a walked folder: the archive being written and
    /// its companions (`-wal`, `-shm`, `.lock`), which an export folder kept beside it holds.
    private let excluded: Set<String>

    init(paths: [String], since: Int64? = nil, archivePath: String? = nil) {
        roots = paths
        self.since = since
        var excluded = Set<String>()
        if let archivePath, let real = Self.realPath(archivePath) {
            excluded = [real, real + "-wal", real + "-shm", real + "-journal", real + ".lock", ArchiveLock.waitingPath(archivePath: real)]
        }
        self.excluded = excluded
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
            treeRoot = Self.realPath(root)
            if let entry = visit(root, named: true) { return entry }
        }
    }

    private mutating func visit(_ path: String, named: Bool) -> Entry? {
        if !named, let treeRoot {
            var link = stat()
            // (A dangling link is left to the error below.)
            if lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK, let target = Self.realPath(path),
               target != treeRoot, !target.hasPrefix(treeRoot.hasSuffix("/") ? treeRoot : treeRoot + "/") {
                return .problem(path: path, message: "skipped: a symbolic link that leads out of the folder being imported (to \(target)); name it on the command line to import it", isError: false)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            var broken = stat()
            if lstat(path, &broken) == 0 {
                return .problem(path: path, message: "cannot follow symbolic link: \(reason)", isError: true)
            }
            return .problem(path: path, message: named ? "no such file or directory" : reason, isError: true)
        }
        let fileInfo = FileInfo(size: Int64(info.st_size),
                                mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                                isRegular: info.st_mode & S_IFMT == S_IFREG)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            if let since, !named, let end = Self.dateFolderEnd(path), end <= since {
                return nil  // an AWSLogs date folder entirely before --since: not entered
            }
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
                let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? error.localizedDescription
                return .problem(path: path, message: "cannot list directory: \(reason)", isError: true)
            }
        case S_IFREG:
            if !excluded.isEmpty, let real = Self.realPath(path), excluded.contains(real) {
                return .problem(path: path, message: named ? "this is the archive being written (or one of its files), not an input"
                                                             : "skipped: the archive being written (or one of its files)", isError: named)
            }
            if info.st_nlink > 1 {
                let key = [UInt64(info.st_dev), UInt64(info.st_ino)]
                if let first = linkedFiles[key] {
                    return .problem(path: path, message: "skipped: the same file as \(first) (a hard link), which was read", isError: false)
                }
                linkedFiles[key] = path
            }
            return .file(path, fileInfo)
        default:
            if named { return .file(path, fileInfo) }  // a FIFO or device named explicitly is read
            return .problem(path: path, message: "not a regular file; skipped", isError: false)
        }
    }

    /// The absolute path with every symbolic link resolved, or nil if it cannot be resolved
    /// (a dangling link).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// For a folder `…/GuardDuty/<region>/YYYY[/MM[/DD]]` of the AWSLogs layout: the instant
    /// (ms) its period ends. Nil for anything else.
    static func dateFolderEnd(_ path: String) -> Int64? {
        let parts = path.split(separator: "/").map(String.init)
        guard let guardDuty = parts.lastIndex(of: "GuardDuty"), parts.count > guardDuty + 2 else { return nil }
        let date = Array(parts[(guardDuty + 2)...])
        guard (1...3).contains(date.count), date.allSatisfy({ $0.allSatisfy(\.isNumber) }),
              date[0].count == 4, let year = Int64(date[0]) else { return nil }
        let month = date.count > 1 ? Int64(date[1]) : nil
        let day = date.count > 2 ? Int64(date[2]) : nil
        func ms(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 { Timestamp.days(fromCivil: y, m, d) * 86_400_000 }
        switch (month, day) {
        case (nil, _): return ms(year + 1, 1, 1)
        case (let m?, nil): return m == 12 ? ms(year + 1, 1, 1) : ms(year, m + 1, 1)
        case (let m?, let d?): return ms(year, m, d) + 86_400_000
        }
    }

    /// Whether a file belongs to the range starting at `since`: by its AWSLogs date folder,
    /// else by its modification time.
    static func isOnOrAfter(_ since: Int64, path: String, info: FileInfo) -> Bool {
        let folder = (path as NSString).deletingLastPathComponent
        if let end = dateFolderEnd(folder) { return end > since }
        return info.mtimeNanoseconds / 1_000_000 >= since
    }
}
