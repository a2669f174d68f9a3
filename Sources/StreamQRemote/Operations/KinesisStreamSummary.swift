/// What DescribeStreamSummary tells about a stream.
public struct KinesisStreamSummary: Sendable, Equatable {
    public var name: String
    public var arn: String
    /// `CREATING`, `ACTIVE`, `UPDATING` or `DELETING`.
    public var status: String
    /// `PROVISIONED` or `ON_DEMAND`; nil when not reported.
    public var mode: String?
    public var retentionPeriodHours: Int
    public var creationMilliseconds: Int64?
    /// `NONE` or `KMS`; nil when not reported.
    public var encryptionType: String?
    public var keyID: String?
    public var openShardCount: Int
    public var consumerCount: Int?

    init(_ response: ResponseReader) throws(KinesisClientError) {
        let summary = try response.required("StreamDescriptionSummary")
        name = try summary.string("StreamName")
        arn = try summary.string("StreamARN")
        status = try summary.string("StreamStatus")
        mode = try summary.member("StreamModeDetails")?.optionalString("StreamMode")
        retentionPeriodHours = Int(try summary.integer("RetentionPeriodHours"))
        creationMilliseconds = try summary.optionalTimestamp("StreamCreationTimestamp")
        encryptionType = try summary.optionalString("EncryptionType")
        keyID = try summary.optionalString("KeyId")
        openShardCount = Int(try summary.integer("OpenShardCount"))
        consumerCount = try summary.optionalInteger("ConsumerCount").map { Int($0) }
    }
}
