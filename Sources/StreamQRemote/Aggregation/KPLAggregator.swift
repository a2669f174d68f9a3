import StreamQStorage

/// Packs user records bound for one shard into KPL aggregates (§10 of the reference), as the KPL
/// does: up to ``maximumBytes`` each, outer partition key `a`, routed by the first user record's
/// hash key so the aggregate lands where its first record would have; a lone record goes as it is.
public struct KPLAggregator: Sendable {
    /// About the KPL's default aggregate size (50 KiB).
    public static let maximumBytes = 51_200

    private var records: [UserRecord] = []
    private var bytes = 0
    private var firstHash: HashKey = 0

    public init() {}

    /// Whether the aggregate being filled holds no record.
    public var isEmpty: Bool { records.isEmpty }

    /// Whether `record` still fits the aggregate being filled (roughly: protobuf framing is small).
    public func fits(_ record: UserRecord) -> Bool {
        records.isEmpty || bytes + Self.size(of: record) <= Self.maximumBytes
    }

    /// Adds `record`, whose shard is chosen by `hash`.
    public mutating func add(_ record: UserRecord, hash: HashKey) {
        if records.isEmpty { firstHash = hash }
        records.append(record)
        bytes += Self.size(of: record)
    }

    /// The aggregate filled so far as one entry (a lone record as itself) and how many records it
    /// holds; the aggregator is empty again afterwards.
    public mutating func take() -> (entry: PutRecordsEntry, count: Int)? {
        guard !records.isEmpty else { return nil }
        defer {
            records = []
            bytes = 0
        }
        if records.count == 1 {
            let record = records[0]
            return (
                PutRecordsEntry(
                    data: record.data,
                    partitionKey: record.partitionKey,
                    explicitHashKey: record.explicitHashKey
                ), 1
            )
        }
        let entry = PutRecordsEntry(
            data: KPLAggregate.encode(records: records),
            partitionKey: "a",
            explicitHashKey: String(firstHash)
        )
        return (entry, records.count)
    }

    private static func size(of record: UserRecord) -> Int {
        record.data.count + record.partitionKey.utf8.count + 16
    }
}
