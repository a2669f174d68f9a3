import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import StreamQAWS
import StreamQStorage

/// SubscribeToShard: an AWS event stream (`application/vnd.amazon.eventstream`) that pushes a
/// shard's records to an enhanced fan-out consumer for up to the subscription lifetime (5 minutes),
/// with a ContinuationSequenceNumber in every event and ChildShards when the shard ends.
extension KinesisHTTPHandler {
    private static let startingTypes = [
        "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP",
    ]
    /// An event goes out at least this often, records or not, so clients see the subscription live.
    private static let heartbeat: Duration = .seconds(5)

    func subscribeToShard(_ input: AWSValue, encoding: AWSBodyEncoding, requestID: String) async throws -> Response {
        var reader = try RequestReader(input)
        let consumerARN = try reader.string("ConsumerARN", required: true, length: 1...2048, pattern: .consumerARN)
        let shardText = try reader.string("ShardId", required: true, length: 1...128, pattern: .name)
        let start = try reader.map("StartingPosition", required: true) ?? [:]
        let (type, sequenceText, timestamp) = try reader.nested(.map(start), at: "StartingPosition") { nested in
            (
                try nested.string("Type", required: true, oneOf: Self.startingTypes),
                try nested.string("SequenceNumber", pattern: .sequenceNumber),
                try nested.timestamp("Timestamp")
            )
        }
        try reader.finish()
        var consumerReader = try RequestReader(.map(["ConsumerARN": .string(consumerARN!)]))
        let (stream, _) = try service.consumer(&consumerReader)
        let created = try service.describe(stream).createdAtMilliseconds
        // GetShardIterator checks the shard and the starting position exactly as SubscribeToShard must.
        var iteratorInput: [String: AWSValue] = [
            "StreamName": .string(stream.rawValue), "ShardId": .string(shardText!), "ShardIteratorType": .string(type!),
        ]
        if let sequenceText { iteratorInput["StartingSequenceNumber"] = .string(sequenceText) }
        if let timestamp { iteratorInput["Timestamp"] = .timestamp(milliseconds: timestamp) }
        guard case .string(let iterator) = try service.getShardIterator(.map(iteratorInput))["ShardIterator"] else {
            throw KinesisErrors.internalFailure("no iterator for the subscription")
        }
        let cursor = try service.openIterator(iterator)
        let key = SubscriptionRegistry.Key(consumerARN: consumerARN!, shard: cursor.shard.description)
        guard let id = subscriptions.start(key) else {
            throw AWSError(
                "ResourceInUseException",
                "Another active subscription exists for consumer \(consumerARN!) on shard \(cursor.shard); "
                    + "subscribe again at least 5 seconds after the previous subscription started."
            )
        }
        let handler = self
        let body = ResponseBody { writer in
            handler.service.metrics.subscriptionOpened()
            defer {
                handler.subscriptions.end(key, id: id)
                handler.service.metrics.subscriptionClosed()
            }
            try await writer.write(
                ByteBuffer(bytes: EventStreamMessage.event(type: "initial-response", json: Array("{}".utf8)).encoded())
            )
            do {
                try await handler.pushEvents(
                    from: cursor,
                    subscription: id,
                    consumerARN: consumerARN!,
                    streamCreated: created,
                    encoding: encoding,
                    to: &writer
                )
            } catch {
                // The stream was deleted, a read failed…: an in-stream exception, as AWS sends.
                let failure = KinesisErrors.from(
                    error,
                    stream: cursor.stream.rawValue,
                    account: handler.service.account
                )
                let code = failure.httpStatus >= 500 ? "InternalFailure" : failure.code
                try await writer.write(
                    ByteBuffer(bytes: EventStreamMessage.exception(type: code, message: failure.message).encoded())
                )
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/vnd.amazon.eventstream", HTTPField.Name("x-amzn-RequestId")!: requestID,
            ],
            body: body
        )
    }

    /// Sends SubscribeToShardEvents until the lifetime ends, the shard ends, a newer subscription
    /// takes over, or the server shuts down.
    private func pushEvents(
        from start: ShardCursor,
        subscription id: UInt64,
        consumerARN: String,
        streamCreated: Int64,
        encoding: AWSBodyEncoding,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        let store = service.store
        let deadline = ContinuousClock.now + service.configuration.subscriptionLifetime
        var cursor = start
        var lastEvent = ContinuousClock.now - Self.heartbeat
        while ContinuousClock.now < deadline && !Task.isCancelled && !Task.isShuttingDownGracefully {
            if subscriptions.isReplaced(id) {
                let message = EventStreamMessage.exception(
                    type: "ResourceInUseException",
                    message: "Another subscription for this consumer and shard took over."
                )
                try await writer.write(ByteBuffer(bytes: message.encoded()))
                return
            }
            // The consumer deregistered, or the stream deleted (and perhaps made again): the
            // subscription ends with ResourceNotFoundException.
            var consumerReader = try RequestReader(.map(["ConsumerARN": .string(consumerARN)]))
            _ = try service.consumer(&consumerReader)
            let result = try store.read(cursor, maxRecords: 10_000, maxBytes: 2 << 20)
            // Described after the read, so children of a reshard the read saw are in it.
            let description = try service.describe(cursor.stream)
            guard description.createdAtMilliseconds == streamCreated else {
                throw KinesisErrors.streamNotFound(cursor.stream.rawValue, account: service.account)
            }
            let ended = result.next == nil
            if !result.records.isEmpty || ended || ContinuousClock.now - lastEvent >= Self.heartbeat {
                try await writer.write(ByteBuffer(bytes: event(result, from: cursor, description, encoding).encoded()))
                lastEvent = ContinuousClock.now
            }
            guard let next = result.next else { return }
            cursor = next
            if result.records.isEmpty {
                _ = try await store.waitForRecords(at: cursor, timeout: .seconds(1))
            }
        }
    }

    private func event(
        _ result: ReadResult,
        from cursor: ShardCursor,
        _ description: StreamDescription,
        _ encoding: AWSBodyEncoding
    ) -> EventStreamMessage {
        var bytes = 0
        let records: [AWSValue] = result.records.map { record in
            bytes += record.data.count
            return .map([
                "SequenceNumber": .string(
                    service.recordSequenceNumber(record.sequenceNumber.sequence, shard: cursor.shard, in: description)
                ),
                "ApproximateArrivalTimestamp": .timestamp(milliseconds: record.arrivalMilliseconds),
                "Data": .blob(record.data),
                "PartitionKey": .string(record.partitionKey),
                "EncryptionType": .string(record.isEncrypted ? "KMS" : "NONE"),
            ])
        }
        service.metrics.recordsOut(stream: cursor.stream, shard: cursor.shard, records: records.count, bytes: bytes)
        var payload: [String: AWSValue] = [
            "Records": .list(records),
            "MillisBehindLatest": .integer(result.millisBehindLatest),
        ]
        if result.next == nil {
            payload["ChildShards"] = .list(service.childShards(result.childShards, in: description))
        } else if let last = result.records.last {
            payload["ContinuationSequenceNumber"] = .string(
                service.recordSequenceNumber(last.sequenceNumber.sequence, shard: cursor.shard, in: description)
            )
        } else {
            // Nothing new: AFTER_SEQUENCE_NUMBER of this number continues at the cursor.
            payload["ContinuationSequenceNumber"] = .string(
                service.boundarySequenceNumber(result.next!.sequence, shard: cursor.shard, in: description)
            )
        }
        var bytesOut: [UInt8] = []
        encoding.encode(.map(payload), into: &bytesOut)
        var message = EventStreamMessage.event(type: "SubscribeToShardEvent", json: bytesOut)
        if encoding == .cbor, let index = message.headers.firstIndex(where: { $0.name == ":content-type" }) {
            message.headers[index].value = .string(encoding.contentType)
        }
        return message
    }
}
