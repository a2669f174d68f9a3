import StreamQAWS

/// Where reading a shard starts: a GetShardIterator type, or SubscribeToShard's `StartingPosition`.
public enum ShardPosition: Sendable, Equatable {
    /// The oldest record within retention.
    case trimHorizon
    /// Just after the newest record at the time of the call.
    case latest
    /// At the record with this sequence number.
    case atSequenceNumber(String)
    /// Just after the record with this sequence number.
    case afterSequenceNumber(String)
    /// At the first record that arrived at or after this time (epoch milliseconds).
    case atTimestamp(milliseconds: Int64)

    /// The members naming this position: `<typeKey>` and `StartingSequenceNumber`/`SequenceNumber` or `Timestamp`.
    func members(typeKey: String, sequenceNumberKey: String) -> [String: AWSValue] {
        switch self {
        case .trimHorizon: [typeKey: .string("TRIM_HORIZON")]
        case .latest: [typeKey: .string("LATEST")]
        case .atSequenceNumber(let number):
            [typeKey: .string("AT_SEQUENCE_NUMBER"), sequenceNumberKey: .string(number)]
        case .afterSequenceNumber(let number):
            [typeKey: .string("AFTER_SEQUENCE_NUMBER"), sequenceNumberKey: .string(number)]
        case .atTimestamp(let milliseconds):
            [typeKey: .string("AT_TIMESTAMP"), "Timestamp": .timestamp(milliseconds: milliseconds)]
        }
    }
}
