/// Records that ``KinesisClient/putRecordsReliably(stream:records:idempotent:)`` could not store.
public struct PutRecordsReliablyError: Error, Sendable, CustomStringConvertible {
    /// One record not stored: its index in the input, partition key, and the last reason.
    public struct Unstored: Sendable, Equatable {
        public var index: Int
        public var partitionKey: String
        public var reason: String
    }

    public var stream: String
    /// Rounds of requests made.
    public var attempts: Int
    /// Per input record, where it was stored; nil for the unstored ones.
    public var stored: [RecordLocation?]
    /// The records not stored, in input order. When ``cause`` ended the call, the entries of the
    /// request it failed may nevertheless have been stored.
    public var unstored: [Unstored]
    /// The call failure that ended the put early (non-retryable, or out of retries); nil when the
    /// entries kept failing until the attempt limit.
    public var cause: (any Error)?

    public var description: String {
        let listed = unstored.prefix(5).map { "#\($0.index) (key '\($0.partitionKey)'): \($0.reason)" }
        let more = unstored.count > 5 ? "; and \(unstored.count - 5) more" : ""
        let ending = cause.map { "; stopped by: \($0)" } ?? ""
        return "\(unstored.count) of \(stored.count) records not stored in stream \(stream) after \(attempts) "
            + "attempts: \(listed.joined(separator: "; "))\(more)\(ending)"
    }
}
