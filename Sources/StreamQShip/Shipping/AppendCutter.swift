import Dispatch
import StreamQStorage
import Synchronization

/// The records of consecutive lines of a file, cut for one append but not stamped yet.
struct EncodedAppend: Sendable {
    var records: AppendPayload
    /// The bytes of the file its lines span.
    var start: Int
    var end: Int
    /// Its records' bytes and partition keys, as counted against `maxBatchBytes`.
    var bytes = 0
    var parseErrors = 0
    var truncatedLines = 0
}

/// Encodes lines into records (see ``RecordEncoder``) and cuts them into appends of at most
/// `maxRecords` records and `maxBytes` bytes (in the store's encoding when the destination is a
/// local store). A whole line without fields is written in one pass, and into a local store
/// straight into its append when it surely fits there; any other record is made in a scratch
/// buffer first.
///
/// Lines are cut in parts on every core at once (``cut(_:bytesPerPart:)``): each part is about one
/// append's worth, so few appends come out short, and the shipper's loop only reads and hands
/// appends on.
struct AppendCutter: Sendable {
    let encoder: RecordEncoder
    /// The record members naming the file (``RecordEncoder/origin(file:)``).
    let origin: [UInt8]
    let partitionKey: String
    /// The destination when it is a local store.
    let store: StreamStore?
    let maxRecords: Int
    let maxBytes: Int
    /// Record bytes per byte of line, as learned from the file: sizes each append's buffer once.
    let recordBytesPerByte: Double

    private let keyBytes: Int
    private let recordsLinesAsTheyAre: Bool
    /// Whether `store` is set (tested per line without touching the reference).
    private let encodesForStore: Bool
    /// ``origin``, then the record being added: one buffer, so that writing a record reads the
    /// origin from where it writes (see ``encode(_:in:)``).
    private var scratch: [UInt8]
    private var cut: [EncodedAppend] = []
    /// The append being filled: its records in the store's encoding (local store) or as
    /// ``AppendRecord``s, and what it holds so far.
    private var encoded = EncodedRecords()
    private var appendRecords: [AppendRecord] = []
    private var open = EncodedAppend(records: .records([]), start: 0, end: 0)
    private var openLines = 0
    /// Bytes of lines still to come in the part being cut (to size an append's buffer).
    private var lineBytesLeft = 0

    init(
        encoder: RecordEncoder,
        file: String,
        partitionKey: String,
        store: StreamStore?,
        maxRecords: Int,
        maxBytes: Int,
        recordBytesPerByte: Double
    ) {
        self.encoder = encoder
        origin = encoder.origin(file: file)
        scratch = origin
        self.partitionKey = partitionKey
        self.store = store
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
        self.recordBytesPerByte = recordBytesPerByte
        keyBytes = partitionKey.utf8.count + Self.recordOverheadBytes
        recordsLinesAsTheyAre = encoder.recordsLinesAsTheyAre
        encodesForStore = store != nil
    }

    /// Bytes a record costs in an append beyond its data and partition key (its framing), counted
    /// so that an append of small records stays inside one batch of the store.
    static let recordOverheadBytes = 8

    /// The appends of every line of `window`, cut in parts of about `bytesPerPart` bytes of the file.
    func cut(_ window: LineWindow, bytesPerPart: Int) -> [EncodedAppend] {
        let parts = window.parts(bytesPerPart: bytesPerPart)
        return Self.inParallel(parts.count) { index in
            var cutter = self
            cutter.lineBytesLeft = parts[index].count
            window.forEachLine(in: parts[index]) { cutter.add($0, in: $1) }
            return cutter.finish()
        }
    }

    /// The appends of every line (or multiline group) of `lines`, cut in parts of about
    /// `bytesPerPart` bytes of text.
    func cut(_ lines: LineBatch, bytesPerPart: Int) -> [EncodedAppend] {
        let parts = lines.parts(textBytesPerPart: bytesPerPart)
        return Self.inParallel(parts.count) { index in
            var cutter = self
            cutter.lineBytesLeft = lines.textBytes(of: parts[index])
            lines.forEachLine(in: parts[index]) { cutter.add($0, in: $1) }
            return cutter.finish()
        }
    }

    /// Adds the record of `line` (a range of `bytes`), closing the open append first if the record
    /// does not fit in it.
    mutating func add(_ line: LineSlice, in bytes: [UInt8]) {
        if addInPlace(line, in: bytes) { return }
        let (length, outcome) = encode(line, in: bytes)
        let size = length + keyBytes
        if openLines > 0, openLines >= maxRecords || open.bytes + size > maxBytes { close() }
        if openLines == 0 {
            open = EncodedAppend(records: .records([]), start: line.offset, end: line.end)
            let expected = Int(Double(lineBytesLeft) * recordBytesPerByte * 1.1) + size
            let capacity = min(expected, min(maxBytes, 1 << 30) / 8 * 9)
            if encodesForStore { encoded = EncodedRecords(reservingCapacity: capacity) }
        }
        // Moved out while read, so that reading it does not hold all of `self` (nor retain it).
        var record: [UInt8] = []
        swap(&record, &scratch)
        record.withUnsafeBytes { record in
            let data = UnsafeRawBufferPointer(rebasing: record[origin.count..<(origin.count + length)])
            if encodesForStore {
                encoded.append(partitionKey: partitionKey, data: data)
            } else {
                appendRecords.append(AppendRecord(partitionKey: partitionKey, data: Array(data)))
            }
        }
        swap(&record, &scratch)
        openLines += 1
        open.bytes += size
        open.end = line.end
        if outcome.parseFailed { open.parseErrors += 1 }
        if outcome.truncated { open.truncatedLines += 1 }
        lineBytesLeft -= line.text.count
    }

    /// Writes the record of a whole line without fields straight into the open append (the
    /// store's encoding), when it surely fits there whatever its escapes; returns false, having
    /// added nothing, when it may not, or when the line needs `append`'s repair or cut.
    private mutating func addInPlace(_ line: LineSlice, in bytes: [UInt8]) -> Bool {
        guard recordsLinesAsTheyAre, encodesForStore, !line.isTruncated, openLines > 0, openLines < maxRecords else {
            return false
        }
        let originBytes = origin.count
        let maxDataBytes = RecordEncoder.maxLineRecordBytes(lineBytes: line.text.count, originBytes: originBytes)
        guard open.bytes + maxDataBytes + keyBytes <= maxBytes else { return false }
        let maxRecordBytes = encoder.maxRecordBytes
        // The origin is read from the scratch buffer, moved out meanwhile (see `add`).
        var buffer: [UInt8] = []
        swap(&buffer, &scratch)
        defer { swap(&buffer, &scratch) }
        let written = buffer.withUnsafeBytes { buffer in
            bytes.withUnsafeBytes { bytes in
                encoded.append(partitionKey: partitionKey, maxDataBytes: maxDataBytes) { target in
                    RecordEncoder.write(
                        line: UnsafeRawBufferPointer(rebasing: bytes[line.text]),
                        offset: line.offset,
                        origin: UnsafeRawBufferPointer(rebasing: buffer[..<originBytes]),
                        maxRecordBytes: maxRecordBytes,
                        to: target
                    )
                }
            }
        }
        guard let written else { return false }
        openLines += 1
        open.bytes += written + keyBytes
        open.end = line.end
        lineBytesLeft -= line.text.count
        return true
    }

    /// Writes the record of `line` into ``scratch`` after the origin; returns its length. A whole
    /// line without fields is written in one pass
    /// (``RecordEncoder/write(line:offset:origin:maxRecordBytes:to:)``).
    private mutating func encode(_ line: LineSlice, in bytes: [UInt8]) -> (length: Int, outcome: RecordEncoder.Outcome)
    {
        let originBytes = origin.count
        if recordsLinesAsTheyAre, !line.isTruncated {
            let room =
                originBytes + RecordEncoder.maxLineRecordBytes(lineBytes: line.text.count, originBytes: originBytes)
            if scratch.count < room { scratch.append(contentsOf: repeatElement(0, count: room - scratch.count)) }
            let maxRecordBytes = encoder.maxRecordBytes
            var buffer: [UInt8] = []
            swap(&buffer, &scratch)
            let written = buffer.withUnsafeMutableBytes { buffer in
                bytes.withUnsafeBytes { bytes in
                    RecordEncoder.write(
                        line: UnsafeRawBufferPointer(rebasing: bytes[line.text]),
                        offset: line.offset,
                        origin: UnsafeRawBufferPointer(rebasing: buffer[..<originBytes]),
                        maxRecordBytes: maxRecordBytes,
                        to: buffer.baseAddress! + originBytes
                    )
                }
            }
            swap(&buffer, &scratch)
            if let written { return (written, RecordEncoder.Outcome(parseFailed: false, truncated: false)) }
        }
        scratch.removeSubrange(originBytes...)
        let outcome = encoder.append(
            bytes[line.text],
            offset: line.offset,
            originalBytes: line.originalBytes,
            isTruncated: line.isTruncated,
            origin: origin,
            to: &scratch
        )
        return (scratch.count - originBytes, outcome)
    }

    /// Ends the open append: its records move into it.
    private mutating func close() {
        if let store {
            open.records = .encoded(encoded, store: store)
            encoded = EncodedRecords()
        } else {
            open.records = .records(appendRecords)
            appendRecords = []
        }
        cut.append(open)
        openLines = 0
    }

    /// The appends cut, the last one included.
    consuming func finish() -> [EncodedAppend] {
        if openLines > 0 { close() }
        return cut
    }

    /// What `body` returns for each of `count` parts, in order, the parts run on every core.
    private static func inParallel(_ count: Int, _ body: @Sendable (Int) -> [EncodedAppend]) -> [EncodedAppend] {
        guard count > 1 else { return count == 1 ? body(0) : [] }
        let results = Mutex([[EncodedAppend]](repeating: [], count: count))
        DispatchQueue.concurrentPerform(iterations: count) { part in
            let appends = body(part)
            results.withLock { $0[part] = appends }
        }
        return results.withLock { $0.flatMap { $0 } }
    }
}
