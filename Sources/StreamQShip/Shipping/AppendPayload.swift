import StreamQStorage

/// The records of one append. Into a local store they are kept in the store's encoding, ready to
/// be one batch (no object per record); through any other backend, as one ``AppendRecord`` each.
enum AppendPayload: Sendable {
    /// Records for `store`, the shipper's backend.
    case encoded(EncodedRecords, store: StreamStore)
    case records([AppendRecord])

    /// Empty: encoded when the backend is a local `store`, with room for about `bytes` of records.
    init(for store: StreamStore?, reservingCapacity bytes: Int) {
        self = store.map { .encoded(EncodedRecords(reservingCapacity: bytes), store: $0) } ?? .records([])
    }

    var count: Int {
        switch self {
        case .encoded(let records, _): records.count
        case .records(let records): records.count
        }
    }

    var isEmpty: Bool { count == 0 }

    /// Adds a record with a copy of `data`.
    mutating func append(partitionKey: String, data: UnsafeRawBufferPointer) {
        switch self {
        case .encoded(var records, let store):
            self = .records([])  // so that `records` is the only reference and grows in place
            records.append(partitionKey: partitionKey, data: data)
            self = .encoded(records, store: store)
        case .records(var records):
            self = .records([])
            records.append(AppendRecord(partitionKey: partitionKey, data: Array(data)))
            self = .records(records)
        }
    }
}
