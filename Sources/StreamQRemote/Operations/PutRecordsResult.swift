/// Where a put record was stored.
public struct RecordLocation: Sendable, Equatable {
    public var shardID: String
    public var sequenceNumber: String

    public init(shardID: String, sequenceNumber: String) {
        self.shardID = shardID
        self.sequenceNumber = sequenceNumber
    }
}

/// What PutRecords answers: per entry, in request order, where it was stored or why not.
public struct PutRecordsResult: Sendable, Equatable {
    /// One entry's outcome.
    public enum Entry: Sendable, Equatable {
        case stored(RecordLocation)
        /// Not stored: `ProvisionedThroughputExceededException` or `InternalFailure`.
        case failed(code: String, message: String)
    }

    public var failedRecordCount: Int
    public var entries: [Entry]
    /// `NONE` or `KMS`; nil when not reported.
    public var encryptionType: String?

    init(_ response: ResponseReader, expectedCount: Int) throws(KinesisClientError) {
        failedRecordCount = Int(try response.optionalInteger("FailedRecordCount") ?? 0)
        encryptionType = try response.optionalString("EncryptionType")
        var entries: [Entry] = []
        for entry in try response.list("Records") {
            if let code = try entry.optionalString("ErrorCode") {
                entries.append(.failed(code: code, message: try entry.optionalString("ErrorMessage") ?? ""))
            } else {
                entries.append(
                    .stored(
                        RecordLocation(
                            shardID: try entry.string("ShardId"),
                            sequenceNumber: try entry.string("SequenceNumber")
                        )
                    )
                )
            }
        }
        guard entries.count == expectedCount else {
            throw response.invalid("\(entries.count) Records for \(expectedCount) entries sent")
        }
        self.entries = entries
    }
}
