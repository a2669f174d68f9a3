import Logging
import StreamQAWS
import StreamQClient
import StreamQStorage
import Synchronization

/// A ``StreamBackend`` over a Kinesis endpoint (`streamq serve`, Amazon Kinesis, or another
/// implementation such as moto), through a ``KinesisClient``: what lets ``StreamQProducer``,
/// ``StreamQConsumer`` and the SQL engine run against a remote stream unchanged.
///
/// **Positions.** Sequence numbers are mapped onto shard-local `UInt64` positions that keep their
/// order within a shard (see ``ShardSequenceMapping``): AWS's 186-bit "version 2" numbers by their
/// 64-bit position field, small decimals (moto's) as themselves. A cursor at position `p` reads
/// the records from `p` on: TRIM_HORIZON when `p` is at or before the shard's starting position,
/// otherwise AFTER_SEQUENCE_NUMBER of position `p - 1`; a read's `next` is one past its last
/// record. Reading on from where a read left off reuses its iterator (cached per cursor), and an
/// expired or no longer valid iterator is replaced from the cursor's position transparently.
/// The open end of a shard is only found by reading, so `.latest` (and a timestamp past the
/// newest record) resolves to the cursor at `UInt64.max`, the `storedSequences.upperBound` of an
/// open shard: reading there reads from the iterator fetched when the cursor was made, or from
/// LATEST once that iterator is gone (after five idle minutes).
///
/// **Reads** return records until the shard is caught up: GetRecords is called again while it
/// answers nothing and `MillisBehindLatest` is above 0, so an empty result means caught up, as
/// embedded. `maxBytes` is best effort (a read stops after the record that reaches it). While a
/// shard is behind its tip, the GetRecords after a read's is sent as the read returns, so the
/// service produces the next batch while the caller works on this one (one batch ahead per
/// shard, at most 10,000 records).
///
/// **KPL aggregates** are de-aggregated transparently. Their user records share the aggregate's
/// sequence number (there is no room for a sub-sequence in the mapping), and a read never splits
/// an aggregate: a read returns all its user records or none (exceeding `maxRecords` only for an
/// aggregate larger than it), so the cursor moves past an aggregate only once all its records are
/// delivered. A consumer-group checkpoint names the aggregate: committing one of its user
/// records commits them all, so commit after the aggregate's last one (auto-commit does).
///
/// **Appends** go through ``KinesisClient/putRecordsReliably(stream:records:idempotent:)``, one request in
/// flight per shard and in the order queued (see ``ShardAppendQueues``). The service routes each
/// record by its partition key (or explicit hash key), as the producer did, and the completion
/// gets the first record's sequence number in the shard the service stored it in. Per-record
/// sequence numbers beyond the first are exact where the service numbers a shard's records
/// densely (`streamq serve`, moto), not on AWS. An append that stored nothing for a transient
/// cause fails with ``KinesisTransientAppendError``, which the producer retries. An idempotent
/// producer's append goes whole in one PutRecords carrying its stamp and shard as streamq's
/// extension (``IdempotentAppend``), in every retry: `streamq serve` stores it once on that shard
/// and answers a resend with the original sequence numbers, so appends are exactly once there, as
/// embedded (a shard closed by a reshard refuses them with `.shardClosed`, and the producer routes
/// again). Other services ignore the extension: there a batch whose acknowledgement was lost may
/// be stored twice (Kinesis is at-least-once).
///
/// **Waiting** polls GetRecords, at most ``KinesisBackendConfiguration/pollsPerSecondPerShard``
/// times a second per shard, and keeps what it fetched for the next read.
///
/// **Enhanced fan-out.** With ``KinesisBackendConfiguration/consumerName``, reads and waits on an
/// open shard take the records SubscribeToShard pushes instead of polling (see
/// ``FanOutSubscriptions``): a wait returns as soon as a record arrives. The consumer is
/// registered on the stream if absent. Closed shards are still read with GetRecords.
///
/// The backend does not own the client: shut the client down after the backend's last use.
public final class KinesisBackend: StreamBackend, Sendable {
    public let client: KinesisClient
    public let configuration: KinesisBackendConfiguration
    private let logger: Logger
    private let shards = Mutex<[StreamName: [ShardID: RemoteShard]]>([:])
    private let iterators: Mutex<ShardIteratorCache>
    private let lastGetRecords = Mutex<[ShardKey: ContinuousClock.Instant]>([:])
    /// GetRecords sent ahead of a read, by the cursor they continue.
    private let readsAhead = Mutex<[ShardCursor: Task<ShardIteratorCache.Entry, any Error>]>([:])
    private let appends: ShardAppendQueues
    /// Set when reading through an enhanced fan-out consumer.
    private let fanOut: FanOutSubscriptions?

    /// What the backend knows of one shard from ListShards.
    struct RemoteShard: Sendable {
        var id: ShardID
        /// The service's shard id.
        var shardID: String
        var mapping: ShardSequenceMapping
        var hashKeyRange: HashKeyRange
        var parents: [ShardID]
        /// The position of a closed shard's EndingSequenceNumber; nil while open.
        var endPosition: UInt64?
    }

    /// AWS's positions leave gaps between records (streamq serve's and moto's do not).
    public var numbersRecordsDensely: Bool { false }

    public init(
        client: KinesisClient,
        configuration: KinesisBackendConfiguration = .init(),
        logger: Logger = Logger(label: "streamq.kinesis-backend")
    ) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        iterators = Mutex(ShardIteratorCache(capacity: configuration.cachedIterators))
        let put = AppendSender(
            client: client,
            rounds: configuration.appendRounds,
            aggregate: configuration.aggregateRecords
        )
        appends = ShardAppendQueues { key, records, producer in
            await put.send(records, producer: producer, to: key)
        }
        fanOut = configuration.consumerName.map {
            FanOutSubscriptions(
                client: client,
                consumerName: $0,
                bufferBytes: configuration.subscriptionBufferBytes,
                logger: logger
            )
        }
    }

    deinit { fanOut?.cancelAll() }

    // MARK: Describing

    /// DescribeStreamSummary and ListShards: shards with lineage and positions. A closed shard's
    /// `storedSequences` ends one past its EndingSequenceNumber, an open one's at `UInt64.max`;
    /// sizes and arrival times are not known remotely (0 and nil).
    /// - Throws: `.streamNotFound` when the endpoint has no such stream.
    public func describeStream(_ name: StreamName) async throws -> StreamDescription {
        let summary: KinesisStreamSummary
        do {
            summary = try await client.describeStreamSummary(.name(name.rawValue))
        } catch let error as KinesisClientError where error.code == "ResourceNotFoundException" {
            throw StreamQStorageError(.streamNotFound, "stream '\(name)' does not exist: \(error)")
        }
        let listed = try await listShards(name).values.sorted { $0.id < $1.id }
        let descriptions = listed.map { shard in
            let start = shard.mapping.start
            return ShardDescription(
                id: shard.id,
                hashKeyRange: shard.hashKeyRange,
                parents: shard.parents,
                children: listed.filter { $0.parents.contains(shard.id) }.map(\.id),
                isOpen: shard.endPosition == nil,
                startingSequenceNumber: SequenceNumber(sequence: start, shard: shard.id),
                endingSequenceNumber: shard.endPosition.map { SequenceNumber(sequence: $0, shard: shard.id) },
                storedSequences: start..<(shard.endPosition.map { max($0, start) + 1 } ?? .max),
                bytesOnDisk: 0,
                segmentCount: 0,
                newestArrivalMilliseconds: nil
            )
        }
        let encrypted = summary.encryptionType == "KMS"
        return StreamDescription(
            name: name,
            createdAtMilliseconds: summary.creationMilliseconds ?? 0,
            retention: .seconds(summary.retentionPeriodHours * 3600),
            retentionBytes: nil,
            shards: descriptions,
            encryption: encrypted ? StreamEncryption(type: .kms, keyID: summary.keyID) : .none
        )
    }

    /// Lists the stream's shards and remembers them.
    @discardableResult
    private func listShards(_ name: StreamName) async throws -> [ShardID: RemoteShard] {
        var listed: [ShardID: RemoteShard] = [:]
        for shard in try await client.listShards(.name(name.rawValue)) {
            let id = try Self.shardID(shard.shardID)
            guard let start = HashKey(shard.startingHashKey), let end = HashKey(shard.endingHashKey), start <= end
            else {
                throw KinesisBackendError(
                    "shard \(shard.shardID) has an invalid hash key range \(shard.startingHashKey)…\(shard.endingHashKey)"
                )
            }
            listed[id] = RemoteShard(
                id: id,
                shardID: shard.shardID,
                mapping: try ShardSequenceMapping(startingSequenceNumber: shard.startingSequenceNumber),
                hashKeyRange: HashKeyRange(start: start, end: end),
                parents: try [shard.parentShardID, shard.adjacentParentShardID].compactMap { $0 }.map(Self.shardID),
                endPosition: try shard.endingSequenceNumber.map(ShardSequenceMapping.position(of:))
            )
        }
        shards.withLock { $0[name] = listed }
        return listed
    }

    /// The shard as last listed, listing the stream again when it is not known yet.
    private func remoteShard(_ name: StreamName, _ id: ShardID) async throws -> RemoteShard {
        if let known = shards.withLock({ $0[name]?[id] }) { return known }
        guard let listed = try await listShards(name)[id] else {
            throw StreamQStorageError(.shardNotFound, "stream '\(name)' has no shard \(id)")
        }
        return listed
    }

    static func shardID(_ text: String) throws(KinesisBackendError) -> ShardID {
        guard let id = ShardID(parsing: text) else {
            throw KinesisBackendError("shard id \(text) is not of the form shardId-<number>")
        }
        return id
    }

    // MARK: Appending

    /// Queues PutRecords of `records` (each with its explicit hash key, if set) behind the appends
    /// already queued to `shard`; see the type's documentation for order, retries and the stamp.
    public func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        _ records: [AppendRecord],
        producer: ProducerStamp?,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws {
        guard !records.isEmpty else {
            throw StreamQStorageError(.invalidArgument, "an append needs at least one record")
        }
        appends.enqueue(
            ShardAppendQueues.Append(records: records, producer: producer, completion: completion),
            to: ShardKey(stream: name, shard: shard)
        )
    }

    // MARK: Positions

    /// The cursor for a starting position. `.trimHorizon` is the shard's starting position;
    /// `.latest` on an open shard, and `.atTimestamp` past the newest record, are `UInt64.max` (see
    /// the type's documentation); `.atTimestamp` otherwise is the first record's position, its
    /// records kept for the first read. `.atSequence(UInt64.max)` is the open end as well.
    public func cursor(
        stream name: StreamName,
        shard id: ShardID,
        at position: StartingPosition
    ) async throws
        -> ShardCursor
    {
        let shard = try await remoteShard(name, id)
        func located(_ sequence: UInt64) -> ShardCursor { ShardCursor(stream: name, shard: id, sequence: sequence) }
        switch position {
        case .trimHorizon:
            return located(shard.mapping.start)
        case .atSequence(let number), .afterSequence(let number):
            guard number.shard == id else {
                throw StreamQStorageError(
                    .invalidArgument,
                    "sequence number \(number) belongs to \(number.shard), not \(id)"
                )
            }
            guard case .afterSequence = position, number.sequence < .max else { return located(number.sequence) }
            return located(number.sequence + 1)
        case .latest:
            if let end = shard.endPosition { return located(end < .max ? end + 1 : end) }
            if let fanOut {
                try await fanOut.subscribe(at: located(.max), start: .init(shardID: shard.shardID, position: .latest))
                return located(.max)
            }
            return try await resolve(name, shard, .latest)
        case .atTimestamp(let milliseconds):
            let cursor = try await resolve(name, shard, .atTimestamp(milliseconds: milliseconds))
            if let fanOut, cursor.sequence == .max {  // past the newest record: pushed from that time on
                let start = FanOutSubscriptions.Start(
                    shardID: shard.shardID,
                    position: .atTimestamp(milliseconds: milliseconds)
                )
                try await fanOut.subscribe(at: cursor, start: start)
            }
            return cursor
        }
    }

    /// Fetches an iterator at `position` and reads until records come, the shard ends or it is
    /// caught up; returns the cursor of what was found, with the records and iterator kept for it.
    private func resolve(
        _ name: StreamName,
        _ shard: RemoteShard,
        _ position: ShardPosition
    ) async throws
        -> ShardCursor
    {
        let iterator = try await client.getShardIterator(
            .name(name.rawValue),
            shardID: shard.shardID,
            position: position
        )
        var entry = ShardIteratorCache.Entry(pending: [], iterator: iterator, childShards: [], millisBehindLatest: 0)
        let open = ShardCursor(stream: name, shard: shard.id, sequence: .max)
        repeat {
            entry = try await refill(open, entry, limit: 10_000)
        } while !entry.canAnswer && entry.millisBehindLatest > 0
        let sequence: UInt64
        if let first = entry.pending.first?.sequenceNumber.sequence ?? entry.lent?.firstSequence {
            sequence = first
        } else if entry.iterator == nil, let end = try await remoteShard(name, shard.id).endPosition {
            sequence = end < .max ? end + 1 : end
        } else {
            sequence = .max
        }
        let cursor = ShardCursor(stream: name, shard: shard.id, sequence: sequence)
        iterators.withLock { $0.put(entry, at: cursor) }
        return cursor
    }

    // MARK: Reading

    public func read(_ cursor: ShardCursor, maxRecords: Int, maxBytes: Int) async throws -> ReadResult {
        let fetched = try await fetch(cursor, maxRecords: maxRecords, maxBytes: maxBytes)
        readAhead(fetched)
        return ReadResult(
            records: fetched.lent?.stored(shard: cursor.shard) ?? fetched.records,
            next: fetched.next,
            childShards: fetched.childShards,
            trimmedTo: nil,
            millisBehindLatest: fetched.millisBehindLatest
        )
    }

    public func scan(
        _ cursor: ShardCursor,
        maxRecords: Int,
        maxBytes: Int,
        _ body: (RecordView) throws -> Void
    ) async throws -> ScanResult {
        let fetched = try await fetch(cursor, maxRecords: maxRecords, maxBytes: maxBytes)
        readAhead(fetched)
        try fetched.lent?.lend(body)
        for record in fetched.records {
            var key = record.partitionKey
            try key.withUTF8 { keyBytes in
                try record.data.withUnsafeBytes { dataBytes in
                    try body(
                        RecordView(
                            sequence: record.sequenceNumber.sequence,
                            arrivalMilliseconds: record.arrivalMilliseconds,
                            partitionKey: UnsafeRawBufferPointer(keyBytes),
                            explicitHashKey: record.explicitHashKey,
                            data: dataBytes,
                            isEncrypted: record.isEncrypted
                        )
                    )
                }
            }
        }
        return ScanResult(
            recordCount: fetched.recordCount,
            next: fetched.next,
            childShards: fetched.childShards,
            trimmedTo: nil
        )
    }

    /// Polls GetRecords at the configured pace until the shard has records at `cursor` or has
    /// ended (true), or `timeout` passes (false). What a poll fetched is kept for the next read.
    /// Through enhanced fan-out, returns as soon as the subscription brought records.
    public func waitForRecords(at cursor: ShardCursor, timeout: Duration) async throws -> Bool {
        if let fanOut, let start = try await fanOutStart(cursor, fanOut) {
            return try await fanOut.waitForRecords(at: cursor, start: start, timeout: timeout)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let interval = Duration.seconds(1) / max(configuration.pollsPerSecondPerShard, 0.001)
        let key = ShardKey(stream: cursor.stream, shard: cursor.shard)
        while true {
            if iterators.withLock({ $0.peek(cursor)?.canAnswer }) == true { return true }
            let earliest = lastGetRecords.withLock { $0[key] }.map { $0 + interval } ?? clock.now
            guard earliest < deadline else {
                try? await Task.sleep(until: deadline, clock: clock)
                return false
            }
            try? await Task.sleep(until: earliest, clock: clock)
            if Task.isCancelled { return false }
            // Another reader at this cursor (a group member handing the shard over in this process)
            // may have stored an answer since the peek: it is kept, not polled past.
            let kept = iterators.withLock { $0.take(cursor) }
            if let kept, kept.canAnswer {
                iterators.withLock { $0.put(kept, at: cursor) }
                return true
            }
            let entry = try await refill(cursor, kept, limit: 10_000)
            iterators.withLock { $0.put(entry, at: cursor) }
        }
    }

    struct Fetched {
        var records: [StoredRecord]
        /// Instead of `records`, the records as their answer lends them.
        var lent: LentRecords? = nil
        var next: ShardCursor?
        var childShards: [ShardID]
        var millisBehindLatest: Int64

        var recordCount: Int { records.count + (lent?.count ?? 0) }
    }

    /// Records from `cursor`: from what is kept for it, else from the service until records come,
    /// the shard ends, or it is caught up.
    private func fetch(_ cursor: ShardCursor, maxRecords: Int, maxBytes: Int) async throws -> Fetched {
        guard maxRecords > 0, maxBytes > 0 else {
            throw StreamQStorageError(.invalidArgument, "read limits must be positive")
        }
        if let fanOut, let start = try await fanOutStart(cursor, fanOut) {
            return try await fanOut.read(cursor, start: start, maxRecords: maxRecords, maxBytes: maxBytes)
        }
        var entry = iterators.withLock { $0.take(cursor) }
        if entry == nil, let ahead = readsAhead.withLock({ $0.removeValue(forKey: cursor) }) {
            entry = try? await ahead.value  // a failed read-ahead is redone from the cursor below
        }
        var refilled = false
        while true {
            if let current = entry, current.canAnswer {
                return deliver(current, at: cursor, maxRecords: maxRecords, maxBytes: maxBytes)
            }
            if let current = entry, refilled, current.millisBehindLatest == 0 {  // caught up
                iterators.withLock { $0.put(current, at: cursor) }
                return Fetched(records: [], next: cursor, childShards: [], millisBehindLatest: 0)
            }
            entry = try await refill(cursor, entry, limit: min(maxRecords, 10_000))
            refilled = true
        }
    }

    /// Sends the GetRecords that continues `fetched` now, when the shard is behind its tip and
    /// nothing is kept for the next cursor yet.
    private func readAhead(_ fetched: Fetched) {
        guard let next = fetched.next, fetched.millisBehindLatest > 0 || fetched.recordCount >= 10_000 else { return }
        guard
            let entry = iterators.withLock({ cache -> ShardIteratorCache.Entry? in
                guard let kept = cache.peek(next), !kept.hasRecords, kept.iterator != nil else { return nil }
                return cache.take(next)
            })
        else { return }
        readsAhead.withLock { $0[next] = Task { try await self.refill(next, entry, limit: 10_000) } }
    }

    /// Returns the first whole aggregates (runs of one sequence) of `entry` within the limits and
    /// keeps the rest for the cursor after them.
    private func deliver(
        _ entry: ShardIteratorCache.Entry,
        at cursor: ShardCursor,
        maxRecords: Int,
        maxBytes: Int
    ) -> Fetched {
        if entry.pending.isEmpty, var lent = entry.lent, !lent.isEmpty {
            let taken = lent.removePrefix(maxRecords: maxRecords, maxBytes: maxBytes)
            let next = ShardCursor(stream: cursor.stream, shard: cursor.shard, sequence: taken.lastSequence! + 1)
            if lent.isEmpty && entry.iterator == nil {
                return Fetched(
                    records: [],
                    lent: taken,
                    next: nil,
                    childShards: entry.childShards,
                    millisBehindLatest: 0
                )
            }
            var rest = entry
            rest.lent = lent
            iterators.withLock { $0.put(rest, at: next) }
            return Fetched(
                records: [],
                lent: taken,
                next: next,
                childShards: [],
                millisBehindLatest: entry.millisBehindLatest
            )
        }
        let pending = entry.pending
        let taken = pending.wholeAggregatesPrefix(maxRecords: maxRecords, maxBytes: maxBytes)
        let records = Array(pending[..<taken])
        let next = ShardCursor(
            stream: cursor.stream,
            shard: cursor.shard,
            sequence: records.last.map { $0.sequenceNumber.sequence + 1 } ?? cursor.sequence
        )
        if taken == pending.count && entry.iterator == nil {
            return Fetched(records: records, next: nil, childShards: entry.childShards, millisBehindLatest: 0)
        }
        var rest = entry
        rest.pending = Array(pending[taken...])
        iterators.withLock { $0.put(rest, at: next) }
        return Fetched(records: records, next: next, childShards: [], millisBehindLatest: entry.millisBehindLatest)
    }

    /// One GetRecords from `entry`'s iterator (or a new one at the cursor's position), replacing
    /// an expired or invalid iterator (a few times: on a loaded machine a fresh iterator from a
    /// server with a short lifetime can expire before it is used); the answer as the entry for
    /// the cursor.
    private func refill(
        _ cursor: ShardCursor,
        _ entry: ShardIteratorCache.Entry?,
        limit: Int
    ) async throws -> ShardIteratorCache.Entry {
        var iterator = entry?.iterator
        var replacements = 0
        while true {
            let current: String
            if let iterator {
                current = iterator
            } else {
                current = try await newIterator(at: cursor)
            }
            do {
                lastGetRecords.withLock {
                    $0[ShardKey(stream: cursor.stream, shard: cursor.shard)] = .now
                }
                let (output, records, lent) = try await getStoredRecords(
                    iterator: current,
                    limit: limit,
                    shard: cursor.shard
                )
                // Records the entry still holds come first, lent ones too: a refill never drops them.
                let kept = (entry?.pending ?? []) + (entry?.lent?.stored(shard: cursor.shard) ?? [])
                return try await entryFrom(output, records, lent, at: cursor, keeping: kept)
            } catch let error as KinesisClientError where replacements < 3 && Self.isStaleIterator(error) {
                logger.debug(
                    "replacing a shard iterator",
                    metadata: ["shard": "\(cursor.shard)", "stream": "\(cursor.stream)", "reason": "\(error)"]
                )
                iterator = nil
                replacements += 1
            }
        }
    }

    /// The entry for `cursor` after an answer whose records (as stored records) are `records`, or
    /// are lent by `lent`.
    private func entryFrom(
        _ output: GetRecordsOutput,
        _ records: [StoredRecord],
        _ lent: LentRecords?,
        at cursor: ShardCursor,
        keeping pending: [StoredRecord]
    ) async throws -> ShardIteratorCache.Entry {
        let records = pending.isEmpty ? records : pending + records + (lent?.stored(shard: cursor.shard) ?? [])
        var entry = ShardIteratorCache.Entry(
            pending: records,
            lent: pending.isEmpty ? lent : nil,
            iterator: output.nextShardIterator,
            childShards: try output.childShards.map { try Self.shardID($0.shardID) },
            millisBehindLatest: output.millisBehindLatest ?? 0
        )
        if entry.iterator != nil && !entry.hasRecords && entry.millisBehindLatest == 0 {
            // moto never ends a closed shard (NextShardIterator is never null, no ChildShards): a
            // shard listed closed whose numbers are moto's counters ends once caught up.
            let shard = try await remoteShard(cursor.stream, cursor.shard)
            if shard.endPosition != nil && shard.mapping.isSmall {
                entry.iterator = nil
                entry.childShards = (shards.withLock { $0[cursor.stream] } ?? [:]).values
                    .filter { $0.parents.contains(cursor.shard) }.map(\.id).sorted()
            }
        }
        return entry
    }

    /// An iterator for the records from the cursor's position on.
    private func newIterator(at cursor: ShardCursor) async throws -> String {
        let shard = try await remoteShard(cursor.stream, cursor.shard)
        return try await client.getShardIterator(
            .name(cursor.stream.rawValue),
            shardID: shard.shardID,
            position: Self.position(of: cursor, in: shard)
        )
    }

    /// Where the records from the cursor's position on start, for GetShardIterator or SubscribeToShard.
    private static func position(of cursor: ShardCursor, in shard: RemoteShard) -> ShardPosition {
        if cursor.sequence == .max { return .latest }
        if cursor.sequence <= shard.mapping.start { return .trimHorizon }
        return .afterSequenceNumber(shard.mapping.sequenceNumber(at: cursor.sequence - 1))
    }

    /// Where a subscription for `cursor` starts when the shard is read through enhanced fan-out:
    /// an open shard, or one whose subscription is under way; nil to poll.
    private func fanOutStart(
        _ cursor: ShardCursor,
        _ fanOut: FanOutSubscriptions
    ) async throws -> FanOutSubscriptions.Start? {
        let shard = try await remoteShard(cursor.stream, cursor.shard)
        guard shard.endPosition == nil || fanOut.isSubscribed(ShardKey(stream: cursor.stream, shard: cursor.shard))
        else { return nil }
        return FanOutSubscriptions.Start(shardID: shard.shardID, position: Self.position(of: cursor, in: shard))
    }

    /// An iterator past its five minutes, or one the service no longer accepts (a server that
    /// restarted with another key).
    private static func isStaleIterator(_ error: KinesisClientError) -> Bool {
        guard let service = error.serviceError else { return false }
        return service.code == "ExpiredIteratorException"
            || (service.code == "InvalidArgumentException" && service.message.contains("ShardIterator"))
    }

    /// Records as streamq sees them: positions from their sequence numbers, KPL aggregates
    /// unpacked into their user records (which share the aggregate's position).
    static func storedRecords(_ records: [KinesisRecord], shard: ShardID) throws -> [StoredRecord] {
        var stored: [StoredRecord] = []
        stored.reserveCapacity(records.count)
        for record in records {
            appendStored(
                SequenceNumber(sequence: try ShardSequenceMapping.position(of: record.sequenceNumber), shard: shard),
                arrivalMilliseconds: record.approximateArrivalMilliseconds ?? 0,
                partitionKey: record.partitionKey,
                data: record.data,
                isEncrypted: record.encryptionType == "KMS",
                to: &stored
            )
        }
        return stored
    }

    /// Appends one service record to `stored`: itself, or the user records of a KPL aggregate.
    static func appendStored(
        _ number: SequenceNumber,
        arrivalMilliseconds: Int64,
        partitionKey: String,
        data: [UInt8],
        isEncrypted: Bool,
        to stored: inout [StoredRecord]
    ) {
        guard let users = KPLAggregate.decode(data) else {
            stored.append(
                StoredRecord(
                    sequenceNumber: number,
                    arrivalMilliseconds: arrivalMilliseconds,
                    partitionKey: partitionKey,
                    explicitHashKey: nil,
                    data: data,
                    isEncrypted: isEncrypted
                )
            )
            return
        }
        for user in users {
            stored.append(
                StoredRecord(
                    sequenceNumber: number,
                    arrivalMilliseconds: arrivalMilliseconds,
                    partitionKey: user.partitionKey,
                    explicitHashKey: user.explicitHashKey.flatMap { HashKey($0) },
                    data: user.data,
                    isEncrypted: isEncrypted
                )
            )
        }
    }
}
