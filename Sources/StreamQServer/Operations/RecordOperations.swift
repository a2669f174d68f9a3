import StreamQAWS
import StreamQStorage

/// PutRecord, PutRecords, GetShardIterator and GetRecords.
extension KinesisService {
    static let maxDataBytes = 1 << 20
    /// PutRecords' limit on the data and partition keys of one request (10 MiB since 2025).
    static let maxRequestRecordBytes = 10 << 20
    private static let iteratorTypes = [
        "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP",
    ]

    func putRecord(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let data = try reader.blob("Data", required: true, maxLength: Self.maxDataBytes)
        let key = try reader.string("PartitionKey", required: true, length: 1...256)
        let explicit = try reader.string("ExplicitHashKey", pattern: .hashKey)
        _ = try reader.string("SequenceNumberForOrdering", pattern: .sequenceNumber)
        let name = try streamName(&reader)
        let record = AppendRecord(partitionKey: key!, explicitHashKey: try hashKey(explicit), data: data!)
        let description = try describe(name)
        if let limits {
            let shard = try store.shard(for: record.hashKey, in: name)
            guard limits.admitWrite(stream: name, shard: shard, records: 1, bytes: record.data.count + key!.utf8.count)
            else { throw throughputExceeded(shard, name) }
        }
        let result: AppendResult
        do {
            result = try await store.append(to: name, [record])[0]
        } catch {
            throw KinesisErrors.from(error, stream: name.rawValue, account: account)
        }
        metrics.recordsIn(stream: name, shard: result.shard, records: 1, bytes: record.data.count)
        writeRates.add(stream: name, shard: result.shard, records: 1, bytes: record.data.count)
        return .map([
            "ShardId": .string(result.shard.description),
            "SequenceNumber": .string(
                recordSequenceNumber(result.sequenceNumber.sequence, shard: result.shard, in: description)
            ),
            "EncryptionType": .string(encryptionType(description)),
        ])
    }

    /// PutRecords; with `stamped` (streamq's extension, see ``ProducerStampHeaders``) one
    /// idempotent append.
    func putRecords(_ input: AWSValue, stamped: StampedAppend?) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let entries = try reader.list("Records", required: true, count: 1...500) ?? []
        var records: [AppendRecord] = []
        records.reserveCapacity(entries.count)
        var explicitKeys: [String?] = []
        for (index, entry) in entries.enumerated() {
            let (data, key, explicit) = try reader.nested(entry, at: "Records.\(index + 1).member") { item in
                (
                    try item.blob("Data", required: true, maxLength: Self.maxDataBytes),
                    try item.string("PartitionKey", required: true, length: 1...256),
                    try item.string("ExplicitHashKey", pattern: .hashKey)
                )
            }
            explicitKeys.append(explicit)
            records.append(AppendRecord(partitionKey: key ?? "", data: data ?? []))
        }
        let name = try streamName(&reader)
        return try await storeEntries(records, explicitHashKeys: explicitKeys, in: name, stamped: stamped).value
    }

    /// PutRecords from the fast decoder, answered in `encoding`; nil when a member breaks a rule,
    /// so the caller takes the general path, which words the error as AWS does.
    func putRecords(
        _ request: PutRecordsFastDecoder.Request,
        encoding: AWSBodyEncoding,
        stamped: StampedAppend?
    ) async throws -> [UInt8]? {
        if let name = request.streamName {
            guard (1...128).contains(name.utf8.count), RequestReader.Pattern.name.matches(name[...].utf8) else {
                return nil
            }
        }
        if let arn = request.streamARN {
            guard arn.utf8.count <= 2048, !arn.utf8.contains(UInt8(ascii: "\\")),
                RequestReader.Pattern.streamARN.matches(arn[...].utf8)
            else { return nil }
        }
        for key in request.explicitHashKeys.values {
            if !RequestReader.Pattern.hashKey.matches(key[...].utf8) { return nil }
        }
        var input: [String: AWSValue] = [:]
        if let name = request.streamName { input["StreamName"] = .string(name) }
        if let arn = request.streamARN { input["StreamARN"] = .string(arn) }
        var reader = try RequestReader(.map(input))
        let name = try streamName(&reader)
        if stamped == nil, limits == nil, request.explicitHashKeys.isEmpty,
            let outcome = try await storeEncoded(request, in: name)
        {
            return outcome.encoded(encoding)
        }
        let outcome = try await storeEntries(
            request.records,
            explicitHashKeys: request.spans.indices.map { request.explicitHashKeys[$0] },
            in: name,
            stamped: stamped
        )
        return outcome.encoded(encoding)
    }

    /// Stores PutRecords' entries (validated) and answers per entry, in order; with `stamped`, as
    /// one idempotent append (see ``storeIdempotently(_:as:in:)``).
    func storeEntries(
        _ records: [AppendRecord],
        explicitHashKeys: [String?],
        in name: StreamName,
        stamped: StampedAppend?
    ) async throws
        -> PutRecordsOutcome
    {
        let requestBytes = records.reduce(0) { $0 + $1.data.count + $1.partitionKey.utf8.count }
        guard requestBytes <= Self.maxRequestRecordBytes else {
            throw KinesisErrors.invalidArgument(
                "Records size exceeds 10 MB limit: the records' data and partition keys are \(requestBytes) bytes."
            )
        }
        var records = records
        for index in records.indices where explicitHashKeys[index] != nil {
            records[index].explicitHashKey = try hashKey(explicitHashKeys[index])
        }
        if let stamped { return try await storeIdempotently(records, as: stamped, in: name) }
        let description = try describe(name)
        // Throttled entries fail on their own; the rest are stored together.
        var failures = [String?](repeating: nil, count: records.count)
        var admitted = Array(records.indices)
        if let limits {
            admitted = []
            // A shard that refuses one record refuses the rest of the request's records for it, so
            // it never stores a key's later record ahead of an earlier one the client must resend.
            var refusing: Set<ShardID> = []
            for (index, record) in records.enumerated() {
                let shard = try store.shard(for: record.hashKey, in: name)
                let bytes = record.data.count + record.partitionKey.utf8.count
                let admit =
                    !refusing.contains(shard) && limits.admitWrite(stream: name, shard: shard, records: 1, bytes: bytes)
                if admit {
                    admitted.append(index)
                } else {
                    refusing.insert(shard)
                    failures[index] = throughputExceeded(shard, name).message
                }
            }
        }
        var stored = [AppendResult?](repeating: nil, count: records.count)
        var internalFailures = [String?](repeating: nil, count: records.count)
        if !admitted.isEmpty {
            let results = try await store.appendReportingEach(
                to: name,
                admitted.count == records.count ? records : admitted.map { records[$0] }
            )
            // A shard that failed fails only its own entries: clients retry just those.
            for (offset, index) in admitted.enumerated() {
                switch results[offset] {
                case .success(let result): stored[index] = result
                case .failure(let error):
                    let mapped = KinesisErrors.from(error, stream: name.rawValue, account: account)
                    guard mapped.httpStatus >= 500 else { throw mapped }
                    internalFailures[index] = mapped.message
                }
            }
        }
        var perShard: [ShardID: (records: Int, bytes: Int)] = [:]
        // Counted per run of one shard (a request usually holds one or a few), added up per shard after.
        var run: (shard: ShardID, records: Int, bytes: Int)?
        var entries: [PutRecordsOutcome.Entry] = []
        entries.reserveCapacity(records.count)
        for index in records.indices {
            if let result = stored[index] {
                if let current = run, current.shard != result.shard {
                    perShard[current.shard, default: (0, 0)].records += current.records
                    perShard[current.shard, default: (0, 0)].bytes += current.bytes
                    run = nil
                }
                let counted = run ?? (result.shard, 0, 0)
                run = (result.shard, counted.records + 1, counted.bytes + records[index].data.count)
                entries.append(.stored(shard: result.shard, sequence: result.sequenceNumber.sequence))
            } else if let throttled = failures[index] {
                entries.append(.failed(code: "ProvisionedThroughputExceededException", message: throttled))
            } else {
                let message = internalFailures[index] ?? "Internal Service Failure"
                entries.append(.failed(code: "InternalFailure", message: message))
            }
        }
        if let current = run {
            perShard[current.shard, default: (0, 0)].records += current.records
            perShard[current.shard, default: (0, 0)].bytes += current.bytes
        }
        for (shard, counts) in perShard {
            metrics.recordsIn(stream: name, shard: shard, records: counts.records, bytes: counts.bytes)
            writeRates.add(stream: name, shard: shard, records: counts.records, bytes: counts.bytes)
        }
        return PutRecordsOutcome(
            entries: entries,
            createdSeconds: description.createdAtMilliseconds / 1000,
            encryptionType: encryptionType(description)
        )
    }

    func getShardIterator(_ input: AWSValue) throws -> AWSValue {
        var reader = try RequestReader(input)
        let shardText = try reader.string("ShardId", required: true, length: 1...128, pattern: .name)
        let type = try reader.string("ShardIteratorType", required: true, oneOf: Self.iteratorTypes)
        let sequenceText = try reader.string("StartingSequenceNumber", pattern: .sequenceNumber)
        let timestamp = try reader.timestamp("Timestamp")
        let name = try streamName(&reader)
        let description = try describe(name)
        let shard = try shardID(shardText!, in: description)
        let position: StartingPosition
        switch type {
        case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
            guard let sequenceText else {
                throw KinesisErrors.invalidArgument(
                    "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "
                        + "(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified \(type!) and no "
                        + "StartingSequenceNumber."
                )
            }
            guard let (shardNumber, field, created) = KinesisSequenceNumber.decode(sequenceText),
                created == (description.createdAtMilliseconds / 1000) & 0xF_FFFF_FFFF
            else {
                throw KinesisErrors.invalidArgument(
                    "StartingSequenceNumber \(sequenceText) used in GetShardIterator on shard \(shard.id) in stream "
                        + "\(name) under account \(account) is invalid."
                )
            }
            guard shardNumber == shard.id.number else {
                throw KinesisErrors.invalidArgument(
                    "Invalid StartingSequenceNumber. It encodes \(ShardID(shardNumber)), while it was used in a call "
                        + "to a shard with \(shard.id)"
                )
            }
            // A record's number is its sequence plus one: AT it is the record itself, AFTER it the
            // next one; a shard's StartingSequenceNumber sits just before its first record.
            let first = shard.startingSequenceNumber.sequence
            let local = type == "AT_SEQUENCE_NUMBER" ? (field > 0 ? field - 1 : 0) : field
            position = .atSequence(SequenceNumber(sequence: max(local, first), shard: shard.id))
        case "AT_TIMESTAMP":
            guard let timestamp else {
                throw KinesisErrors.invalidArgument(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has "
                        + "no timestamp parameter."
                )
            }
            let current = now()
            guard timestamp <= current else {
                throw KinesisErrors.invalidArgument(
                    "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
                        + "timestampInMillis: \(timestamp), currentTimestampInMillis: \(current)"
                )
            }
            position = .atTimestamp(timestamp)
        default:
            if sequenceText != nil {
                throw KinesisErrors.invalidArgument(
                    "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "
                        + "(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified \(type!) and also "
                        + "a StartingSequenceNumber."
                )
            }
            position = type == "LATEST" ? .latest : .trimHorizon
        }
        let cursor: ShardCursor
        do {
            cursor = try store.cursor(stream: name, shard: shard.id, at: position)
        } catch {
            throw KinesisErrors.from(error, stream: name.rawValue, account: account)
        }
        return .map(["ShardIterator": .string(iterator(for: cursor, createdAt: description.createdAtMilliseconds))])
    }

    /// GetRecords, answered in `encoding` by ``GetRecordsAnswerWriter`` straight from the store, or,
    /// when the client accepts them (CBOR only), with the stored batches that hold the records
    /// (``StoredBatchesExtension``).
    func getRecords(_ input: AWSValue, encoding: AWSBodyEncoding, acceptsStoredBatches: Bool = false) throws -> [UInt8]
    {
        var reader = try RequestReader(input)
        let iteratorText = try reader.string("ShardIterator", required: true, length: 1...512)
        let limit = try reader.integer("Limit", range: 1...Int64.max)
        _ = try reader.string("StreamARN", length: 1...2048, pattern: .streamARN)
        try reader.finish()
        if let limit, limit > 10000 {
            throw KinesisErrors.invalidArgument("Limit must be less than or equal to 10000, got \(limit).")
        }
        let cursor = try openIterator(iteratorText!)
        if let limits, !limits.admitRead(stream: cursor.stream, shard: cursor.shard) {
            throw throughputExceeded(cursor.shard, cursor.stream)
        }
        if acceptsStoredBatches, encoding == .cbor,
            let answer = try storedBatchesAnswer(cursor, limit: Int(limit ?? 10000))
        {
            return answer
        }
        let createdSeconds = try describe(cursor.stream).createdAtMilliseconds / 1000
        var writer = GetRecordsAnswerWriter(encoding: encoding, records: Int(limit ?? 10000))
        let result: ScanResult
        do {
            result = try store.scan(cursor, maxRecords: Int(limit ?? 10000), maxBytes: 10 << 20) { record in
                writer.append(record, shard: cursor.shard, createdSeconds: createdSeconds)
            }
        } catch {
            throw KinesisErrors.from(error, stream: cursor.stream.rawValue, account: account)
        }
        // Described after the read, so children of a reshard that the read saw are in it.
        let description = try describe(cursor.stream)
        let newest = description.shards.first { $0.id == cursor.shard }?.newestArrivalMilliseconds
        let behind = writer.lastArrival.map { max(0, (newest ?? $0) - $0) } ?? 0
        limits?.recordRead(stream: cursor.stream, shard: cursor.shard, bytes: writer.dataBytes)
        metrics.recordsOut(
            stream: cursor.stream,
            shard: cursor.shard,
            records: writer.recordCount,
            bytes: writer.dataBytes
        )
        metrics.iteratorAge(stream: cursor.stream, shard: cursor.shard, milliseconds: behind)
        return writer.finish(
            millisBehindLatest: behind,
            nextShardIterator: result.next.map { iterator(for: $0, createdAt: description.createdAtMilliseconds) },
            childShards: result.next == nil ? .list(childShards(result.childShards, in: description)) : .list([])
        )
    }

    /// The GetRecords answer of ``StoredBatchesExtension`` for up to `limit` records from `cursor`;
    /// nil when the records there are stored encrypted.
    private func storedBatchesAnswer(_ cursor: ShardCursor, limit: Int) throws -> [UInt8]? {
        let read: StoredBatchRead
        do {
            guard let found = try store.storedBatches(cursor, maxRecords: limit, maxBytes: 10 << 20) else { return nil }
            read = found
        } catch {
            throw KinesisErrors.from(error, stream: cursor.stream.rawValue, account: account)
        }
        // Described after the read, so children of a reshard that the read saw are in it.
        let description = try describe(cursor.stream)
        let behind = max(
            0,
            (read.newestArrivalMilliseconds ?? read.lastArrivalMilliseconds) - read.lastArrivalMilliseconds
        )
        let records = read.run.recordCount
        // The records' bytes before compression, as the usual answer counts their data and keys.
        let bytes = read.recordBytes
        limits?.recordRead(stream: cursor.stream, shard: cursor.shard, bytes: bytes)
        metrics.recordsOut(stream: cursor.stream, shard: cursor.shard, records: records, bytes: bytes)
        metrics.iteratorAge(stream: cursor.stream, shard: cursor.shard, milliseconds: behind)
        var body: [UInt8] = []
        body.reserveCapacity(read.run.bytes.count + 512)
        AWSCBOR.appendHead(major: 5, 4, to: &body)
        body.append(contentsOf: StoredBatchesExtension.keyPrefix)
        AWSCBOR.appendHead(major: 5, 3, to: &body)
        AWSCBOR.encode(.string("FirstSequence"), into: &body)
        AWSCBOR.appendHead(major: 0, read.run.firstSequence, to: &body)
        AWSCBOR.encode(.string("EndSequence"), into: &body)
        AWSCBOR.appendHead(major: 0, read.run.endSequence, to: &body)
        AWSCBOR.encode(.string("Batches"), into: &body)
        AWSCBOR.appendHead(major: 2, UInt64(read.run.bytes.count), to: &body)
        body.append(contentsOf: read.run.bytes)
        AWSCBOR.encode(.string("Records"), into: &body)
        AWSCBOR.encode(.list([]), into: &body)
        AWSCBOR.encode(.string("MillisBehindLatest"), into: &body)
        AWSCBOR.encode(.integer(behind), into: &body)
        if let next = read.next {
            AWSCBOR.encode(.string("NextShardIterator"), into: &body)
            AWSCBOR.encode(.string(iterator(for: next, createdAt: description.createdAtMilliseconds)), into: &body)
        } else {
            AWSCBOR.encode(.string("ChildShards"), into: &body)
            AWSCBOR.encode(.list(childShards(read.childShards, in: description)), into: &body)
        }
        return body
    }

    // MARK: Helpers

    /// The children of a closed shard as GetRecords and SubscribeToShard report them.
    func childShards(_ ids: [ShardID], in description: StreamDescription) -> [AWSValue] {
        ids.compactMap { id in
            guard let child = description.shards.first(where: { $0.id == id }) else { return nil }
            return .map([
                "ShardId": .string(id.description),
                "ParentShards": .list(child.parents.map { .string($0.description) }),
                "HashKeyRange": hashKeyRangeValue(child.hashKeyRange),
            ])
        }
    }

    func iterator(for cursor: ShardCursor, createdAt: Int64) -> String {
        tokens.seal(
            .shardIterator,
            [
                .text(cursor.stream.rawValue), .integer(createdAt), .integer(Int64(cursor.shard.number)),
                .integer(Int64(bitPattern: cursor.sequence)),
            ],
            now: now()
        )
    }

    /// The position a shard iterator names, answering AWS's errors for a bad, expired or orphaned one.
    func openIterator(_ text: String) throws -> ShardCursor {
        let fields: [TokenSealer.Field]
        let current = now()
        do {
            fields = try tokens.open(.shardIterator, text, now: current)
        } catch .expired(let issued) {
            throw AWSError(
                "ExpiredIteratorException",
                "Iterator expired. The iterator was created at time \(issued) while right now it is \(current) which is "
                    + "further in the future than the tolerated delay of \(tokens.lifetimeMilliseconds) milliseconds."
            )
        } catch {
            throw KinesisErrors.invalidArgument("Invalid ShardIterator.")
        }
        guard fields.count == 4, case .text(let stream) = fields[0], case .integer(let created) = fields[1],
            case .integer(let shard) = fields[2], case .integer(let sequence) = fields[3],
            let name = StreamName(rawValue: stream), let shardNumber = UInt32(exactly: shard)
        else { throw KinesisErrors.invalidArgument("Invalid ShardIterator.") }
        // A stream deleted and made again under the same name does not honour the old iterators.
        guard let description = try? store.describeStream(name), description.createdAtMilliseconds == created else {
            throw KinesisErrors.streamNotFound(stream, account: account)
        }
        return ShardCursor(stream: name, shard: ShardID(shardNumber), sequence: UInt64(bitPattern: sequence))
    }

    /// An explicit hash key's value; AWS's InvalidArgumentException when it is 2^128 or more.
    func hashKey(_ text: String?) throws -> HashKey? {
        guard let text else { return nil }
        guard let key = HashKey(text, radix: 10) else {
            throw KinesisErrors.invalidArgument(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was \(text)"
            )
        }
        return key
    }

    func throughputExceeded(_ shard: ShardID, _ stream: StreamName) -> AWSError {
        AWSError(
            "ProvisionedThroughputExceededException",
            "Rate exceeded for shard \(shard) in stream \(stream) under account \(account)."
        )
    }
}
