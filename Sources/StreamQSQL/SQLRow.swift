/// One stream record as the SQL engine sees it: its data (JSON or not) and the pseudo-columns
/// `_arrival` (alias `ROWTIME`), `_partition_key`, `_sequence`, `_shard` and `_raw`.
public struct SQLRow: Sendable {
    public var data: [UInt8]
    public var arrivalMilliseconds: Int64
    public var partitionKey: String
    public var sequenceNumber: String
    public var shard: String
    /// Values a grouped query computed (group keys, aggregates, window bounds), read by the
    /// expressions evaluated after aggregation.
    var slots: [SQLValue] = []
    /// The query's JSON paths, extracted in one pass (nil: look each field up on its own).
    var fields: [SQLValue]?

    public init(data: [UInt8], arrivalMilliseconds: Int64 = 0, partitionKey: String = "", sequenceNumber: String = "", shard: String = "") {
        self.init(data: data, arrivalMilliseconds: arrivalMilliseconds, partitionKey: partitionKey, sequenceNumber: sequenceNumber, shard: shard, slots: [])
    }

    init(data: [UInt8], arrivalMilliseconds: Int64 = 0, partitionKey: String = "", sequenceNumber: String = "", shard: String = "", slots: [SQLValue]) {
        self.slots = slots
        self.data = data
        self.arrivalMilliseconds = arrivalMilliseconds
        self.partitionKey = partitionKey
        self.sequenceNumber = sequenceNumber
        self.shard = shard
    }
}
