import ArgumentParser
import Foundation
import GDArchiveModel
import GDArchiveIngest
import GDArchiveQuery
import GDArchiveReport
import GDArchiveStore

extension GDArchiveCommand {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the archive: SQLite integrity and the archive's own invariants. Exits 1 if anything is wrong.")

        @OptionGroup var globals: GlobalOptions

        @Flag(help: ArgumentHelp("First fold the versions an older gdarchive stored twice for one change seen through two channels (the S3 export's body and the CLI's) into one version with both bodies as its forms, and mark counts outside 0…10^12 unknown, saying how many."))
        var repair = false

        @Option(help: ArgumentHelp("With --repair: if an import holds the archive, wait up to this many seconds, then exit 75.", valueName: "seconds"))
        var wait: Double = 0

        @Flag(help: ArgumentHelp("Also recompute every version's columns and indicators from its body, as an import would, and report any that differ (reads every body: about as long as an import)."))
        var deep = false

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: repair ? .existing : .read)
            if repair {
                let lock = try Terminal.lock(archive, wait: wait, purpose: "check --repair")
                defer { lock.release() }
                do {
                    let folded = try GuardDutyModel.foldForms(in: archive)
                    Terminal.out("repair: folded \(folded.folded) version\(folded.folded == 1 ? "" : "s") of \(folded.findings) finding\(folded.findings == 1 ? "" : "s") into forms of the versions they repeat\n")
                    let latest = try archive.refreshLatestVersions()
                    if latest > 0 {
                        Terminal.out("repair: \(latest) finding\(latest == 1 ? "" : "s") took the latest version the latest-version order picks today\n")
                    }
                    let counts = try archive.forgetImplausibleCounts()
                    if counts > 0 {
                        Terminal.out("repair: \(counts) version\(counts == 1 ? "" : "s") had a count outside 0…10^12, now unknown (the bodies keep it)\n")
                    }
                } catch {
                    throw Terminal.fail(error)
                }
            }
            var report: CheckReport
            do {
                report = try archive.check()
                if deep { report.problems += try DeepCheck.problems(in: archive) }
            } catch {
                throw Terminal.fail(error)
            }
            for problem in report.problems { Terminal.out("problem: \(problem)\n") }
            for notice in report.notices { Terminal.out("notice: \(notice)\n") }
            if report.isOK {
                Terminal.out("ok: \(report.findings) findings, \(report.versions) versions; integrity, latest versions, counts, hashes and provenance check out\n")
            } else {
                Terminal.err("gdarchive: error: \(archive.path) has \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s"); restore from a backup (see the README) or rebuild it by importing the exports again")
                throw ExitCode(1)
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove whole findings whose latest version was last updated before a cutoff, and return the space.",
            discussion: "A finding is removed with its whole history or not at all. Findings without updatedAt are kept.")

        @OptionGroup var globals: GlobalOptions

        @Option(help: ArgumentHelp("The age of the cutoff: 400d, 52w, 2y, 36h.", valueName: "duration"))
        var olderThan: String

        @Flag(help: "Say what would be removed, and remove nothing.")
        var dryRun = false

        @Option(help: ArgumentHelp("If an import holds the archive, wait up to this many seconds, then exit 75.", valueName: "seconds"))
        var wait: Double = 0

        /// 400d, 52w, 2y, 36h, 90m → milliseconds (no sign: an age).
        static func duration(_ text: String) -> Int64? {
            guard text.first?.isNumber == true else { return nil }
            return Timestamp.duration(text)
        }

        func validate() throws {
            if Self.duration(olderThan) == nil {
                throw ValidationError("--older-than takes a duration such as 400d, 52w, 2y or 36h")
            }
        }

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .existing)
            let lock = try Terminal.lock(archive, wait: wait, purpose: "prune")
            defer { lock.release() }
            let cutoff = Timestamp.nowMilliseconds() - Self.duration(olderThan)!
            do {
                let report = try archive.prune(before: cutoff, dryRun: dryRun)
                let verb = dryRun ? "would remove" : "removed"
                var line = "prune: \(verb) \(report.findings) finding\(report.findings == 1 ? "" : "s") (\(report.versions) version\(report.versions == 1 ? "" : "s")) last updated before \(report.cutoff)"
                if !dryRun && report.findings > 0 {
                    line += "; archive \(RowRenderer.groupThousands(report.bytesBefore)) → \(RowRenderer.groupThousands(report.bytesAfter)) bytes"
                }
                Terminal.out(line + "\n")
            } catch {
                throw Terminal.fail(error)
            }
        }
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompress the first versions stored without the archive's dictionary, and return the space.",
            discussion: """
                Archives made before gdarchive trained a dictionary for first versions (and the \
                1,000 it was trained on) keep them compressed alone; compact trains one on the stored \
                ones if the archive has none, recompresses them with it, checks each against its \
                body, then runs VACUUM. Safe to interrupt and run again.
                """)

        @OptionGroup var globals: GlobalOptions

        @Option(help: ArgumentHelp("If an import holds the archive, wait up to this many seconds, then exit 75.", valueName: "seconds"))
        var wait: Double = 0

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .existing)
            let lock = try Terminal.lock(archive, wait: wait, purpose: "compact")
            defer { lock.release() }
            do {
                let report = try archive.compact()
                var parts: [String] = []
                if report.trained { parts.append("trained a dictionary on the stored first versions") }
                if report.hasDictionary {
                    parts.append("recompressed \(RowRenderer.groupThousands(Int64(report.recompressed))) first version\(report.recompressed == 1 ? "" : "s")")
                } else {
                    parts.append("no dictionary yet (one is trained once the archive has 1,000 first versions)")
                }
                parts.append("archive \(RowRenderer.groupThousands(report.bytesBefore)) → \(RowRenderer.groupThousands(report.bytesAfter)) bytes")
                Terminal.out("compact: " + parts.joined(separator: "; ") + "\n")
            } catch {
                throw Terminal.fail(error)
            }
        }
    }

    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a consistent copy of the archive, safely while imports and queries run.",
            discussion: "Uses SQLite's online backup API. The copy is created with mode 0600, never overwrites a file, and is checked after it is written.")

        @OptionGroup var globals: GlobalOptions

        @Argument(help: "Where to write the copy (a new file).")
        var destination: String

        func run() throws {
            let archive = try Terminal.openArchive(globals, mode: .read)
            do {
                try archive.backup(to: destination)
                let copy = try Archive.open(path: destination, mode: .existing)
                let report = try copy.check()
                guard report.isOK else {
                    Terminal.err("gdarchive: error: the copy at \(destination) does not pass check: \(report.problems.first ?? "")")
                    throw ExitCode(1)
                }
                Terminal.out("backup: \(destination) (\(report.findings) findings, \(report.versions) versions; check ok)\n")
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw Terminal.fail(error)
            }
        }
    }
}
