import StreamQRemote
import Synchronization

/// `streamq put --endpoint URL`: stdin lines become records through PutRecords.
///
/// Records are spread over eight lanes by partition key; each lane sends requests of up to 500
/// records (and 5 MiB) one after another, and the lanes run side by side, so a key's records are
/// stored in input order while requests overlap. A request goes out when it is full or stdin goes
/// quiet. `putRecordsReliably` re-drives only the entries the service failed and never sends an
/// acknowledged one twice. Memory: at most two requests per lane.
struct RemotePut {
    static let laneCount = 8
    let client: KinesisClient
    let stream: String
    let fixedKey: String?
    let keyField: String?
    let maxRecordBytes: Int
    let progress: Bool

    /// What was sent, acknowledged, and the failure that stopped it (if any).
    func run(rejections: inout RejectionLog) async throws -> (sent: Int, stored: Int, failure: (any Error)?) {
        var keys = LinePartitionKeys(fixedKey: fixedKey, keyField: keyField, maxRecordBytes: maxRecordBytes)
        var reader = LineReader()
        var lanes = [Lane](repeating: Lane(), count: Self.laneCount)
        let acknowledged = StoredCount()
        var lineNumber = 0
        var sent = 0
        var failure: (any Error)?
        let client = client
        let stream = stream
        let progress = progress

        /// Sends a lane's pending records once its previous request is done.
        func dispatch(_ index: Int) async throws {
            guard !lanes[index].pending.isEmpty else { return }
            let batch = lanes[index].pending
            lanes[index].pending = []
            lanes[index].pendingBytes = 0
            try await lanes[index].inFlight?.value
            lanes[index].inFlight = Task {
                do {
                    let stored = try await client.putRecordsReliably(stream: .name(stream), records: batch).count
                    let total = acknowledged.add(stored)
                    if progress { StandardStreams.writeError("stored \(total)\n") }
                } catch let error as PutRecordsReliablyError {
                    acknowledged.add(error.stored.compactMap { $0 }.count)
                    throw error
                }
            }
        }
        func dispatchAll() async throws {
            for index in lanes.indices { try await dispatch(index) }
        }
        do {
            while let line = try await reader.nextLine(whenIdle: { try await dispatchAll() }) {
                lineNumber += 1
                guard let key = try keys.key(for: line, lineNumber: lineNumber, rejections: &rejections) else {
                    continue
                }
                let entry = PutRecordsEntry(data: Array(line), partitionKey: key)
                let index = Int(UInt(bitPattern: key.hashValue) % UInt(Self.laneCount))
                if lanes[index].pending.count == 500 || lanes[index].pendingBytes + entry.size > 5 << 20 {
                    try await dispatch(index)
                }
                lanes[index].pending.append(entry)
                lanes[index].pendingBytes += entry.size
                sent += 1
            }
            try await dispatchAll()
            for lane in lanes { try await lane.inFlight?.value }
        } catch let error as PutRecordsReliablyError {
            failure = error
            for lane in lanes { _ = try? await lane.inFlight?.value }
        }
        return (sent, acknowledged.total, failure)
    }

    /// Records acknowledged so far, across lanes.
    private final class StoredCount: Sendable {
        private let count = Atomic<Int>(0)

        @discardableResult
        func add(_ stored: Int) -> Int { count.add(stored, ordering: .relaxed).newValue }
        var total: Int { count.load(ordering: .relaxed) }
    }

    /// One lane: the records waiting for its next request, and the request in flight.
    private struct Lane {
        var pending: [PutRecordsEntry] = []
        var pendingBytes = 0
        var inFlight: Task<Void, any Error>?
    }
}
