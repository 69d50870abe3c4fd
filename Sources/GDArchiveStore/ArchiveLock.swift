import Foundation
import GDArchiveBasics

/// The one-writer lock of an archive: an exclusive `flock` on `ARCHIVE.lock`, held for the
/// whole of an import or prune. The kernel releases it when the holder exits, however it exits,
/// so a stale lock from a dead process never blocks. The file records who holds it, for the
/// message a second writer gets.
///
/// ```swift
/// let lock = try ArchiveLock.acquire(archivePath: path, waitSeconds: 60, purpose: "import")
/// defer { lock.release() }
/// ```
///
/// - Throws: ``StoreError/locked(path:holder:)`` when another process still holds it after
///   `waitSeconds`.
public final class ArchiveLock {
    private var fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { release() }

    /// Gives the lock up (also done when the value is released or the process exits).
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    public static func acquire(archivePath: String, waitSeconds: Double, purpose: String) throws -> ArchiveLock {
        let path = archivePath + ".lock"
        // Never through a symbolic link: another user's link at ARCHIVE.lock would have this
        // process truncate and write whatever file it points to.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw StoreError.cannotCreate(path: path, reason: "the lock file is a symbolic link, which gdarchive does not follow (someone else may have planted it); remove \(path) and run the command again")
            }
            throw StoreError.cannotCreate(path: path, reason: "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1 else {
            close(fd)
            throw StoreError.cannotCreate(path: path, reason: "the lock file is not a plain file of its own (a device, a FIFO or a hard link to another file); remove \(path) and run the command again")
        }
        let deadline = Date().addingTimeInterval(max(0, waitSeconds))
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(fd)
                throw StoreError.cannotCreate(path: path, reason: "cannot lock: \(String(cString: strerror(errno)))")
            }
            if Date() >= deadline {
                var buffer = [UInt8](repeating: 0, count: 512)
                let got = pread(fd, &buffer, buffer.count, 0)
                close(fd)
                let holder = got > 0 ? String(decoding: buffer[0..<got], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown"
                throw StoreError.locked(path: archivePath, holder: holder)
            }
            usleep(100_000)
        }
        let note = "\(purpose) (pid \(getpid()), started \(Timestamp.now()))\n"
        ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
        return ArchiveLock(fd: fd)
    }
}
