/// One top-level JSON text found in an input, or a problem found while looking for one.
public enum RawRecord: Equatable, Sendable {
    /// A complete top-level JSON text (not yet parsed) starting at `line`.
    case value(line: Int, bytes: [UInt8])
    /// Input that cannot be a complete JSON text (for example a value that is never closed).
    case invalid(line: Int, message: String, excerpt: [UInt8])
    /// The stream itself is damaged (truncated or corrupt gzip); nothing after it can be read.
    case damage(line: Int, message: String)
}

/// Splits an input into its top-level JSON texts, whatever their layout: JSON lines, one
/// pretty-printed document over many lines, or several documents one after another.
///
/// ```swift
/// let records = RecordReader(chunks: try ChunkReader(fileDescriptor: fd))
/// while let record = try records.next() { … }
/// ```
///
/// A text starts at the first non-blank byte of a line. If it is a `{` or `[`, it ends where
/// its brackets balance, which may be lines later; anything else runs to the end of its line.
/// A line that starts with `{` or `[` in column 1 while an earlier text is still open, at a
/// point where that text cannot go on with a new value (after a complete member, inside a
/// string, after a `,` in an object), means the earlier text was cut short (a broken JSON
/// line): it is reported as ``RawRecord/invalid`` and reading goes on from the new line, so
/// one bad line never swallows the good ones after it. Where the open text expects a value
/// (after `:`, `[` or a `,` in an array), such a line goes on with it: JSON written with no
/// indentation (Python's `indent=0`, Go's `MarshalIndent(v, "", "")`) starts nested values
/// in column 1, and a text that parses as JSON is never split. If the text then turns out not
/// to close, it is cut at the first such line, which is read again as the start of a new text.
/// A UTF-8 byte order mark at the start is ignored; CR before LF is whitespace.
///
/// Memory stays bounded by the largest single text (``maximumRecordBytes``).
public final class RecordReader {
    /// A text larger than this is reported and skipped.
    public static let maximumRecordBytes = 256 * 1024 * 1024

    private let chunks: ChunkReader
    private let limit: Int
    private var carry: [UInt8] = []
    private var carryTooLong = false
    private var lineNumber = 0
    private var queue: [RawRecord] = []
    private var queueIndex = 0
    private var ended = false
    private var atStart = true

    // Splitter state: the open text, and where its structure stands.
    private var pending: [UInt8] = []
    private var pendingLine = 0
    /// The open containers, innermost last (`{` or `[`); empty: no text is open.
    private var containers: [UInt8] = []
    private var expect = Expect.value
    private var inString = false
    private var escaped = false
    private var discarding = false
    /// Lines starting in column 1 that were taken as going on with the open text: where they
    /// start in `pending`, and their line numbers.
    private var continuations: [(offset: Int, line: Int)] = []
    /// Lines read again after a text that never closed: no line is taken as going on with an
    /// open text while replaying, so no line is read again twice (work stays linear, and the
    /// replay never recurses, whatever a hostile input nests).
    private var replaying = false

    /// What the open text may go on with (outside strings).
    private enum Expect {
        case value, valueOrClose, key, keyOrClose, colon, commaOrClose
    }

    public init(chunks: ChunkReader, maximumRecordBytes: Int = RecordReader.maximumRecordBytes) {
        self.chunks = chunks
        self.limit = maximumRecordBytes
    }

    /// Lines read so far.
    public var linesRead: Int { lineNumber }

    /// Whether ``next()`` can return a record without reading more input.
    public var hasBufferedRecords: Bool { queueIndex < queue.count }

    /// The next record, or nil at the end of the input.
    ///
    /// - Throws: only I/O errors of the underlying reader; damage comes back as a record.
    public func next() throws -> RawRecord? {
        while queueIndex >= queue.count {
            queue.removeAll(keepingCapacity: true)
            queueIndex = 0
            if ended { return nil }
            try fill()
        }
        defer { queueIndex += 1 }
        return queue[queueIndex]
    }

    private func fill() throws {
        let chunk: ArraySlice<UInt8>?
        do {
            chunk = try chunks.next()
        } catch let damage as InputDamage {
            ended = true
            var message = damage.message
            if !carry.isEmpty || carryTooLong {
                message += "; line \(lineNumber + 1) was cut off"
            }
            flushPending(reason: "this JSON value was cut off by the damage at line \(lineNumber + 1)")
            queue.append(.damage(line: lineNumber + 1, message: message))
            return
        }
        guard var chunk else {
            ended = true
            if !carry.isEmpty || carryTooLong {
                let line = carry
                carry = []
                lineNumber += 1
                feedLine(line[...])
            }
            flushPending(reason: "the input ends before this JSON value is closed")
            return
        }
        if atStart {
            atStart = false
            if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { chunk = chunk.dropFirst(3) }
        }
        while let newline = chunk.firstIndex(of: 0x0A) {
            lineNumber += 1
            if carry.isEmpty && !carryTooLong {
                feedLine(chunk[chunk.startIndex..<newline])
            } else {
                appendCarry(chunk[chunk.startIndex..<newline])
                let line = carry
                carry.removeAll(keepingCapacity: false)
                feedLine(line[...])
            }
            chunk = chunk[(newline + 1)...]
        }
        if !chunk.isEmpty { appendCarry(chunk) }
    }

    private func appendCarry(_ bytes: ArraySlice<UInt8>) {
        if carryTooLong { return }
        if carry.count + bytes.count > limit {
            carryTooLong = true
            carry.removeAll(keepingCapacity: false)
            return
        }
        carry.append(contentsOf: bytes)
    }

    /// Reports the open text as not a complete value. If lines were taken as going on with it,
    /// it is cut at the first of them, and the lines from there on are read again.
    private func flushPending(reason: String) {
        guard !pending.isEmpty else { return resetPending() }
        guard let first = continuations.first else {
            queue.append(.invalid(line: pendingLine, message: reason, excerpt: Array(pending.prefix(200))))
            return resetPending()
        }
        let head = Array(pending[..<first.offset])
        let rest = pending[first.offset...]
        queue.append(.invalid(line: pendingLine, message: "this JSON value is not closed before line \(first.line), which starts a new one",
                              excerpt: Array(head.prefix(200))))
        resetPending()
        let current = lineNumber
        let wasReplaying = replaying
        replaying = true
        defer { replaying = wasReplaying }
        var line = first.line
        var start = rest.startIndex
        while let newline = rest[start...].firstIndex(of: 0x0A) {
            lineNumber = line
            feedLine(rest[start..<newline])
            line += 1
            start = newline + 1
        }
        if start < rest.endIndex {
            lineNumber = line
            feedLine(rest[start...])
        }
        lineNumber = current
        // What is open again after the lines read again ends where the first attempt did.
        if !pending.isEmpty { flushPending(reason: reason) }
    }

    private func resetPending() {
        pending.removeAll(keepingCapacity: false)
        containers.removeAll(keepingCapacity: true)
        continuations.removeAll()
        expect = .value
        inString = false
        escaped = false
    }

    private func feedLine(_ line: ArraySlice<UInt8>) {
        if carryTooLong {
            carryTooLong = false
            flushPending(reason: "this JSON value is not closed before line \(lineNumber)")
            queue.append(.invalid(line: lineNumber, message: "line longer than \(limit / (1024 * 1024)) MiB; skipped", excerpt: []))
            return
        }
        let opensAtColumnOne = line.first == UInt8(ascii: "{") || line.first == UInt8(ascii: "[")
        if discarding {
            guard opensAtColumnOne else { return }
            discarding = false
        }
        if !pending.isEmpty && opensAtColumnOne {
            if !replaying && !inString && (expect == .value || expect == .valueOrClose) {
                continuations.append((pending.count, lineNumber))
            } else {
                flushPending(reason: "this JSON value is not closed before line \(lineNumber), which starts a new one")
            }
        }
        var start = line.startIndex
        let end = line.endIndex
        while start < end {
            var scanFrom = start
            if pending.isEmpty {
                // Skip blanks (space, tab, CR) to the start of the next text.
                while start < end, line[start] == 0x20 || line[start] == 0x09 || line[start] == 0x0D { start += 1 }
                if start >= end { return }
                let c = line[start]
                if c != UInt8(ascii: "{") && c != UInt8(ascii: "[") {
                    var stop = end
                    while stop > start, line[stop - 1] == 0x20 || line[stop - 1] == 0x09 || line[stop - 1] == 0x0D { stop -= 1 }
                    queue.append(.value(line: lineNumber, bytes: Array(line[start..<stop])))
                    return
                }
                pendingLine = lineNumber
                scanFrom = start
            }
            var i = scanFrom
            var closedAt: Int? = nil
            while i < end {
                let b = line[i]
                if inString {
                    if escaped {
                        escaped = false
                    } else if b == 0x5C {
                        escaped = true
                    } else if b == 0x22 {
                        inString = false
                        expect = expect == .key || expect == .keyOrClose ? .colon : .commaOrClose
                    }
                } else {
                    switch b {
                    case 0x22: inString = true
                    case 0x7B: containers.append(b); expect = .keyOrClose
                    case 0x5B: containers.append(b); expect = .valueOrClose
                    case 0x7D, 0x5D:
                        containers.removeLast()
                        expect = .commaOrClose
                    case 0x3A: expect = .value
                    case 0x2C: expect = containers.last == 0x7B ? .key : .value
                    case 0x20, 0x09, 0x0D: break
                    default: expect = .commaOrClose  // a number or literal
                    }
                    if containers.isEmpty { closedAt = i; break }
                }
                i += 1
            }
            if let closedAt {
                var bytes = pending
                bytes.append(contentsOf: line[start...closedAt])
                queue.append(.value(line: pendingLine, bytes: bytes))
                resetPending()
                start = closedAt + 1
                continue
            }
            pending.append(contentsOf: line[start..<end])
            pending.append(0x0A)
            if pending.count > limit {
                let first = pendingLine
                resetPending()
                queue.append(.invalid(line: first, message: "JSON value larger than \(limit / (1024 * 1024)) MiB; skipped up to the next line that starts a new value", excerpt: []))
                discarding = true
            }
            return
        }
    }
}
