import StreamQStorage

/// One record as expressions see it, borrowed for one evaluation: its data (JSON or not), the
/// pseudo-columns `_arrival` (alias `ROWTIME`), `_partition_key`, `_sequence`, `_shard`, `_raw`,
/// and, after aggregation, the computed slots.
///
/// The buffers belong to the caller (a storage scan lends them without copying), so a row never
/// outlives the call it is passed to.
struct SQLRow {
    var data: UnsafeRawBufferPointer
    var arrivalMilliseconds: Int64
    var partitionKey: UnsafeRawBufferPointer
    var position: SequenceNumber?
    /// Values a grouped query computed (group keys, aggregates, window bounds), read by the
    /// expressions evaluated after aggregation.
    var slots: [SQLValue] = []
    /// The query's JSON paths, extracted in one pass (nil: look each field up on its own).
    var fields: [SQLValue]?

    init(
        data: UnsafeRawBufferPointer,
        arrivalMilliseconds: Int64 = 0,
        partitionKey: UnsafeRawBufferPointer = .empty,
        position: SequenceNumber? = nil,
        slots: [SQLValue] = [],
        fields: [SQLValue]? = nil
    ) {
        self.data = data
        self.arrivalMilliseconds = arrivalMilliseconds
        self.partitionKey = partitionKey
        self.position = position
        self.slots = slots
        self.fields = fields
    }

    /// A row of computed values only (a group after aggregation).
    init(slots: [SQLValue]) { self.init(data: .empty, slots: slots) }
}

extension UnsafeRawBufferPointer {
    static var empty: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }
}

/// A record owned by the caller, for library users and tests that feed queries themselves.
public struct SQLRecord: Sendable {
    public var data: [UInt8]
    public var arrivalMilliseconds: Int64
    public var partitionKey: String
    public var position: SequenceNumber?

    public init(
        data: [UInt8],
        arrivalMilliseconds: Int64 = 0,
        partitionKey: String = "",
        position: SequenceNumber? = nil
    ) {
        self.data = data
        self.arrivalMilliseconds = arrivalMilliseconds
        self.partitionKey = partitionKey
        self.position = position
    }

    public init(
        _ text: String,
        arrivalMilliseconds: Int64 = 0,
        partitionKey: String = "",
        position: SequenceNumber? = nil
    ) {
        self.init(
            data: Array(text.utf8),
            arrivalMilliseconds: arrivalMilliseconds,
            partitionKey: partitionKey,
            position: position
        )
    }

    /// Lends the record to `body` as a row.
    func withRow<Result>(_ body: (SQLRow) throws -> Result) rethrows -> Result {
        var key = partitionKey
        return try data.withUnsafeBytes { data in
            try key.withUTF8 { key in
                try body(
                    SQLRow(
                        data: data,
                        arrivalMilliseconds: arrivalMilliseconds,
                        partitionKey: UnsafeRawBufferPointer(key),
                        position: position
                    )
                )
            }
        }
    }
}
