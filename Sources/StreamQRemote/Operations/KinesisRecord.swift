/// A record as GetRecords and SubscribeToShard return it.
public struct KinesisRecord: Sendable, Equatable {
    /// A decimal string; AWS's are 186-bit integers, so never parse it into a fixed-width integer.
    public var sequenceNumber: String
    /// Server arrival time, epoch milliseconds.
    public var approximateArrivalMilliseconds: Int64?
    public var data: [UInt8]
    public var partitionKey: String
    /// `NONE` or `KMS`; nil when not reported.
    public var encryptionType: String?

    public init(
        sequenceNumber: String,
        approximateArrivalMilliseconds: Int64?,
        data: [UInt8],
        partitionKey: String,
        encryptionType: String? = nil
    ) {
        self.sequenceNumber = sequenceNumber
        self.approximateArrivalMilliseconds = approximateArrivalMilliseconds
        self.data = data
        self.partitionKey = partitionKey
        self.encryptionType = encryptionType
    }

    init(_ record: ResponseReader) throws(KinesisClientError) {
        sequenceNumber = try record.string("SequenceNumber")
        approximateArrivalMilliseconds = try record.optionalTimestamp("ApproximateArrivalTimestamp")
        data = try record.blob("Data")
        partitionKey = try record.string("PartitionKey")
        encryptionType = try record.optionalString("EncryptionType")
    }
}
