import StreamQAWS

extension KinesisClient {
    /// One PutRecords call (1 to 500 entries); failed entries are reported, not retried (see
    /// ``putRecordsReliably(stream:records:idempotent:)``).
    /// - Parameter idempotent: sent as streamq's extension: `streamq serve` stores the entries as
    ///   that append, once; other servers ignore it.
    public func putRecords(
        _ stream: KinesisStreamReference,
        records: [PutRecordsEntry],
        idempotent: IdempotentAppend? = nil
    ) async throws -> PutRecordsResult {
        let encoding = await requestEncoding()
        return try await call(
            "PutRecords",
            body: PutRecordsEntry.requestBody(stream, records, encoding: encoding),
            encoding: encoding,
            streamARN: stream.arn,
            headers: idempotent?.headers ?? []
        ) { payload, answer throws(KinesisClientError.Reason) in
            try Self.putRecordsResult(payload, answer, expectedCount: records.count)
        }
    }

    /// A 200 answer to PutRecords of `expectedCount` entries: the common answer read directly,
    /// anything else through the general decoder.
    static func putRecordsResult(
        _ payload: [UInt8],
        _ answer: AWSBodyEncoding,
        expectedCount: Int
    ) throws(KinesisClientError.Reason) -> PutRecordsResult {
        if let result = PutRecordsResult(fastDecoding: payload, encoding: answer),
            result.entries.count == expectedCount
        {
            return result
        }
        let response: AWSValue
        do {
            response = try answer.decode(payload)
        } catch {
            throw .invalidResponse("body is not \(answer == .json ? "JSON" : "CBOR") (\(error))")
        }
        do {
            return try PutRecordsResult(ResponseReader("PutRecords", response), expectedCount: expectedCount)
        } catch let error as KinesisClientError {
            throw error.reason
        } catch {
            throw .invalidResponse("\(error)")
        }
    }

    /// An iterator that reads `shardID` from `position`.
    public func getShardIterator(
        _ stream: KinesisStreamReference,
        shardID: String,
        position: ShardPosition
    ) async throws -> String {
        var members = position.members(typeKey: "ShardIteratorType", sequenceNumberKey: "StartingSequenceNumber")
        members["ShardId"] = .string(shardID)
        let response = try await call("GetShardIterator", stream.input(members), streamARN: stream.arn)
        return try ResponseReader("GetShardIterator", response).string("ShardIterator")
    }

    /// Up to `limit` records (AWS's default: 10,000) from `iterator`.
    /// - Parameter streamARN: the stream's ARN, which routes the call to AWS's account-scoped endpoint.
    public func getRecords(
        iterator: String,
        limit: Int? = nil,
        streamARN: String? = nil
    ) async throws -> GetRecordsOutput {
        try await getRecords(iterator: iterator, limit: limit, streamARN: streamARN) {
            payload,
            encoding throws(KinesisClientError.Reason) in
            try GetRecordsOutput.decode(payload, encoding)
        }
    }

    /// ``getRecords(iterator:limit:streamARN:)`` with `headers` (signed with the rest) and the 200
    /// answer's body turned into a `T` by `decode` (given the body and its encoding).
    func getRecords<T>(
        iterator: String,
        limit: Int?,
        streamARN: String?,
        headers: [(name: String, value: String)] = [],
        decode: ([UInt8], AWSBodyEncoding) throws(KinesisClientError.Reason) -> T
    ) async throws -> T {
        var input: [String: AWSValue] = ["ShardIterator": .string(iterator)]
        if let limit { input["Limit"] = .integer(Int64(limit)) }
        if let streamARN { input["StreamARN"] = .string(streamARN) }
        let encoding = await requestEncoding()
        var body: [UInt8] = []
        encoding.encode(.map(input), into: &body)
        return try await call(
            "GetRecords",
            body: body,
            encoding: encoding,
            streamARN: streamARN,
            headers: headers,
            decode: decode
        )
    }
}
