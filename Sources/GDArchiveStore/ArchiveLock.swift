import Foundation
import GDArchiveModel

/// The one-writer lock of an archive: an exclusive `flock` on `ARCHIVE.lock`, held for the
/// whole of an import or prune. The kernel releases it when the holder exits, however it exits,
/// so a stale lock from a dead process never blocks. The file records who holds it, for the
/// message a second writer gets. A writer that waits says so on `ARCHIVE.lock.waiting`, and a
/// holder that runs without end (a stream import) lets it in between two of its commits
/// (``yieldIfOthersWait(shouldStop:)``), so writers take turns.
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
    private let archivePath: String
    private let purpose: String
    /// `ARCHIVE.lock.waiting`, opened when first needed (see ``yieldIfOthersWait(shouldStop:)``).
    private var waitingFD: Int32 = -1

    private init(fd: Int32, archivePath: String, purpose: String) {
        self.fd = fd
        self.archivePath = archivePath
        self.purpose = purpose
    }

    deinit { release() }

    /// Gives the lock up (also done when the value is released or the process exits).
    public func release() {
        if waitingFD >= 0 {
            close(waitingFD)
            waitingFD = -1
        }
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    /// Writers waiting for the lock hold a shared `flock` on this file while they wait, so that
    /// a holder that runs for long (a stream import) sees them and lets them take their turn.
    public static func waitingPath(archivePath: String) -> String { archivePath + ".lock.waiting" }

    /// Opens (creating) one of the lock's files: never through a symbolic link (another
    /// user's link would have this process truncate and write whatever file it points to),
    /// and only a plain file of its own.
    private static func openLockFile(_ path: String) throws -> Int32 {
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
        return fd
    }

    public static func acquire(archivePath: String, waitSeconds: Double, purpose: String) throws -> ArchiveLock {
        let path = archivePath + ".lock"
        let fd = try openLockFile(path)
        let deadline = Date().addingTimeInterval(max(0, waitSeconds))
        // While waiting: a shared lock on the waiting file says so to the holder.
        var waiting: Int32 = -1
        var saidWaiting = false
        defer { if waiting >= 0 { close(waiting) } }
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
            if waiting == -1 { waiting = (try? openLockFile(waitingPath(archivePath: archivePath))) ?? -2 }
            // (It fails only for the moment a holder looks whether anyone waits.)
            if waiting >= 0 && !saidWaiting { saidWaiting = flock(waiting, LOCK_SH | LOCK_NB) == 0 }
            usleep(100_000)
        }
        let lock = ArchiveLock(fd: fd, archivePath: archivePath, purpose: purpose)
        lock.writeHolder()
        return lock
    }

    /// Records who holds the lock, for the message a waiting writer gets when it gives up.
    private func writeHolder() {
        let note = "\(purpose) (pid \(getpid()), started \(Timestamp.now()))\n"
        ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Lets the writers that wait for the lock take their turn (call it between transactions,
    /// with none open): when one waits, gives the lock up, waits until none waits any more
    /// (each has had the lock, or has given up) and takes it back. Returns whether it gave the
    /// lock up: the archive may have been changed meanwhile. When `shouldStop` says so while
    /// it waits, it returns without the lock (``isHeld`` is false).
    public func yieldIfOthersWait(shouldStop: () -> Bool) throws -> Bool {
        guard fd >= 0 else { return false }
        if waitingFD < 0 { waitingFD = try Self.openLockFile(Self.waitingPath(archivePath: archivePath)) }
        if flock(waitingFD, LOCK_EX | LOCK_NB) == 0 {
            flock(waitingFD, LOCK_UN)
            return false
        }
        flock(fd, LOCK_UN)
        isHeld = false
        while !shouldStop() {
            if flock(waitingFD, LOCK_EX | LOCK_NB) == 0 {
                flock(waitingFD, LOCK_UN)
                if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                    isHeld = true
                    writeHolder()
                    return true
                }
            }
            usleep(50_000)
        }
        return true
    }

    /// Whether this process holds the lock (false after a ``yieldIfOthersWait(shouldStop:)``
    /// that was stopped).
    public private(set) var isHeld = true
}
