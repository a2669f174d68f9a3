import StreamQStorage

/// The records of one append. Into a local store they are kept in the store's encoding, ready to
/// be one batch (no object per record); through any other backend, as one ``AppendRecord`` each.
enum AppendPayload: Sendable {
    /// Records for `store`, the shipper's backend.
    case encoded(EncodedRecords, store: StreamStore)
    case records([AppendRecord])

    /// No records, in the form the backend takes: encoded when it is a local `store`.
    init(emptyFor store: StreamStore?) {
        self = store.map { .encoded(EncodedRecords(), store: $0) } ?? .records([])
    }

    var count: Int {
        switch self {
        case .encoded(let records, _): records.count
        case .records(let records): records.count
        }
    }
}
