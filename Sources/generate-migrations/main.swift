import Foundation
import MigrationCodegen

// Usage: swift run generate-migrations [PACKAGE_ROOT]
// Writes Sources/GDArchiveStore/Migrations+Generated.swift from Migrations/*.sql.
let root = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? FileManager.default.currentDirectoryPath)
do {
    let files = try MigrationCodegen.readMigrations(in: root.appendingPathComponent("Migrations"))
    let source = try MigrationCodegen.render(files)
    let target = root.appendingPathComponent(MigrationCodegen.generatedPath)
    try source.write(to: target, atomically: true, encoding: .utf8)
    FileHandle.standardError.write(Data("wrote \(MigrationCodegen.generatedPath) (\(files.count) migrations)\n".utf8))
} catch {
    FileHandle.standardError.write(Data("generate-migrations: error: \(error)\n".utf8))
    exit(1)
}
