// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "gdarchive",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gdarchive", targets: ["gdarchive"]),
        .library(name: "GDArchive", targets: ["GDArchiveStore", "GDArchiveIngest", "GDArchiveReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // MARK: - System libraries
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        // MARK: - Library modules (dependency arrows enforced by the compiler)
        // Store: the archive file, its schema (from Migrations/), the write path. No parsing.
        .target(
            name: "GDArchiveStore",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Ingest: readers, JSON, normalisation, versioning. Writes through Store.
        .target(
            name: "GDArchiveIngest",
            dependencies: ["GDArchiveStore", "CZlib"]
        ),

        // Report: output formats and (later) reports. Depends on Store only.
        .target(name: "GDArchiveReport", dependencies: ["GDArchiveStore"]),

        // MARK: - Executables
        .executableTarget(
            name: "gdarchive",
            dependencies: [
                "GDArchiveStore", "GDArchiveIngest", "GDArchiveReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Regenerates Sources/GDArchiveStore/Migrations+Generated.swift from Migrations/*.sql.
        .executableTarget(name: "generate-migrations", dependencies: ["MigrationCodegen"]),
        .target(name: "MigrationCodegen"),

        // MARK: - Test support and tests
        .target(
            name: "GDArchiveTestSupport",
            dependencies: ["GDArchiveStore", "GDArchiveIngest", "CZlib"]
        ),
        .testTarget(
            name: "GDArchiveStoreTests",
            dependencies: ["GDArchiveStore", "GDArchiveTestSupport", "MigrationCodegen"],
            exclude: ["Snapshots"]
        ),
        .testTarget(
            name: "GDArchiveIngestTests",
            dependencies: ["GDArchiveIngest", "GDArchiveStore", "GDArchiveTestSupport", "CZlib"]
        ),
        .testTarget(
            name: "GDArchiveReportTests",
            dependencies: ["GDArchiveReport"]
        ),
        .testTarget(
            name: "gdarchiveTests",
            dependencies: ["gdarchive", "GDArchiveTestSupport", "GDArchiveStore"],
            exclude: ["Snapshots"]
        ),
    ]
)
