import StreamQStorage

/// What producers, consumers and the SQL engine need from wherever streams live: an embedded
/// ``StreamStore`` (a local data directory), or a Kinesis endpoint (`StreamQRemote.KinesisBackend`).
///
/// Positions are shard-local `UInt64` sequences. A remote backend maps the service's sequence
/// numbers onto them so that they keep their order within a shard, but not necessarily densely
/// (AWS's leave gaps, so a range of positions says nothing of how many records it holds);
/// ``ShardDescription``'s `storedSequences` of an open remote shard ends at `UInt64.max`, since
/// only reading finds its tip, and of a closed one just past its last record's position.
public protocol StreamBackend: Sendable {
    /// Whether a shard's records have consecutive sequences, so a range of sequences can be cut
    /// into pieces by count (a local store's can; a remote service's positions only keep order).
    var numbersRecordsDensely: Bool { get }

    func describeStream(_ name: StreamName) async throws -> StreamDescription

    /// Queues an append to one shard and returns at once; appends queued to one shard are stored
    /// in the order queued. `completion` runs with the first record's sequence number or the error.
    func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        _ records: [AppendRecord],
        producer: ProducerStamp?,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws

    func cursor(stream name: StreamName, shard: ShardID, at position: StartingPosition) async throws -> ShardCursor
    func read(_ cursor: ShardCursor, maxRecords: Int, maxBytes: Int) async throws -> ReadResult

    /// Like `read`, but lends each record to `body` without copying where the backend can: the
    /// SQL engine's path. A backend that cannot know where an open shard ends returns records until
    /// it has caught up with the shard's newest (an empty result means caught up).
    func scan(
        _ cursor: ShardCursor,
        maxRecords: Int,
        maxBytes: Int,
        _ body: (RecordView) throws -> Void
    ) async throws -> ScanResult

    /// Returns when the shard may have records at `cursor` or has closed (true), or after `timeout`.
    func waitForRecords(at cursor: ShardCursor, timeout: Duration) async throws -> Bool
}

extension StreamStore: StreamBackend {
    public var numbersRecordsDensely: Bool { true }
}
