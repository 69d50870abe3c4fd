import Foundation
import GRDBSQLite

/// Why `gdarchive sql` refused or failed a statement.
public struct SQLRefusal: Error, CustomStringConvertible, Equatable {
    public var description: String

    package init(description: String) {
        self.description = description
    }
}

/// A value as SQLite stored it, for the callers that print what `gdarchive sql` reads.
public enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// Runs one SQL statement of a power user's on a connection that cannot change anything:
/// opened read-only by SQLite (`SQLITE_OPEN_READONLY`), with `ATTACH` disabled
/// (`SQLITE_LIMIT_ATTACHED` = 0) and an authorizer that allows only reading: `SELECT`, reads of
/// tables and views, functions other than those that touch files or load code, and a few
/// read-only pragmas. Extension loading stays off (SQLite's default). The refusals come from
/// SQLite itself, never from inspecting the text.
///
/// ```swift
/// try ReadOnlySQL.stream("SELECT type, count(*) FROM latest_findings GROUP BY 1", archivePath: path,
///                        columns: { print($0) }, values: { print($0) })
/// ```
public enum ReadOnlySQL {
    /// Pragmas that only read.
    static let allowedPragmas: Set<String> = [
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
        "compile_options", "function_list", "pragma_list", "collation_list", "database_list", "schema_version", "user_version",
        "page_count", "page_size", "freelist_count", "encoding",
    ]
    static let forbiddenFunctions: Set<String> = ["load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "zipfile", "sqlar_compress", "sqlar_uncompress"]

    final class Guard {
        var denied: String?
    }

    /// Limits of one statement: a runaway query (an endless recursive CTE, a cross join of
    /// bodies) stops with a message instead of running or growing for ever.
    public struct Limits: Sendable {
        /// Seconds of work before the statement is interrupted; nil: no limit.
        public var timeout: Double? = 300
        /// Bytes SQLite may allocate for the statement (its sorter, its caches, bodies read).
        public var memoryBytes: Int64 = 1 << 30
        public init() {}
    }

    /// Runs the statement and hands each row to `row` as SQLite produces it: memory stays flat
    /// however many rows there are (within `limits`).
    ///
    /// - Parameter location: what to open when it is not the path itself: an archive's
    ///   ``Archive/readLocation`` (an SQLite URI for one read as it is from read-only media).
    public static func stream(_ sql: String, archivePath: String, location: String? = nil, limits: Limits = Limits(),
                              columns: ([String]) throws -> Void, values row: ([StoredValue]) throws -> Void) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | (location == nil ? 0 : SQLITE_OPEN_URI)
        guard sqlite3_open_v2(location ?? archivePath, &handle, flags, nil) == SQLITE_OK, let db = handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw SQLRefusal(description: "cannot open \(archivePath) read-only: \(message)")
        }
        defer { sqlite3_close(db) }
        sqlite3_busy_timeout(db, 30_000)
        // SQLite's own allocations for this process (this command's only connection).
        let previousLimit = sqlite3_hard_heap_limit64(limits.memoryBytes)
        defer { sqlite3_hard_heap_limit64(previousLimit) }
        let deadline = Deadline(seconds: limits.timeout)
        sqlite3_progress_handler(db, 10_000, { context in
            Unmanaged<Deadline>.fromOpaque(context!).takeUnretainedValue().passed ? 1 : 0
        }, Unmanaged.passUnretained(deadline).toOpaque())
        // Bodies are compressed: the version_bodies view reads them through gdarchive_body.
        guard BodyCodec.registerFunctions(on: db) == SQLITE_OK else {
            throw SQLRefusal(description: "cannot register gdarchive_body on \(archivePath): \(String(cString: sqlite3_errmsg(db)))")
        }
        sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0)
        let guardBox = Guard()
        let context = Unmanaged.passUnretained(guardBox).toOpaque()
        sqlite3_set_authorizer(db, { context, action, a, b, _, _ in
            let box = Unmanaged<Guard>.fromOpaque(context!).takeUnretainedValue()
            let first = a.map { String(cString: $0) } ?? ""
            switch action {
            case SQLITE_SELECT, SQLITE_READ, SQLITE_RECURSIVE:
                return SQLITE_OK
            case SQLITE_UPDATE where first.lowercased() == "sqlite_master":
                // What SQLite asks before it sets up a table-valued function (json_each,
                // json_tree, pragma_table_info): they only read. The connection is read-only
                // and the schema unwritable (writable_schema is refused), so a real UPDATE of
                // sqlite_master fails in SQLite all the same.
                return SQLITE_OK
            case SQLITE_FUNCTION:
                let name = (b.map { String(cString: $0) } ?? "").lowercased()
                if ReadOnlySQL.forbiddenFunctions.contains(name) {
                    box.denied = "the function \(name)()"
                    return SQLITE_DENY
                }
                return SQLITE_OK
            case SQLITE_PRAGMA:
                if ReadOnlySQL.allowedPragmas.contains(first.lowercased()) && b == nil || ["table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"].contains(first.lowercased()) {
                    return SQLITE_OK
                }
                box.denied = "PRAGMA \(first)" + (b.map { " = \(String(cString: $0))" } ?? "")
                return SQLITE_DENY
            default:
                // Statement-level actions (CREATE, DROP, …) say more than the writes to
                // sqlite_schema that accompany them.
                let isRowLevel = action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE
                if box.denied == nil || !isRowLevel {
                    box.denied = ReadOnlySQL.describe(action: action, first)
                }
                return SQLITE_DENY
            }
        }, context)

        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let prepared = sql.withCString { text in
            let status = sqlite3_prepare_v2(db, text, -1, &statement, &tail)
            let rest = tail.map { String(cString: $0) } ?? ""
            return (status, rest)
        }
        defer { sqlite3_finalize(statement) }
        guard prepared.0 == SQLITE_OK else {
            if let denied = guardBox.denied {
                throw SQLRefusal(description: "gdarchive sql only reads: \(denied) is not allowed (it cannot write, attach other files or load extensions; import changes the archive)")
            }
            throw SQLRefusal(description: String(cString: sqlite3_errmsg(db)))
        }
        guard let statement else { throw SQLRefusal(description: "the statement is empty") }
        if !prepared.1.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";"))).isEmpty {
            throw SQLRefusal(description: "run one statement at a time (found more after the first ';')")
        }
        let count = Int(sqlite3_column_count(statement))
        try columns((0..<count).map { String(cString: sqlite3_column_name(statement, Int32($0))) })
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else {
                if let denied = guardBox.denied {
                    throw SQLRefusal(description: "gdarchive sql only reads: \(denied) is not allowed")
                }
                if status == SQLITE_INTERRUPT, let seconds = limits.timeout {
                    throw SQLRefusal(description: "the statement ran longer than \(Int(seconds)) seconds and was stopped; narrow it, or pass --timeout SECONDS (0: no limit)")
                }
                if status == SQLITE_NOMEM || status == SQLITE_FULL {
                    throw SQLRefusal(description: "the statement needed more than \(limits.memoryBytes >> 20) MiB and was stopped; narrow it, or pass --max-memory MIB")
                }
                throw SQLRefusal(description: String(cString: sqlite3_errmsg(db)))
            }
            try row((0..<count).map { i in
                let column = Int32(i)
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
                case SQLITE_NULL: return .null
                case SQLITE_BLOB:
                    let bytes = Int(sqlite3_column_bytes(statement, column))
                    guard let pointer = sqlite3_column_blob(statement, column) else { return .blob([]) }
                    return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: bytes)))
                default:
                    return .text(String(cString: sqlite3_column_text(statement, column)))
                }
            })
        }
    }

    /// When a statement's time is up.
    final class Deadline {
        let end: ContinuousClock.Instant?
        init(seconds: Double?) {
            end = seconds.map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) }
        }
        var passed: Bool { end.map { ContinuousClock.now >= $0 } ?? false }
    }

    static func describe(action: Int32, _ object: String) -> String {
        if ["sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"].contains(object.lowercased()) {
            return "changing the schema (CREATE, DROP, ALTER)"
        }
        switch action {
        case SQLITE_INSERT: return "INSERT into \(object)"
        case SQLITE_UPDATE: return "UPDATE of \(object)"
        case SQLITE_DELETE: return "DELETE from \(object)"
        case SQLITE_ATTACH: return "ATTACH"
        case SQLITE_DETACH: return "DETACH"
        case SQLITE_TRANSACTION: return "a transaction statement"
        case SQLITE_SAVEPOINT: return "SAVEPOINT"
        case SQLITE_ALTER_TABLE: return "ALTER TABLE"
        case SQLITE_ANALYZE: return "ANALYZE"
        case SQLITE_REINDEX: return "REINDEX"
        case SQLITE_CREATE_TABLE, SQLITE_CREATE_TEMP_TABLE, SQLITE_CREATE_INDEX, SQLITE_CREATE_TEMP_INDEX,
             SQLITE_CREATE_VIEW, SQLITE_CREATE_TEMP_VIEW, SQLITE_CREATE_TRIGGER, SQLITE_CREATE_TEMP_TRIGGER, SQLITE_CREATE_VTABLE:
            return "CREATE"
        case SQLITE_DROP_TABLE, SQLITE_DROP_TEMP_TABLE, SQLITE_DROP_INDEX, SQLITE_DROP_TEMP_INDEX, SQLITE_DROP_VIEW,
             SQLITE_DROP_TEMP_VIEW, SQLITE_DROP_TRIGGER, SQLITE_DROP_TEMP_TRIGGER, SQLITE_DROP_VTABLE:
            return "DROP"
        default: return "this kind of statement (SQLite action \(action))"
        }
    }
}
