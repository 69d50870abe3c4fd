import Foundation
import GDArchiveTestSupport

// Usage: generate-corpus OUTPUT_DIR FILES FINDINGS_PER_FILE [SEED]
// Writes a deterministic S3-export-shaped tree of gzip JSON-lines files (see FindingGenerator).
let args = CommandLine.arguments
guard args.count >= 4, let files = Int(args[2]), let perFile = Int(args[3]) else {
    FileHandle.standardError.write(Data("usage: generate-corpus OUTPUT_DIR FILES FINDINGS_PER_FILE [SEED]\n".utf8))
    exit(64)
}
let seed = args.count > 4 ? UInt64(args[4]) ?? 42 : 42
try FindingGenerator(seed: seed).writeExportTree(at: URL(fileURLWithPath: args[1]), files: files, findingsPerFile: perFile)
