import Foundation
import GRDB
import GRDBSQLite

/// A statement bound and stepped through SQLite's C API: the import's write path, and scans
/// that aggregate many rows in Swift (timelines).
///
/// GRDB prepares and owns the statement; only the per-row work goes around it. On the write
/// path (a dozen statements per stored version) GRDB's per-argument conversions cost as much
/// as SQLite's own work; binding directly made the writer thread about a third faster. Reading
/// a million rows through GRDB's `Row` costs several times the scan itself.
///
/// ```swift
/// let insert = try RawStatement(db, "INSERT INTO t (a, b) VALUES (?, ?)")
/// try insert.run { $0.bind(1, 42 as Int64); $0.bind(2, "x") }
/// try RawStatement(db, "SELECT a FROM t WHERE b = ?").forEachRow(arguments: ["x"]) { row in print(row.int64(0) ?? 0) }
/// ```
public struct RawStatement {
    let statement: Statement
    private var handle: OpaquePointer { statement.sqliteStatement }

    public init(_ db: Database, _ sql: String) throws {
        statement = try db.makeStatement(sql: sql)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int?) {
        bind(index, value.map(Int64.init))
    }

    func bind(_ index: Int32, _ value: Bool?) {
        bind(index, value.map { $0 ? Int64(1) : 0 })
    }

    func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Text up to its first NUL, as GRDB binds it (SQLite C strings).
    func bind(_ index: Int32, _ value: String?) {
        if let value { sqlite3_bind_text(handle, index, value, -1, Self.transient) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, blob: Data) {
        _ = blob.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), Self.transient) }
    }

    func bind(_ index: Int32, blob: [UInt8]) {
        _ = blob.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), Self.transient) }
    }

    /// Binds with `binder`, runs to completion, and resets.
    func run(_ binder: (RawStatement) -> Void) throws {
        try query(binder) { _ in }
    }

    /// Binds with `binder`, and hands the first row (if any) to `read`; then resets.
    @discardableResult
    func query<T>(_ binder: (RawStatement) -> Void, _ read: (Row) -> T) throws -> T? {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        binder(self)
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW:
            return read(Row(handle))
        case SQLITE_DONE:
            return nil
        default:
            let db = sqlite3_db_handle(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db)),
                                message: String(cString: sqlite3_errmsg(db)), sql: statement.sql)
        }
    }

    /// Binds `arguments` and hands every row to `body`; then resets.
    public func forEachRow(arguments: StatementArguments, _ body: (Row) throws -> Void) throws {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        try statement.setArguments(arguments)
        let row = Row(handle)
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW:
                try body(row)
            case SQLITE_DONE:
                return
            default:
                let db = sqlite3_db_handle(handle)
                throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db)),
                                    message: String(cString: sqlite3_errmsg(db)), sql: statement.sql)
            }
        }
    }

    /// The current row's columns (valid only while the row is current).
    public struct Row {
        let handle: OpaquePointer
        init(_ handle: OpaquePointer) { self.handle = handle }

        public func int64(_ column: Int32) -> Int64? {
            sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
        }

        /// An integer column, NULL as 0 (one call into SQLite instead of two).
        public func int64OrZero(_ column: Int32) -> Int64 {
            sqlite3_column_int64(handle, column)
        }

        public func double(_ column: Int32) -> Double? {
            sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_double(handle, column)
        }

        public func text(_ column: Int32) -> String? {
            guard let pointer = sqlite3_column_text(handle, column) else { return nil }
            return String(cString: pointer)
        }

        /// The UTF-8 bytes of a text column, without a copy (nil for NULL).
        public func withTextBytes<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
            guard let pointer = sqlite3_column_text(handle, column) else { return try body(nil) }
            return try body(UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column))))
        }

        /// A column as GRDB's value.
        public func databaseValue(_ column: Int32) -> DatabaseValue {
            switch sqlite3_column_type(handle, column) {
            case SQLITE_INTEGER: return sqlite3_column_int64(handle, column).databaseValue
            case SQLITE_FLOAT: return sqlite3_column_double(handle, column).databaseValue
            case SQLITE_TEXT: return (text(column) ?? "").databaseValue
            case SQLITE_BLOB: return (blob(column) ?? Data()).databaseValue
            default: return .null
            }
        }

        public func blob(_ column: Int32) -> Data? {
            guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let pointer = sqlite3_column_blob(handle, column) else { return Data() }
            return Data(bytes: pointer, count: count)
        }
    }
}
