import StreamQStorage

/// What `streamq ship` tails and where the lines go. Every limit has the default that
/// `shipper-sink.md` §3.1 recommends.
public struct ShipConfiguration: Sendable {
    /// Where files present at the first start (no checkpoint yet) are read from. Files that
    /// appear later are always read from their start, or their first lines would be lost.
    public enum StartPosition: String, Sendable, CaseIterable {
        case beginning
        case end
    }

    /// Glob patterns of the files to tail (`*`, `?`, `[…]`, `**`).
    public var paths: [String]
    /// Patterns of files to leave out, matched against the path or the file name.
    public var excludes: [String] = []
    public var stream: StreamName
    /// A `--config` file's name for this source: its metrics carry it as the `source` label.
    public var sourceName: String?
    public var parser: LineParser = .none
    /// Joins the lines of a stack trace (or any group of lines the rule describes) into one record;
    /// nil ships one record per line. A group is capped at `maxLineBytes` (marked `_truncated`).
    public var multiline: MultilineRule?
    public var startPosition: StartPosition = .end
    /// Holds `checkpoints.json`; one shipper at a time uses it.
    public var stateDirectory: String
    /// Ship what the files hold when they are found, then stop.
    public var once = false
    /// `host` in every record.
    public var host: String
    /// Longer lines keep their first `maxLineBytes`, marked `_truncated`.
    public var maxLineBytes = 1 << 20
    /// The destination's record limit (Kinesis: 1 MiB).
    public var maxRecordBytes = 1 << 20
    /// Bytes of records sent and not yet acknowledged, over all files; past it, reading waits.
    public var maxInFlightBytes = 32 << 20
    /// Records per append. Through a Kinesis endpoint an append is one PutRecords, so 500 at most;
    /// into a local store larger appends mean fewer fsyncs (see ``localStoreBatches()``).
    public var maxBatchRecords = 500
    /// Bytes per append; kept under the store's batch size so an append is never split on disk.
    public var maxBatchBytes = 256 << 10
    /// Appends sent and not yet acknowledged, per file: inside the store's deduplication window of
    /// five, so an append resent after a lost acknowledgement gets its original position back.
    /// Into a local store, where no acknowledgement is lost, more (see ``localStoreBatches()``).
    public var maxInFlightAppendsPerFile = 4
    /// Appends cut ahead and named in the checkpoint, per file, those in flight included. An append
    /// is never sent before the checkpoint names it, so those beyond the ones in flight are named
    /// while the others are stored, and are sent as soon as acknowledgements make room. After a
    /// crash they are all resent; one the store has stored and no longer remembers is refused as
    /// older than its window, which proves it stored (a producer's appends are stored in order
    /// without gaps), and counts as acknowledged. Sixteen, so that appends are cut and named far
    /// enough ahead that the store never waits for a checkpoint write (7–20 ms on a busy disk).
    public var maxPendingAppendsPerFile = 16
    /// How often open files are checked for growth, truncation and rotation.
    public var pollInterval: Duration = .milliseconds(100)
    /// How often the globs are expanded again to find new files.
    public var scanInterval: Duration = .seconds(1)
    /// A file renamed out of the globs or deleted is closed after this long without growth, once
    /// everything in it is shipped.
    public var rotateWait: Duration = .seconds(5)
    /// A file the globs still name is closed after this long without growth once everything in it
    /// is shipped (Filebeat's `close_inactive`), so thousands of rotated files kept beside a log do
    /// not hold a descriptor each; a scan opens it again when it grows.
    public var closeInactive: Duration = .seconds(300)
    /// How often acknowledged progress is written to the checkpoint when it changed.
    public var checkpointInterval: Duration = .seconds(1)
    /// After a stop request, how long acknowledgements are waited for.
    public var grace: Duration = .seconds(30)
    /// Checkpoint entries of files not seen for this long are forgotten.
    public var forgetAfter: Duration = .seconds(7 * 24 * 3600)

    /// Appends as large as a local store's batches (1 MiB, 10,000 records), for shipping into a data
    /// directory rather than through a Kinesis endpoint; and eight of them in flight per file, so
    /// that the store compresses and syncs a deeper queue (on a busy machine every hand-over
    /// between the shipper's and the store's threads waits for a core). Past the deduplication
    /// window of five this is still exactly once: in process no acknowledgement is lost, so an
    /// append is resent only after a failure (the store stored nothing of it, nor of those after
    /// it) or after a restart, when one older than the window is refused as such, which proves it
    /// stored (see ``maxPendingAppendsPerFile``).
    public mutating func localStoreBatches() {
        maxBatchRecords = 10_000
        maxBatchBytes = 960 << 10
        maxInFlightAppendsPerFile = 8
    }

    public init(paths: [String], stream: StreamName, stateDirectory: String, host: String) {
        self.paths = paths
        self.stream = stream
        self.stateDirectory = stateDirectory
        self.host = host
    }
}
