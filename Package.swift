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
        .library(name: "GDArchive", targets: ["GDArchiveModel", "GDArchiveJSON", "GDArchiveStore", "GDArchiveIngest", "GDArchiveQuery", "GDArchiveReport"]),
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
        // Model: the archive's vocabulary, shared by every module: the version record and its
        // indicators, timestamps, SHA-256, IP networks, indicator values, visible text.
        .target(
            name: "GDArchiveModel",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Store: the archive file, its schema (from Migrations/), the write path. No parsing.
        .target(
            name: "GDArchiveStore",
            dependencies: ["GDArchiveModel", "GDArchiveJSON", "CGDArchiveCodec", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        // JSON: a lossless parser and the canonical writer. No dependencies.
        .target(name: "GDArchiveJSON"),
        // Ingest: readers, normalisation, versioning, indicators. Writes through Store.
        .target(
            name: "GDArchiveIngest",
            dependencies: ["GDArchiveStore", "GDArchiveJSON", "GDArchiveModel", "CZlib",
                           .product(name: "Subprocess", package: "swift-subprocess")]
        ),

        // Query: the filter language, parsed and compiled to SQL text plus bound values.
        // Pure: no SQLite.
        .target(name: "GDArchiveQuery", dependencies: ["GDArchiveModel"]),
        // Report: running queries, finding histories, output formats.
        .target(name: "GDArchiveReport", dependencies: ["GDArchiveModel", "GDArchiveStore", "GDArchiveQuery", "GDArchiveJSON", "CGDArchiveTimeline",
                                                       .product(name: "GRDB", package: "GRDB.swift")]),

        // MARK: - Executables
        .executableTarget(
            name: "gdarchive",
            dependencies: [
                "GDArchiveStore", "GDArchiveIngest", "GDArchiveReport", "GDArchiveJSON", "GDArchiveQuery", "GDArchiveModel",
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
            dependencies: ["GDArchiveModel", "GDArchiveStore", "GDArchiveIngest", "CZlib",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "GDArchiveStoreTests",
            dependencies: ["GDArchiveStore", "GDArchiveModel", "GDArchiveTestSupport", "MigrationCodegen"],
            exclude: ["Snapshots"]
        ),
        .testTarget(
            name: "GDArchiveIngestTests",
            dependencies: ["GDArchiveIngest", "GDArchiveJSON", "GDArchiveStore", "GDArchiveModel", "GDArchiveTestSupport", "CZlib"]
        ),
        .testTarget(
            name: "GDArchiveModelTests",
            dependencies: ["GDArchiveModel"]
        ),
        .testTarget(
            name: "GDArchiveJSONTests",
            dependencies: ["GDArchiveJSON"]
        ),
        .testTarget(
            name: "GDArchiveQueryTests",
            dependencies: ["GDArchiveQuery", "GDArchiveModel"]
        ),
        .testTarget(
            name: "GDArchiveReportTests",
            dependencies: ["GDArchiveReport", "GDArchiveQuery", "GDArchiveStore", "GDArchiveIngest", "GDArchiveTestSupport"]
        ),
        .testTarget(
            name: "gdarchiveTests",
            dependencies: ["gdarchive", "GDArchiveTestSupport", "GDArchiveModel", "GDArchiveStore", "GDArchiveReport"],
            exclude: ["Snapshots", "FakeAWS", "RealAWS"]
        ),
    ]
)
