import StreamQStorage

/// A file being shipped: its checkpoint entry, its open descriptor, and its appends that the
/// stream has not acknowledged yet (at most ``ShipConfiguration/maxInFlightAppendsPerFile``).
final class TailedFile {
    var entry: FileCheckpoint
    /// nil once the file's content was replaced under it (truncated or rewritten): what was not
    /// read can then only come from a copy (see ``ShipSession/scan(initial:)``).
    var file: LogFile?
    let partitionKey: String
    /// Just past the last line cut into an append.
    var readOffset: Int
    var size: Int
    /// The modification time the last poll saw (see ``FileStatus/modified``).
    var modified: Int?
    /// Whether a glob still names the file (false once it is renamed out of them).
    var inGlob = true
    var links = 1
    var lastChange: ContinuousClock.Instant
    /// With `--once`: the size when found; later lines are left for the next run.
    var limit: Int?
    /// Whether the last read found no complete line.
    var caughtUp = false
    /// With multiline: where the group that the last read held back ends (see ``RecordScanner``).
    var heldGroupEnd: Int?
    var appends: [PendingAppend] = []
    /// Set after a failed append: when to resend what is not acknowledged.
    var retryAt: ContinuousClock.Instant?
    var failedAttempts = 0
    /// Record bytes per byte of the file in the last append cut: lines are read by the bytes their
    /// records will take, so that each core's part of a read fills an append but does not overflow
    /// it (lines that do not fit the free appends are read again later).
    private(set) var recordBytesPerByte = 1.0
    /// Bytes of the file per line in the last append cut, if known.
    private var bytesPerLine: Double?

    init(entry: FileCheckpoint, file: LogFile, size: Int, now: ContinuousClock.Instant) {
        self.entry = entry
        self.file = file
        self.partitionKey = FileProducer.partitionKey(entry.key)
        self.readOffset = entry.ackedOffset
        self.size = size
        self.lastChange = now
    }

    /// Bytes of the file whose records take about `recordBytes`.
    func fileBytes(forRecordBytes recordBytes: Int) -> Int {
        Int(Double(recordBytes) / recordBytesPerByte)
    }

    /// Bytes of the file that about `lines` lines take (unbounded until an append was cut).
    func bytesForLines(_ lines: Int) -> Int {
        bytesPerLine.map { Int($0 * Double(lines)) } ?? .max
    }

    /// Whether an append was cut from the file yet, so that the size of its records is known.
    var knowsRecordSize: Bool { bytesPerLine != nil }

    /// Learns how many bytes of records, and how many lines, an append of `fileBytes` of the file took.
    func noteRecordBytes(_ recordBytes: Int, forFileBytes fileBytes: Int, lines: Int) {
        guard recordBytes > 0, fileBytes > 0, lines > 0 else { return }
        recordBytesPerByte = min(max(Double(recordBytes) / Double(fileBytes), 1), 16)
        bytesPerLine = Double(fileBytes) / Double(lines)
    }

    var isDetached: Bool { file == nil }
    var isGone: Bool { !inGlob || links == 0 }
    var hasAppendsInFlight: Bool { appends.contains { $0.state == .inFlight } }
}

/// An append of consecutive lines of one file, stamped with the file's producer id and the
/// append's sequence.
struct PendingAppend {
    enum State: Equatable {
        /// Not sent yet (or to be sent again).
        case waiting
        case inFlight
        case acknowledged
        case failed
    }

    var intent: AppendIntent
    var records: AppendPayload
    var bytes: Int
    var parseErrors: Int
    var truncatedLines: Int
    var state: State = .waiting
    /// Whether the checkpoint on disk lists this append: it is sent only then.
    var isPersisted: Bool
    /// The version of the checkpoint being written that lists it.
    var checkpointVersion: UInt64?
    /// When it was last sent, and how many times.
    var sentAt: ContinuousClock.Instant?
    var attempts = 0
}
