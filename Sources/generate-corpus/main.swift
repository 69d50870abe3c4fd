import Foundation
import GDArchiveTestSupport

// Usage:
//   generate-corpus OUTPUT_DIR FILES FINDINGS_PER_FILE [SEED]            a simple tree (tests)
//   generate-corpus --corpus OUTPUT_DIR FINDINGS MEAN_VERSIONS FILES ACCOUNTS REGIONS [SEED]
//                                                                          a realistic corpus (benchmarks);
//                                                                          prints its stats as JSON
let args = CommandLine.arguments
if args.count >= 2 && args[1] == "--corpus" {
    guard args.count >= 8, let findings = Int(args[3]), let mean = Int(args[4]), let files = Int(args[5]),
          let accounts = Int(args[6]), let regions = Int(args[7]) else {
        FileHandle.standardError.write(Data("usage: generate-corpus --corpus OUTPUT_DIR FINDINGS MEAN_VERSIONS FILES ACCOUNTS REGIONS [SEED]\n".utf8))
        exit(64)
    }
    let seed = args.count > 8 ? UInt64(args[8]) ?? 42 : 42
    let stats = try FindingGenerator(seed: seed).writeCorpus(at: URL(fileURLWithPath: args[2]), findings: findings, meanVersions: mean,
                                                             targetFiles: files, accounts: accounts, regions: regions)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(stats), as: UTF8.self))
    exit(0)
}
guard args.count >= 4, let files = Int(args[2]), let perFile = Int(args[3]) else {
    FileHandle.standardError.write(Data("usage: generate-corpus OUTPUT_DIR FILES FINDINGS_PER_FILE [SEED]\n".utf8))
    exit(64)
}
let seed = args.count > 4 ? UInt64(args[4]) ?? 42 : 42
try FindingGenerator(seed: seed).writeExportTree(at: URL(fileURLWithPath: args[1]), files: files, findingsPerFile: perFile)
