import StreamQAWS

extension KinesisClient {
    /// ``putRecordsReliably(stream:records:idempotent:)`` of a body built record by record, into
    /// its stream: its records go in one request as built (when they fit one and the endpoint speaks CBOR;
    /// otherwise as entries), and the records that request failed are re-driven as entries, in
    /// order, after a backoff (up to ``RetryBackoff/maxAttempts`` further rounds). An answer that
    /// stores everything is checked without reading where each record went.
    /// - Throws: ``PutRecordsReliablyError`` as the entries form does, indexed by the body's records.
    public func putRecordsReliably(_ body: PutRecordsBody) async throws {
        guard !body.isEmpty else { return }
        let stream = body.stream
        guard body.count <= configuration.putRecordsMaximumCount, body.size <= configuration.putRecordsMaximumBytes,
            await requestEncoding() == .cbor
        else {
            _ = try await putRecordsReliably(stream: stream, records: body.entries)
            return
        }
        enum Answer {
            case allStored
            case result(PutRecordsResult)
        }
        let answer: Answer
        do {
            answer = try await call("PutRecords", body: body.request, encoding: .cbor, streamARN: stream.arn) {
                payload,
                encoding throws(KinesisClientError.Reason) -> Answer in
                if encoding == .cbor, PutRecordsBody.allStored(cborAnswer: payload, count: body.count) {
                    return .allStored
                }
                return .result(try Self.putRecordsResult(payload, encoding, expectedCount: body.count))
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw PutRecordsReliablyError(
                stream: stream.description,
                attempts: 1,
                stored: [RecordLocation?](repeating: nil, count: body.count),
                unstored: (0..<body.count).map {
                    PutRecordsReliablyError.Unstored(
                        index: $0,
                        partitionKey: body.entry($0).partitionKey,
                        reason: "not sent"
                    )
                },
                cause: error
            )
        }
        guard case .result(let result) = answer else { return }
        var stored = [RecordLocation?](repeating: nil, count: body.count)
        var failed: [Int] = []
        for (index, entry) in result.entries.enumerated() {
            switch entry {
            case .stored(let location): stored[index] = location
            case .failed: failed.append(index)
            }
        }
        guard !failed.isEmpty else { return }
        try await Task.sleep(for: configuration.retry.delay(forRetry: 1))
        do {
            _ = try await putRecordsReliably(stream: stream, records: failed.map(body.entry))
        } catch let error as PutRecordsReliablyError {
            for (index, location) in zip(failed, error.stored) { stored[index] = location }
            throw PutRecordsReliablyError(
                stream: error.stream,
                attempts: error.attempts + 1,
                stored: stored,
                unstored: error.unstored.map {
                    PutRecordsReliablyError.Unstored(
                        index: failed[$0.index],
                        partitionKey: $0.partitionKey,
                        reason: $0.reason
                    )
                },
                cause: error.cause
            )
        }
    }
}
