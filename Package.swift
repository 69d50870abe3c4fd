// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "gdarchive",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gdarchive", targets: ["gdarchive"]),
        // A loadable SQLite extension (`.load libGDArchiveSQLite`) with gdarchive_body, for
        // other SQLite clients.
        .library(name: "GDArchiveSQLite", type: .dynamic, targets: ["GDArchiveSQLite"]),
        .library(name: "GDArchive", targets: ["GDArchiveBasics", "GDArchiveJSON", "GDArchiveStore", "GDArchiveIngest", "GDArchiveQuery", "GDArchiveReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        // SHA-256 on the CPU's SHA instructions (BoringSSL's code).
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        // Child processes: both pipes drained concurrently, signals told from exit codes.
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
    ],
    targets: [
        // MARK: - System libraries
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Finding bodies compressed with zstd (libzstd-dev), and the SQL functions that read
        // them on every connection the tool opens.
        .target(
            name: "CGDArchiveCodec",
            linkerSettings: [.linkedLibrary("zstd"), .linkedLibrary("sqlite3")]
        ),

        // The timeline's counting as an SQL aggregate (one scan inside SQLite).
        .target(name: "CGDArchiveTimeline", linkerSettings: [.linkedLibrary("sqlite3")]),

        .target(
            name: "GDArchiveSQLite",
            exclude: [],
            cSettings: [.headerSearchPath("../CGDArchiveCodec/include")],
            linkerSettings: [.linkedLibrary("zstd")]
        ),

        // MARK: - Library modules (dependency arrows enforced by the compiler)
        // Basics: timestamps, SHA-256 and child processes, shared by every module.
        .target(
            name: "GDArchiveBasics",
            dependencies: [.product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Subprocess", package: "swift-subprocess")]
        ),
        // Store: the archive file, its schema (from Migrations/), the write path. No parsing.
        .target(
            name: "GDArchiveStore",
            dependencies: ["GDArchiveBasics", "GDArchiveJSON", "CGDArchiveCodec", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        // JSON: a lossless parser and the canonical writer. No dependencies.
        .target(name: "GDArchiveJSON"),
        // Ingest: readers, normalisation, versioning, indicators. Writes through Store.
        .target(
            name: "GDArchiveIngest",
            dependencies: ["GDArchiveStore", "GDArchiveJSON", "GDArchiveBasics", "CZlib"]
        ),

        // Query: the filter language, parsed and compiled to SQL text plus bound values.
        // Pure: no SQLite.
        .target(name: "GDArchiveQuery", dependencies: ["GDArchiveBasics"]),
        // Report: running queries, finding histories, output formats.
        .target(name: "GDArchiveReport", dependencies: ["GDArchiveBasics", "GDArchiveStore", "GDArchiveQuery", "GDArchiveJSON", "CGDArchiveTimeline",
                                                       .product(name: "GRDB", package: "GRDB.swift")]),

        // MARK: - Executables
        .executableTarget(
            name: "gdarchive",
            dependencies: [
                "GDArchiveStore", "GDArchiveIngest", "GDArchiveReport", "GDArchiveJSON", "GDArchiveQuery", "GDArchiveBasics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Regenerates Sources/GDArchiveStore/Migrations+Generated.swift from Migrations/*.sql.
        .executableTarget(name: "generate-migrations", dependencies: ["MigrationCodegen"]),
        .target(name: "MigrationCodegen"),

        // Writes synthetic S3-export trees for benchmarks and crash tests.
        .executableTarget(name: "generate-corpus", dependencies: ["GDArchiveTestSupport"]),

        // MARK: - Test support and tests
        .target(
            name: "GDArchiveTestSupport",
            dependencies: ["GDArchiveBasics", "GDArchiveStore", "GDArchiveIngest", "CZlib",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "GDArchiveStoreTests",
            dependencies: ["GDArchiveStore", "GDArchiveBasics", "GDArchiveTestSupport", "MigrationCodegen"],
            exclude: ["Snapshots"]
        ),
        .testTarget(
            name: "GDArchiveIngestTests",
            dependencies: ["GDArchiveIngest", "GDArchiveJSON", "GDArchiveStore", "GDArchiveBasics", "GDArchiveTestSupport", "CZlib"]
        ),
        .testTarget(
            name: "GDArchiveQueryTests",
            dependencies: ["GDArchiveQuery", "GDArchiveBasics"]
        ),
        .testTarget(
            name: "GDArchiveReportTests",
            dependencies: ["GDArchiveReport", "GDArchiveQuery", "GDArchiveStore", "GDArchiveIngest", "GDArchiveTestSupport"]
        ),
        .testTarget(
            name: "gdarchiveTests",
            dependencies: ["gdarchive", "GDArchiveTestSupport", "GDArchiveBasics", "GDArchiveStore", "GDArchiveReport"],
            exclude: ["Snapshots", "FakeAWS", "RealAWS"]
        ),
    ]
)
